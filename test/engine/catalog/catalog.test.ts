/**
 * The catalog against a real SQLite file: schema migrations, WAL, images recorded from
 * manifests (and rebuilt from them), expiry, jobs and their logs, and a second connection
 * working on the same file.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import Database from 'better-sqlite3';
import {
  Catalog,
  MIGRATIONS,
  SCHEMA_VERSION,
  migrate,
} from '../../../electron/engine/catalog/index.js';
import type { ImageRow } from '../../../electron/engine/catalog/index.js';
import { backupIdOf } from '../../../electron/engine/store/manifest.js';
import type { DiskImageManifest, ImageManifest } from '../../../electron/engine/store/manifest.js';
import { TesseraError } from '../../../shared/errors.js';
import type { ErrorCode } from '../../../shared/errors.js';
import { scratchDir } from '../../helpers/scratch.js';

const MiB = 1024 * 1024;
let dir: string;
let cleanup: () => Promise<void>;
let fileCounter = 0;

beforeAll(async () => {
  ({ dir, cleanup } = await scratchDir('tessera-catalog-'));
});
afterAll(async () => {
  await cleanup();
});

/** A fresh catalog path per test, in a folder that does not exist yet. */
function freshPath(): string {
  fileCounter += 1;
  return path.join(dir, `case-${fileCounter}`, 'sub', 'catalog.db');
}

/** Opens raw better-sqlite3 connections to look at the file from outside the Catalog. */
function raw(file: string): Database.Database {
  return new Database(file, { timeout: 5000 });
}

function catalogError(fn: () => unknown): TesseraError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(TesseraError);
    return error as TesseraError;
  }
  throw new Error('expected the call to throw');
}

function expectCode(fn: () => unknown, code: ErrorCode): TesseraError {
  const error = catalogError(fn);
  expect(error.code).toBe(code);
  return error;
}

function diskManifest(
  diskKey: string,
  position: number,
  seed: number,
  overrides: Partial<DiskImageManifest> = {},
): DiskImageManifest {
  return {
    position,
    diskKey,
    name: `${diskKey}.vhdx`,
    sourcePath: `/vms/${diskKey}.vhdx`,
    sourceFormat: 'vhdx',
    virtualSize: 64 * MiB,
    logicalSectorSize: 512,
    physicalSectorSize: 4096,
    identity: `guid-${diskKey}`,
    blockSize: 2 * MiB,
    blockCount: 32,
    previousBackupId: null,
    forcedRescan: false,
    blocksFile: `${diskKey}.blocks`,
    blocksSha256: 'ab'.repeat(32),
    changedExtents: [[0, 4 * MiB]],
    unchangedExtents: [],
    stats: {
      bytesRead: 10 * MiB + seed,
      blocksChanged: 5 + seed,
      blocksUnchanged: 7 + seed,
      blocksZero: 20 - seed,
      bytesStored: 3 * MiB + seed,
      bytesDeduplicated: MiB + seed,
      bytesLinked: 14 * MiB + seed,
    },
    ...overrides,
  };
}

function imageManifest(
  client: string,
  createdAt: number,
  disks: DiskImageManifest[],
  overrides: Partial<ImageManifest> = {},
): ImageManifest {
  return {
    format: 'tessera-image',
    version: 1,
    backupId: backupIdOf(client, createdAt),
    client,
    createdAt,
    kind: disks.some((disk) => disk.previousBackupId !== null) ? 'accelerator' : 'full',
    previousBackupId:
      disks.find((disk) => disk.previousBackupId !== null)?.previousBackupId ?? null,
    expiresAt: null,
    vm: { name: client, generation: 2, memoryMiB: 4096 },
    disks,
    ...overrides,
  };
}

