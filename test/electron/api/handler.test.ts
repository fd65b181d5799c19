/**
 * The API handler on a real service: every request checked against its schema, results and
 * errors in envelopes, events passed through, and no exception ever escaping handle().
 */
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  API_METHODS,
  type ApiEnvelope,
  type ApiEvent,
  type ApiMethod,
} from '../../../shared/api.js';
import { TesseraError } from '../../../shared/errors.js';
import { newPolicy } from '../../../shared/policy.js';
import { STATUS } from '../../../shared/status-codes.js';
import { createApiHandler, type ApiHandler } from '../../../electron/api/handler.js';
import { TesseraService } from '../../../electron/engine/service.js';
import { scratchDir } from '../../helpers/scratch.js';

let service: TesseraService;
let handler: ApiHandler;
let root: string;
let cleanup: () => Promise<void>;
const internal: unknown[] = [];

beforeAll(async () => {
  ({ dir: root, cleanup } = await scratchDir('tessera-handler-'));
  service = await TesseraService.open({ dataDir: path.join(root, 'data') });
  handler = createApiHandler(service, {
    shell: 'desktop',
    version: '1.2.3',
    logInternal: (error) => internal.push(error),
  });
});
afterAll(async () => {
  await service.close();
  await cleanup();
});
afterEach(() => {
  vi.restoreAllMocks();
  internal.length = 0;
});

function errorOf(envelope: ApiEnvelope<ApiMethod>) {
  if (envelope.ok) throw new Error(`expected an error, got ${JSON.stringify(envelope)}`);
  return envelope.error;
}

