/**
 * Helpers for the catalog tests that use real SQLite files: a scratch folder per test file,
 * raw connections to look at the file from outside the Catalog, and error-code assertions.
 */
import { afterAll, beforeAll, expect } from 'vitest';
import path from 'node:path';
import Database from 'better-sqlite3';
import { Catalog } from '../../../electron/engine/catalog/index.js';
import type { CatalogOptions } from '../../../electron/engine/catalog/index.js';
import { TesseraError } from '../../../shared/errors.js';
import type { ErrorCode } from '../../../shared/errors.js';
import type { Policy, Schedule } from '../../../shared/policy.js';
import { scratchDir } from '../../helpers/scratch.js';

/**
 * Makes a scratch folder for the calling test file (removed after it) and returns a function
 * that gives a fresh catalog path in it on each call.
 */
export function useCatalogFiles(prefix: string): () => string {
  let dir = '';
  let cleanup = async (): Promise<void> => {};
  let counter = 0;
  beforeAll(async () => {
    ({ dir, cleanup } = await scratchDir(prefix));
  });
  afterAll(async () => {
    await cleanup();
  });
  return () => {
    counter += 1;
    return path.join(dir, `case-${counter}`, 'catalog.db');
  };
}

/** A raw better-sqlite3 connection to the file, outside the Catalog. */
export function raw(file: string): Database.Database {
  return new Database(file, { timeout: 5000 });
}

/** Runs `body` on a raw connection to the file and closes it. */
export function withRaw<T>(file: string, body: (db: Database.Database) => T): T {
  const db = raw(file);
  try {
    return body(db);
  } finally {
    db.close();
  }
}

/** Opens the catalog, runs `body` on it and closes it. */
export function withCatalog<T>(
  file: string,
  body: (catalog: Catalog) => T,
  options: CatalogOptions = {},
): T {
  const catalog = Catalog.open(file, options);
  try {
    return body(catalog);
  } finally {
    catalog.close();
  }
}

/** Asserts that `fn` throws a TesseraError with this code, and returns it. */
export function expectCode(fn: () => unknown, code: ErrorCode): TesseraError {
  let thrown: unknown;
  try {
    fn();
  } catch (error) {
    thrown = error;
  }
  expect(thrown, 'expected the call to throw').toBeInstanceOf(TesseraError);
  expect((thrown as TesseraError).code).toBe(code);
  return thrown as TesseraError;
}

export function schedule(name: string, overrides: Partial<Schedule> = {}): Schedule {
  return {
    name,
    type: 'accelerator',
    frequencySeconds: 86_400,
    window: { startMinute: 22 * 60, durationMinutes: 240 },
    retentionSeconds: 30 * 86_400,
    ...overrides,
  };
}

/** A valid policy with a daily and a weekly schedule. */
export function policy(name: string, overrides: Partial<Policy> = {}): Policy {
  return {
    name,
    enabled: true,
    selection: { kind: 'list', vms: ['web-1', 'db-1'] },
    accelerator: true,
    forcedRescanEvery: 7,
    snapshotFirst: false,
    hosts: null,
    streamsPerHost: 2,
    schedules: [
      schedule('daily'),
      schedule('weekly', { type: 'full', frequencySeconds: 7 * 86_400, window: null }),
    ],
    ...overrides,
  };
}