/** Two clients: alpha (disks a0, a1; a full and an accelerator image), beta (disk b0; one full). */
function fixtureManifests(): ImageManifest[] {
  const alphaFull = imageManifest('alpha', 1_700_000_000, [
    diskManifest('alpha-a0', 0, 1),
    diskManifest('alpha-a1', 1, 2, { sourceFormat: 'vhd', identity: null }),
  ]);
  const alphaIncr = imageManifest(
    'alpha',
    1_700_086_400,
    [
      diskManifest('alpha-a0', 0, 3, { previousBackupId: alphaFull.backupId }),
      diskManifest('alpha-a1', 1, 4, {
        previousBackupId: alphaFull.backupId,
        forcedRescan: true,
        sourceFormat: 'vhd',
        identity: null,
      }),
    ],
    { expiresAt: 1_700_500_000 },
  );
  const betaFull = imageManifest('beta', 1_700_050_000, [diskManifest('beta-b0', 0, 5)], {
    vm: null,
    expiresAt: 1_700_100_000,
  });
  return [alphaFull, alphaIncr, betaFull];
}

function tableNames(file: string): string[] {
  const db = raw(file);
  try {
    return db
      .prepare<[], string>(`SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name`)
      .pluck()
      .all();
  } finally {
    db.close();
  }
}

function countRows(file: string, table: string): number {
  const db = raw(file);
  try {
    return db.prepare<[], number>(`SELECT count(*) FROM ${table}`).pluck().get() ?? -1;
  } finally {
    db.close();
  }
}