describe('createApiHandler', () => {
  it('answers app.info for its shell and version', async () => {
    expect(await handler.handle('app.info', {})).toEqual({
      ok: true,
      result: {
        version: '1.2.3',
        dataDir: service.dataDir,
        storeDir: service.store.dir,
        shell: 'desktop',
        firstRun: true,
        sampleDir: service.sampleDir,
        stagingDir: path.join(service.dataDir, 'drag-staging'),
      },
    });
  });

  it('names no drag-out staging folder in the console (it cannot drag out)', async () => {
    const consoleApi = createApiHandler(service, { shell: 'console', version: '1.2.3' });
    const envelope = await consoleApi.handle('app.info', {});
    expect(envelope).toMatchObject({ ok: true, result: { shell: 'console' } });
    expect(envelope.ok && envelope.result).not.toHaveProperty('stagingDir');
  });

  it('takes missing params (null, undefined) as none', async () => {
    expect((await handler.handle('app.info', undefined)).ok).toBe(true);
    expect((await handler.handle('app.info', null)).ok).toBe(true);
    expect((await handler.handle('policies.list', undefined)).ok).toBe(true);
  });

  it('rejects params that are not objects as BAD_REQUEST', async () => {
    for (const params of [[], ['x'], 'x', 42, true, 0, '']) {
      const envelope = await handler.handle('inventory.get', params);
      expect(errorOf(envelope).code, JSON.stringify(params)).toBe('BAD_REQUEST');
      expect(errorOf(envelope).message).toMatch(/^inventory\.get: /);
    }
  });

  it('rejects unknown and extra fields, naming them', async () => {
    const envelope = await handler.handle('jobs.get', { id: 1, verbose: true });
    expect(errorOf(envelope)).toMatchObject({ code: 'BAD_REQUEST' });
    expect(errorOf(envelope).message).toMatch(/verbose/);
    const wrong = await handler.handle('schedules.upcoming', { limit: 101 });
    expect(errorOf(wrong).message).toMatch(/^schedules\.upcoming: limit: /);
  });

  it('answers UNKNOWN_METHOD for a name that is not in the contract, prototype names too', async () => {
    for (const method of ['nope', 'App.Info', 'app.info ', 'hasOwnProperty', '__proto__', '']) {
      const envelope = await handler.handle(method, {});
      expect(errorOf(envelope), method).toEqual({
        code: 'UNKNOWN_METHOD',
        message: `no API method "${method}"`,
      });
    }
  });

  it('checks every method of the contract strictly: an unknown field is refused', async () => {
    for (const method of API_METHODS) {
      const envelope = await handler.handle(method, { 'no-such-field': 1 });
      expect(errorOf(envelope).code, method).toBe('BAD_REQUEST');
    }
  });

  it('carries an engine error with its code and remedy', async () => {
    const envelope = await handler.handle('jobs.get', { id: 99 });
    expect(errorOf(envelope)).toEqual({ code: 'CATALOG_NOT_FOUND', message: 'no job 99' });
    vi.spyOn(service, 'storageSummary').mockImplementation(() => {
      throw new TesseraError('STORE_FULL', 'the disk is full');
    });
    expect(errorOf(await handler.handle('storage.summary', {}))).toEqual({
      code: 'STORE_FULL',
      message: 'the disk is full',
      remedy: STATUS.STORE_FULL.remedy,
    });
    expect(internal).toEqual([]);
  });

  it('carries a bad query’s span from policies.save (thrown synchronously by the engine)', async () => {
    const envelope = await handler.handle('policies.save', {
      policy: newPolicy('q', { kind: 'query', query: 'name startswith' }),
      mode: 'upsert',
    });
    expect(errorOf(envelope)).toMatchObject({ code: 'BAD_REQUEST', position: 15, length: 0 });
  });

  it('answers a bad query in policies.preview as a result, and rethrows other errors', async () => {
    const preview = await handler.handle('policies.preview', {
      selection: { kind: 'query', query: 'cpus > "many"' },
    });
    expect(preview.ok).toBe(true);
    expect(preview.ok && preview.result).toMatchObject({ ok: false, reason: expect.any(String) });

    vi.spyOn(service, 'previewSelection').mockRejectedValue(
      new TesseraError('CATALOG_IO', 'database is locked'),
    );
    const failed = await handler.handle('policies.preview', {
      selection: { kind: 'list', vms: ['a'] },
    });
    expect(errorOf(failed)).toEqual({
      code: 'CATALOG_IO',
      message: 'database is locked',
      remedy: STATUS.CATALOG_FAILED.remedy,
    });
  });

  it('never throws: a bug, thrown or rejected, becomes INTERNAL and is logged through logInternal', async () => {
    const consoleError = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const thrown = new RangeError('sync bug');
    vi.spyOn(service, 'listPolicies').mockImplementation(() => {
      throw thrown;
    });
    const rejected = new Error('async bug');
    vi.spyOn(service, 'dashboard').mockRejectedValue(rejected);
    vi.spyOn(service, 'listSources').mockImplementation(() => {
      throw 'not even an Error';
    });

    const sync = await handler.handle('policies.list', {});
    expect(errorOf(sync)).toEqual({
      code: 'INTERNAL',
      message: 'internal error: sync bug',
      remedy: STATUS.INTERNAL.remedy,
    });
    expect(errorOf(await handler.handle('dashboard.get', {})).message).toBe(
      'internal error: async bug',
    );
    expect(errorOf(await handler.handle('inventory.sources', {})).message).toBe(
      'internal error: not even an Error',
    );
    expect(internal).toEqual([thrown, rejected, 'not even an Error']);
    expect(consoleError).not.toHaveBeenCalled();
  });

  it('logs to console.error by default', async () => {
    const consoleError = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const plain = createApiHandler(service, { shell: 'console', version: '0' });
    const bug = new Error('default log');
    vi.spyOn(service, 'listPolicies').mockImplementation(() => {
      throw bug;
    });
    expect(errorOf(await plain.handle('policies.list', {})).code).toBe('INTERNAL');
    expect(consoleError).toHaveBeenCalledWith(bug);
  });

  it('still answers with an envelope (INTERNAL, logged) after the service is closed', async () => {
    const { dir, cleanup: done } = await scratchDir('tessera-handler-closed-');
    const closed = await TesseraService.open({ dataDir: dir });
    const logged: unknown[] = [];
    const late = createApiHandler(closed, {
      shell: 'console',
      version: '0',
      logInternal: (error) => logged.push(error),
    });
    await closed.close();
    const envelope = await late.handle('policies.list', {});
    expect(errorOf(envelope)).toMatchObject({
      code: 'INTERNAL',
      message: expect.stringMatching(/^internal error: /),
    });
    expect(logged).toHaveLength(1);
    await done();
  });

  it('passes the service’s events to subscribers until they unsubscribe', async () => {
    const seen: ApiEvent[] = [];
    const unsubscribe = handler.subscribe((event) => seen.push(event));
    const added = await handler.handle('inventory.addSource', {
      kind: 'folder',
      path: path.join(root, 'vms'),
    });
    expect(added.ok).toBe(true);
    expect(seen).toEqual([{ type: 'inventory-changed' }]);
    unsubscribe();
    await handler.handle('hosts.set', { hosts: 1 });
    expect(seen).toHaveLength(1);
  });
});