describe('schema and migrations', () => {
  it('creates the folder and the whole schema on an empty file, at the latest version', () => {
    const file = freshPath();
    expect(existsSync(path.dirname(file))).toBe(false);
    const catalog = Catalog.open(file);
    try {
      expect(SCHEMA_VERSION).toBe(MIGRATIONS.length);
      expect(SCHEMA_VERSION).toBe(2);
      expect(catalog.schemaVersion()).toBe(2);
    } finally {
      catalog.close();
    }
    expect(tableNames(file)).toEqual([
      'clients',
      'disks',
      'image_disks',
      'images',
      'job_logs',
      'jobs',
      'policies',
      'schedule_runs',
      'sources',
    ]);
    const db = raw(file);
    try {
      expect(db.pragma('user_version', { simple: true })).toBe(2);
      const indexes = db
        .prepare<[], string>(
          `SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL ORDER BY name`,
        )
        .pluck()
        .all();
      expect(indexes).toEqual(
        expect.arrayContaining(['images_by_client', 'image_disks_by_disk', 'job_logs_by_job']),
      );
      const imageDiskColumns = (
        db.pragma('table_info(image_disks)') as Array<{ name: string }>
      ).map((column) => column.name);
      expect(imageDiskColumns).toEqual([
        'backup_id',
        'position',
        'disk_id',
        'previous_backup_id',
        'virtual_size',
        'block_size',
        'block_count',
        'forced_rescan',
        'bytes_read',
        'blocks_changed',
        'blocks_unchanged',
        'blocks_zero',
        'bytes_stored',
        'bytes_deduplicated',
        'bytes_linked',
      ]);
      const cascades = (
        db.pragma('foreign_key_list(image_disks)') as Array<{ table: string; on_delete: string }>
      ).find((fk) => fk.table === 'images');
      expect(cascades?.on_delete).toBe('CASCADE');
    } finally {
      db.close();
    }
  });

  it('reopens an existing catalog without re-running migrations, keeping its data', () => {
    const file = freshPath();
    const [first] = fixtureManifests();
    const catalog = Catalog.open(file);
    catalog.recordImage(first!);
    catalog.close();
    catalog.close(); // closing twice is harmless

    const schemaBefore = raw(file);
    const before = schemaBefore.prepare(`SELECT type, name, sql FROM sqlite_master`).all();
    schemaBefore.close();

    for (let i = 0; i < 2; i++) {
      const again = Catalog.open(file);
      try {
        expect(again.schemaVersion()).toBe(SCHEMA_VERSION);
        expect(again.getImage(first!.backupId)?.disks).toHaveLength(2);
      } finally {
        again.close();
      }
    }
    const schemaAfter = raw(file);
    expect(schemaAfter.prepare(`SELECT type, name, sql FROM sqlite_master`).all()).toEqual(before);
    schemaAfter.close();
  });

  it('refuses a catalog from a newer Tessera and leaves it untouched', () => {
    const file = freshPath();
    Catalog.open(file).close();
    const db = raw(file);
    db.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    db.close();

    const error = expectCode(() => Catalog.open(file), 'CATALOG_TOO_NEW');
    expect(error.message).toContain(`schema version ${SCHEMA_VERSION + 1}`);
    expect(error.message).toContain(`up to ${SCHEMA_VERSION}`);

    const check = raw(file);
    expect(check.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION + 1);
    check.close();
  });

  it('rolls back a failing migration whole, leaving the previous version in place', () => {
    const file = path.join(dir, 'migrated-by-hand.db');
    const db = raw(file);
    try {
      expect(migrate(db, MIGRATIONS.slice(0, 1))).toBe(1);
      const broken = [
        ...MIGRATIONS.slice(0, 1),
        {
          version: 2,
          description: 'half-applied on purpose',
          up: `CREATE TABLE extra (x INTEGER); INSERT INTO no_such_table VALUES (1);`,
        },
      ];
      const error = expectCode(() => migrate(db, broken), 'CATALOG_CORRUPT');
      expect(error.message).toContain('migration 2 (half-applied on purpose)');
      expect(db.pragma('user_version', { simple: true })).toBe(1);
      const extra = db
        .prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'extra'`)
        .get();
      expect(extra).toBeUndefined();

      const fixed = [
        ...MIGRATIONS.slice(0, 1),
        { version: 2, description: 'extra', up: `CREATE TABLE extra (x INTEGER) STRICT;` },
      ];
      expect(migrate(db, fixed)).toBe(2);
      expect(migrate(db, fixed)).toBe(2); // already there: nothing to do
      expect(() => migrate(db, [fixed[1]!])).toThrow(/numbered 1, 2, 3/);
    } finally {
      db.close();
    }
  });

  it('reports a file that is not a database as CATALOG_CORRUPT', async () => {
    const garbage = path.join(dir, 'garbage.db');
    await writeFile(garbage, Buffer.alloc(8192, 0x5a));
    const error = expectCode(() => Catalog.open(garbage), 'CATALOG_CORRUPT');
    expect(error.message).toContain('tessera catalog rebuild');
  });

  it('runs in WAL mode', () => {
    const file = freshPath();
    const catalog = Catalog.open(file);
    try {
      catalog.recordImage(fixtureManifests()[0]!);
      expect(existsSync(`${file}-wal`)).toBe(true);
      const db = raw(file);
      // journal_mode=WAL is persistent: any connection to the file reports it.
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
      db.close();
    } finally {
      catalog.close();
    }
  });
});

describe('images', () => {
  it('records, gets and lists images of two clients with their disks', () => {
    const file = freshPath();
    const catalog = Catalog.open(file);
    try {
      const [alphaFull, alphaIncr, betaFull] = fixtureManifests() as [
        ImageManifest,
        ImageManifest,
        ImageManifest,
      ];
      for (const manifest of [alphaFull, alphaIncr, betaFull]) catalog.recordImage(manifest);

      const incr = catalog.getImage(alphaIncr.backupId);
      const expected: ImageRow = {
        backupId: 'alpha_1700086400',
        client: 'alpha',
        createdAt: 1_700_086_400,
        kind: 'accelerator',
        previousBackupId: 'alpha_1700000000',
        expiresAt: 1_700_500_000,
        vm: { name: 'alpha', generation: 2, memoryMiB: 4096 },
        diskCount: 2,
        bytesRead: 10 * MiB + 3 + 10 * MiB + 4,
        bytesStored: 3 * MiB + 3 + 3 * MiB + 4,
        disks: [
          {
            position: 0,
            diskKey: 'alpha-a0',
            name: 'alpha-a0.vhdx',
            sourcePath: '/vms/alpha-a0.vhdx',
            sourceFormat: 'vhdx',
            identity: 'guid-alpha-a0',
            previousBackupId: 'alpha_1700000000',
            virtualSize: 64 * MiB,
            blockSize: 2 * MiB,
            blockCount: 32,
            forcedRescan: false,
            bytesRead: 10 * MiB + 3,
            blocksChanged: 8,
            blocksUnchanged: 10,
            blocksZero: 17,
            bytesStored: 3 * MiB + 3,
            bytesDeduplicated: MiB + 3,
            bytesLinked: 14 * MiB + 3,
          },
          {
            position: 1,
            diskKey: 'alpha-a1',
            name: 'alpha-a1.vhdx',
            sourcePath: '/vms/alpha-a1.vhdx',
            sourceFormat: 'vhd',
            identity: null,
            previousBackupId: 'alpha_1700000000',
            virtualSize: 64 * MiB,
            blockSize: 2 * MiB,
            blockCount: 32,
            forcedRescan: true,
            bytesRead: 10 * MiB + 4,
            blocksChanged: 9,
            blocksUnchanged: 11,
            blocksZero: 16,
            bytesStored: 3 * MiB + 4,
            bytesDeduplicated: MiB + 4,
            bytesLinked: 14 * MiB + 4,
          },
        ],
      };
      expect(incr).toEqual(expected);

      const beta = catalog.getImage(betaFull.backupId);
      expect(beta?.kind).toBe('full');
      expect(beta?.vm).toBeNull();
      expect(beta?.previousBackupId).toBeNull();
      expect(beta?.disks.map((disk) => disk.diskKey)).toEqual(['beta-b0']);

      expect(catalog.getImage('nobody_1')).toBeNull();

      const all = catalog.listImages();
      expect(all.map((image) => image.backupId)).toEqual([
        'alpha_1700086400',
        'beta_1700050000',
        'alpha_1700000000',
      ]);
      expect(all[0]).toEqual(expected);
      expect(all.map((image) => image.disks.length)).toEqual([2, 1, 2]);

      expect(catalog.listImages({ client: 'alpha' }).map((image) => image.backupId)).toEqual([
        'alpha_1700086400',
        'alpha_1700000000',
      ]);
      expect(catalog.listImages({ client: 'beta' })).toEqual([beta]);
      expect(catalog.listImages({ client: 'gamma' })).toEqual([]);

      expect(catalog.listClients()).toEqual([
        {
          name: 'alpha',
          createdAt: 1_700_000_000,
          diskCount: 2,
          imageCount: 2,
          latestImageAt: 1_700_086_400,
        },
        {
          name: 'beta',
          createdAt: 1_700_050_000,
          diskCount: 1,
          imageCount: 1,
          latestImageAt: 1_700_050_000,
        },
      ]);
      expect(countRows(file, 'disks')).toBe(3);
      expect(countRows(file, 'image_disks')).toBe(5);
    } finally {
      catalog.close();
    }
  });

  it('finds the newest image of a disk, whatever the order images were recorded in', () => {
    const catalog = Catalog.open(freshPath());
    try {
      const older = imageManifest('gamma', 1000, [diskManifest('g0', 0, 1, { name: 'old.vhdx' })]);
      const newest = imageManifest('gamma', 3000, [
        diskManifest('g0', 0, 2, { name: 'renamed.vhdx', virtualSize: 128 * MiB }),
      ]);
      const middle = imageManifest('gamma', 2000, [diskManifest('g0', 0, 3, { name: 'mid.vhdx' })]);
      const other = imageManifest('gamma', 4000, [diskManifest('g1', 0, 4)]);

      expect(catalog.latestImageOfDisk('g0')).toBeNull();
      catalog.recordImage(older);
      expect(catalog.latestImageOfDisk('g0')).toEqual({ backupId: 'gamma_1000', createdAt: 1000 });
      catalog.recordImage(newest);
      catalog.recordImage(middle); // recorded late: must not become the base, nor rename the disk
      catalog.recordImage(other);
      expect(catalog.latestImageOfDisk('g0')).toEqual({ backupId: 'gamma_3000', createdAt: 3000 });
      expect(catalog.latestImageOfDisk('g1')).toEqual({ backupId: 'gamma_4000', createdAt: 4000 });
      expect(catalog.latestImageOfDisk('nope')).toBeNull();

      // The disk row follows the newest image, even in the listing of an older one.
      const middleRow = catalog.getImage('gamma_2000');
      expect(middleRow?.disks[0]?.name).toBe('renamed.vhdx');
      // The per-image size stays the image's own.
      expect(middleRow?.disks[0]?.virtualSize).toBe(64 * MiB);
      expect(catalog.getImage('gamma_3000')?.disks[0]?.virtualSize).toBe(128 * MiB);

      catalog.deleteImage('gamma_3000');
      expect(catalog.latestImageOfDisk('g0')).toEqual({ backupId: 'gamma_2000', createdAt: 2000 });
    } finally {
      catalog.close();
    }
  });

  it('refuses a second, different image under the same backup ID, and accepts an identical one', () => {
    const file = freshPath();
    const catalog = Catalog.open(file);
    try {
      const [first] = fixtureManifests() as [ImageManifest];
      catalog.recordImage(first);
      const before = catalog.getImage(first.backupId);

      catalog.recordImage(structuredClone(first)); // same content: a no-op
      expect(catalog.getImage(first.backupId)).toEqual(before);
      expect(countRows(file, 'image_disks')).toBe(2);

      const changedDisk = first.disks[1]!;
      const changed: ImageManifest = {
        ...first,
        disks: [
          first.disks[0]!,
          { ...changedDisk, stats: { ...changedDisk.stats, bytesStored: 1 } },
        ],
      };
      const error = expectCode(() => catalog.recordImage(changed), 'CATALOG_CONFLICT');
      expect(error.message).toContain('alpha_1700000000');
      expect(error.message).toContain('bytes_stored');

      expectCode(() => catalog.recordImage({ ...first, expiresAt: 5 }), 'CATALOG_CONFLICT');
      expectCode(
        () => catalog.recordImage({ ...first, disks: first.disks.slice(0, 1) }),
        'CATALOG_CONFLICT',
      );
      expect(catalog.getImage(first.backupId)).toEqual(before);
    } finally {
      catalog.close();
    }
  });

  it('refuses malformed manifests without recording anything', () => {
    const file = freshPath();
    const catalog = Catalog.open(file);
    try {
      const good = imageManifest('delta', 100, [
        diskManifest('d0', 0, 1),
        diskManifest('d1', 1, 2),
      ]);
      const cases: ImageManifest[] = [
        { ...good, backupId: 'delta-100' },
        { ...good, client: 'epsilon' },
        { ...good, disks: [good.disks[0]!, { ...good.disks[1]!, position: 0 }] },
        { ...good, disks: [good.disks[0]!, { ...good.disks[1]!, diskKey: 'd0' }] },
        { ...good, disks: [{ ...good.disks[0]!, blockSize: 0 }] },
        {
          ...good,
          disks: [{ ...good.disks[0]!, stats: { ...good.disks[0]!.stats, bytesRead: 1.5 } }],
        },
      ];
      for (const bad of cases) expectCode(() => catalog.recordImage(bad), 'BAD_REQUEST');
      expect(countRows(file, 'images')).toBe(0);
      expect(countRows(file, 'clients')).toBe(0);
      expect(countRows(file, 'disks')).toBe(0);
    } finally {
      catalog.close();
    }
  });

  it('deletes an image together with its per-disk rows, keeping clients and disks', () => {
    const file = freshPath();
    const catalog = Catalog.open(file);
    try {
      for (const manifest of fixtureManifests()) catalog.recordImage(manifest);
      expect(countRows(file, 'image_disks')).toBe(5);

      expect(catalog.deleteImage('alpha_1700086400')).toBe(true);
      expect(catalog.getImage('alpha_1700086400')).toBeNull();
      expect(countRows(file, 'image_disks')).toBe(3);
      const db = raw(file);
      expect(
        db
          .prepare(`SELECT count(*) AS n FROM image_disks WHERE backup_id = ?`)
          .get('alpha_1700086400'),
      ).toEqual({ n: 0 });
      db.close();
      expect(countRows(file, 'disks')).toBe(3);
      expect(catalog.latestImageOfDisk('alpha-a0')?.backupId).toBe('alpha_1700000000');

      expect(catalog.deleteImage('alpha_1700086400')).toBe(false);
      expect(catalog.deleteImage('alpha_1700000000')).toBe(true);
      expect(catalog.listClients().find((client) => client.name === 'alpha')).toEqual({
        name: 'alpha',
        createdAt: 1_700_000_000,
        diskCount: 2,
        imageCount: 0,
        latestImageAt: null,
      });
    } finally {
      catalog.close();
    }
  });

  it('lists expired images and lets their expiry change', () => {
    const catalog = Catalog.open(freshPath());
    try {
      for (const manifest of fixtureManifests()) catalog.recordImage(manifest);
      // beta expires at 1_700_100_000, alpha's incremental at 1_700_500_000, alpha's full never.
      expect(catalog.expiredImages(1_700_099_999)).toEqual([]);
      expect(catalog.expiredImages(1_700_100_000)).toEqual(['beta_1700050000']);
      expect(catalog.expiredImages(1_800_000_000)).toEqual(['beta_1700050000', 'alpha_1700086400']);

      catalog.setExpiry('alpha_1700000000', 1_700_000_001);
      catalog.setExpiry('beta_1700050000', null);
      expect(catalog.getImage('alpha_1700000000')?.expiresAt).toBe(1_700_000_001);
      expect(catalog.getImage('beta_1700050000')?.expiresAt).toBeNull();
      expect(catalog.expiredImages(1_800_000_000)).toEqual([
        'alpha_1700000000',
        'alpha_1700086400',
      ]);

      expectCode(() => catalog.setExpiry('nobody_1', 5), 'CATALOG_NOT_FOUND');
      expectCode(() => catalog.setExpiry('alpha_1700000000', -1), 'BAD_REQUEST');
    } finally {
      catalog.close();
    }
  });
});

describe('rebuild from manifests', () => {
  it('replaceAll reproduces the rows recorded one by one, and keeps the jobs', () => {
    const manifests = [
      ...fixtureManifests(),
      imageManifest('gamma', 1000, [diskManifest('g0', 0, 1, { name: 'old.vhdx' })]),
      imageManifest('gamma', 3000, [diskManifest('g0', 0, 2, { name: 'new.vhdx' })]),
    ];
    const original = Catalog.open(freshPath());
    const rebuilt = Catalog.open(freshPath(), { now: () => 42 });
    try {
      for (const manifest of manifests) original.recordImage(manifest);

      // The catalog to rebuild holds jobs, and image rows that are no longer in the store.
      const job = rebuilt.createJob({ kind: 'backup', client: 'alpha' });
      rebuilt.appendLog(job, 'info', 'kept across a rebuild');
      rebuilt.recordImage(imageManifest('stale', 5, [diskManifest('s0', 0, 1)]));
      rebuilt.recordImage(
        imageManifest('alpha', 1_700_000_000, [diskManifest('alpha-a0', 0, 9)]), // differs
      );

      // Reverse order and a duplicate: the result does not depend on either.
      const result = rebuilt.replaceAll([...manifests].reverse().concat([manifests[0]!]));
      expect(result).toEqual({ images: manifests.length });

      expect(rebuilt.listImages()).toEqual(original.listImages());
      expect(rebuilt.listClients()).toEqual(original.listClients());
      for (const manifest of manifests)
        expect(rebuilt.getImage(manifest.backupId)).toEqual(original.getImage(manifest.backupId));
      expect(rebuilt.getImage('stale_5')).toBeNull();
      expect(rebuilt.getImage('gamma_1000')?.disks[0]?.name).toBe('new.vhdx');

      expect(rebuilt.getJob(job)?.client).toBe('alpha');
      expect(rebuilt.jobLog(job).map((line) => line.message)).toEqual(['kept across a rebuild']);
    } finally {
      original.close();
      rebuilt.close();
    }
  });

  it('changes nothing when one manifest in the rebuild conflicts', () => {
    const catalog = Catalog.open(freshPath());
    try {
      const manifests = fixtureManifests();
      for (const manifest of manifests) catalog.recordImage(manifest);
      const before = catalog.listImages();
      const clash = imageManifest('alpha', 1_700_000_000, [diskManifest('alpha-a0', 0, 9)]);
      expectCode(() => catalog.replaceAll([...manifests, clash]), 'CATALOG_CONFLICT');
      expect(catalog.listImages()).toEqual(before);

      expect(catalog.replaceAll([])).toEqual({ images: 0 });
      expect(catalog.listImages()).toEqual([]);
      expect(catalog.listClients()).toEqual([]);
    } finally {
      catalog.close();
    }
  });
});

describe('jobs', () => {
  it('records compound jobs with children, states, status codes, detail and logs', () => {
    let clock = 1_000_000;
    const file = freshPath();
    const catalog = Catalog.open(file, { now: () => clock });
    try {
      const parent = catalog.createJob({ kind: 'compound', detail: { policy: 'nightly' } });
      clock += 10;
      const discovery = catalog.createJob({ kind: 'discovery', parentId: parent });
      clock += 10;
      const backup = catalog.createJob({
        kind: 'backup',
        parentId: parent,
        client: 'alpha',
        backupId: 'alpha_1700000000',
      });
      const unrelated = catalog.createJob({ kind: 'gc' });

      expect(catalog.getJob(parent)).toEqual({
        id: parent,
        parentId: null,
        kind: 'compound',
        client: null,
        backupId: null,
        state: 'running',
        statusCode: null,
        startedAt: 1_000_000,
        endedAt: null,
        detail: { policy: 'nightly' },
        policy: null,
      });

      catalog.appendLog(backup, 'info', 'reading alpha-a0.vhdx');
      clock += 5;
      catalog.appendLog(backup, 'warning', 'forced rescan: no track log');
      catalog.appendLog(discovery, 'info', 'found 1 VM');
      clock += 5;
      catalog.appendLog(backup, 'error', 'disk alpha-a1 unreadable');

      catalog.finishJob(discovery, { state: 'done', statusCode: 0 });
      clock += 100;
      catalog.finishJob(backup, {
        state: 'failed',
        statusCode: 13,
        detail: { failedDisk: 'alpha-a1' },
      });
      catalog.finishJob(parent, { state: 'failed', statusCode: 1 });

      expect(catalog.getJob(discovery)).toMatchObject({
        state: 'done',
        statusCode: 0,
        startedAt: 1_000_010,
        endedAt: 1_000_030,
        detail: null,
      });
      expect(catalog.getJob(backup)).toMatchObject({
        parentId: parent,
        client: 'alpha',
        backupId: 'alpha_1700000000',
        state: 'failed',
        statusCode: 13,
        endedAt: 1_000_130,
        detail: { failedDisk: 'alpha-a1' },
      });
      // A finish without detail keeps the detail given at creation.
      expect(catalog.getJob(parent)?.detail).toEqual({ policy: 'nightly' });

      expect(catalog.listJobs().map((job) => job.id)).toEqual([
        unrelated,
        backup,
        discovery,
        parent,
      ]);
      expect(catalog.listJobs({ limit: 2 }).map((job) => job.id)).toEqual([unrelated, backup]);
      expect(catalog.listJobs({ parentId: parent }).map((job) => job.id)).toEqual([
        backup,
        discovery,
      ]);
      expect(catalog.listJobs({ parentId: null }).map((job) => job.id)).toEqual([
        unrelated,
        parent,
      ]);
      expect(catalog.listJobs({ parentId: unrelated })).toEqual([]);

      const log = catalog.jobLog(backup);
      expect(log.map(({ level, message, at, jobId }) => ({ level, message, at, jobId }))).toEqual([
        { level: 'info', message: 'reading alpha-a0.vhdx', at: 1_000_020, jobId: backup },
        { level: 'warning', message: 'forced rescan: no track log', at: 1_000_025, jobId: backup },
        { level: 'error', message: 'disk alpha-a1 unreadable', at: 1_000_030, jobId: backup },
      ]);
      expect(catalog.jobLog(discovery).map((line) => line.message)).toEqual(['found 1 VM']);
      expect(catalog.jobLog(unrelated)).toEqual([]);

      expectCode(
        () => catalog.finishJob(backup, { state: 'done', statusCode: 0 }),
        'CATALOG_CONFLICT',
      );
      expectCode(
        () => catalog.finishJob(9999, { state: 'done', statusCode: 0 }),
        'CATALOG_NOT_FOUND',
      );
      expectCode(() => catalog.appendLog(9999, 'info', 'x'), 'CATALOG_NOT_FOUND');
      expectCode(() => catalog.createJob({ kind: 'backup', parentId: 9999 }), 'CATALOG_NOT_FOUND');
      expectCode(() => catalog.createJob({ kind: 'launch-missiles' as 'backup' }), 'BAD_REQUEST');
      expectCode(
        () => catalog.finishJob(unrelated, { state: 'running' as 'done', statusCode: 0 }),
        'BAD_REQUEST',
      );
      expectCode(() => catalog.appendLog(unrelated, 'debug' as 'info', 'x'), 'BAD_REQUEST');
      expect(countRows(file, 'jobs')).toBe(4);
      expect(countRows(file, 'job_logs')).toBe(4);
    } finally {
      catalog.close();
    }
  });
});

describe('two connections on one file', () => {
  it('each sees what the other committed', () => {
    const file = freshPath();
    const a = Catalog.open(file);
    const b = Catalog.open(file);
    try {
      const [alphaFull, alphaIncr] = fixtureManifests() as [ImageManifest, ImageManifest];
      a.recordImage(alphaFull);
      expect(b.getImage(alphaFull.backupId)).toEqual(a.getImage(alphaFull.backupId));

      b.recordImage(alphaIncr);
      expect(a.latestImageOfDisk('alpha-a0')?.backupId).toBe(alphaIncr.backupId);

      const jobA = a.createJob({ kind: 'verify' });
      const jobB = b.createJob({ kind: 'expire' });
      expect(jobB).not.toBe(jobA);
      b.finishJob(jobA, { state: 'done', statusCode: 0 });
      expect(a.getJob(jobA)?.state).toBe('done');
      expect(a.listJobs().map((job) => job.id)).toEqual([jobB, jobA]);

      // The same backup ID recorded from the other connection is still one image.
      expectCode(() => b.recordImage({ ...alphaFull, expiresAt: 1 }), 'CATALOG_CONFLICT');
    } finally {
      a.close();
      b.close();
    }
  });

  it('writes without waiting while a reader holds an open snapshot (WAL)', () => {
    const file = freshPath();
    const catalog = Catalog.open(file);
    const reader = raw(file);
    try {
      const [alphaFull, alphaIncr] = fixtureManifests() as [ImageManifest, ImageManifest];
      catalog.recordImage(alphaFull);
      const count = reader.prepare<[], number>(`SELECT count(*) FROM images`).pluck();

      reader.exec('BEGIN');
      expect(count.get()).toBe(1); // the read transaction now holds its snapshot

      const started = Date.now();
      catalog.recordImage(alphaIncr); // a rollback journal would block here until the timeout
      expect(Date.now() - started).toBeLessThan(2000);

      expect(count.get()).toBe(1); // still the old snapshot
      reader.exec('COMMIT');
      expect(count.get()).toBe(2);
    } finally {
      reader.close();
      catalog.close();
    }
  });
});
