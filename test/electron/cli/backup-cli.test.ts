/**
 * The backup commands as a user runs them: the real `tessera` entry point in a child process,
 * against a storage unit in a scratch directory and VHDX disks made by qemu-img/qemu-io.
 * The tests of the first describe build on each other (one store, one VM), in order.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyFile, mkdir, open, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { ImageRow } from '../../../electron/engine/catalog/types.js';
import type { GcReport } from '../../../electron/engine/store/gc.js';
import type { ImageManifest } from '../../../electron/engine/store/manifest.js';
import type { VerifyReport } from '../../../electron/engine/store/verify.js';
import { MiB, qemuVhdx, qemuWrites, seededWrites } from '../../fixtures/vhdx-images.js';
import { tessera, type CliResult } from '../../helpers/cli.js';
import { scratchDir, seededBytes } from '../../helpers/scratch.js';
import { qemuImg } from '../../helpers/tools.js';

const KiB = 1024;
const BLOCK = 64 * KiB;

let dir: string;
let cleanup: () => Promise<void>;
let store: string;
let disk: string;

beforeAll(async () => {
  ({ dir, cleanup } = await scratchDir('tessera-backup-cli-'));
  store = path.join(dir, 'store');
  // Random (incompressible) data, so blocks sit in the packs byte for byte.
  disk = await qemuVhdx(
    dir,
    'web01.vhdx',
    48 * MiB,
    seededWrites([
      [0, 4 * MiB, 1],
      [20 * MiB, 6 * MiB, 2],
    ]),
  );
});
afterAll(() => cleanup());

/** `tessera <args> --store <store>`. */
const run = (...args: string[]): Promise<CliResult> => tessera([...args, '--store', store]);

/** Runs a command with --json, expects exit 0, and parses its output. */
async function runJson<T>(...args: string[]): Promise<T> {
  const result = await run(...args, '--json');
  expect(result.code, result.stderr).toBe(0);
  return JSON.parse(result.stdout) as T;
}

const listImages = (): Promise<ImageRow[]> => runJson<ImageRow[]>('images');
const storeImageDirs = async (): Promise<string[]> =>
  (await readdir(path.join(store, 'images'))).sort();

async function packFiles(): Promise<string[]> {
  const root = path.join(store, 'packs');
  const files: string[] = [];
  for (const sub of await readdir(root)) {
    for (const name of await readdir(path.join(root, sub))) files.push(path.join(root, sub, name));
  }
  return files;
}

async function compare(formatA: string, a: string, formatB: string, b: string): Promise<void> {
  await qemuImg('compare', '-q', '-f', formatA, '-F', formatB, a, b);
}

describe('tessera backup, images, restore, verify, expire, gc, catalog rebuild', () => {
  let first: ImageManifest;
  let second: ImageManifest;
  /** The disk as the first backup saw it. */
  let atFirst: string;

  it('backs up a VHDX in full, then Accelerator stores only the blocks qemu-io changed', async () => {
    first = await runJson<ImageManifest>('backup', disk);
    expect(first).toMatchObject({ client: 'web01', kind: 'full', previousBackupId: null });
    expect(first.backupId).toMatch(/^web01_\d+$/);
    expect(first.disks).toHaveLength(1);
    expect(first.disks[0]).toMatchObject({
      position: 0,
      name: 'web01.vhdx',
      sourceFormat: 'vhdx',
      virtualSize: 48 * MiB,
      blockSize: BLOCK,
      previousBackupId: null,
      forcedRescan: false,
      changedExtents: [
        [0, 4 * MiB],
        [20 * MiB, 6 * MiB],
      ],
    });
    expect(first.disks[0]!.stats).toMatchObject({
      blocksChanged: (10 * MiB) / BLOCK,
      blocksUnchanged: 0,
      blocksZero: (38 * MiB) / BLOCK,
      bytesStored: 10 * MiB, // random data does not compress: stored as it is
      bytesLinked: 0,
    });
    expect(await storeImageDirs()).toEqual([first.backupId]);

    atFirst = path.join(dir, 'web01-at-first.vhdx');
    await copyFile(disk, atFirst);
    await qemuWrites(
      dir,
      disk,
      'vhdx',
      seededWrites([
        [MiB, 4 * KiB, 3],
        [30 * MiB, 128 * KiB, 4],
      ]),
    );

    second = await runJson<ImageManifest>('backup', disk);
    expect(second).toMatchObject({
      client: 'web01',
      kind: 'accelerator',
      previousBackupId: first.backupId,
    });
    expect(second.backupId).not.toBe(first.backupId);
    const changed = second.disks[0]!;
    expect(changed.previousBackupId).toBe(first.backupId);
    expect(changed.changedExtents).toEqual([
      [MiB, BLOCK],
      [30 * MiB, 2 * BLOCK],
    ]);
    expect(changed.stats).toMatchObject({
      blocksChanged: 3,
      blocksUnchanged: (10 * MiB) / BLOCK - 1,
      bytesStored: 3 * BLOCK,
      bytesLinked: 10 * MiB - BLOCK,
    });
    expect(await storeImageDirs()).toEqual([first.backupId, second.backupId].sort());
    expect(await readdir(path.join(store, 'tmp'))).toEqual([]);
  });

  it('images --json lists both, newest first, as their manifests say; images prints a line each', async () => {
    const images = await listImages();
    expect(images.map((i) => i.backupId)).toEqual([second.backupId, first.backupId]);
    for (const [row, manifest] of [
      [images[0]!, second],
      [images[1]!, first],
    ] as const) {
      expect(row).toMatchObject({
        client: 'web01',
        createdAt: manifest.createdAt,
        kind: manifest.kind,
        previousBackupId: manifest.previousBackupId,
        expiresAt: null,
        diskCount: 1,
        bytesStored: manifest.disks[0]!.stats.bytesStored,
        bytesRead: manifest.disks[0]!.stats.bytesRead,
      });
      expect(row.disks[0]).toMatchObject({
        position: 0,
        name: 'web01.vhdx',
        virtualSize: 48 * MiB,
        blocksChanged: manifest.disks[0]!.stats.blocksChanged,
      });
    }

    const human = await run('images');
    expect(human.code, human.stderr).toBe(0);
    const lines = human.stdout.trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(new RegExp(`^${second.backupId} .* accelerator .*1 disk\\(s\\)`));
    expect(lines[1]).toMatch(new RegExp(`^${first.backupId} .* full .*stored 10\\.0 MiB`));

    // TESSERA_STORE stands in for --store.
    const fromEnv = await tessera(['images', '--json'], { env: { TESSERA_STORE: store } });
    expect(fromEnv.code, fromEnv.stderr).toBe(0);
    expect(JSON.parse(fromEnv.stdout)).toEqual(images);
  });

  it('restores each image as VHDX and raw, equal to the disk at its backup (qemu-img compare)', async () => {
    const vhdxDir = path.join(dir, 'restore-vhdx');
    const restored = await runJson<{ backupId: string; disks: { path: string }[] }>(
      'restore',
      second.backupId,
      '--to',
      vhdxDir,
      '--format',
      'vhdx',
    );
    const vhdx = path.join(vhdxDir, 'web01.vhdx');
    // The restore is a whole-VM restore now: a job, each disk's format and identity, notes.
    expect(restored).toMatchObject({
      backupId: second.backupId,
      disks: [{ position: 0, path: vhdx, virtualSize: 48 * MiB, format: 'vhdx' }],
      configPath: null,
    });
    await compare('vhdx', disk, 'vhdx', vhdx);

    const rawDir = path.join(dir, 'restore-raw');
    const human = await run('restore', first.backupId, '--to', rawDir, '--format', 'raw');
    expect(human.code, human.stderr).toBe(0);
    const raw = path.join(rawDir, 'web01.raw');
    expect(human.stdout).toContain(`restored disk 0 to ${raw} (48.0 MiB)`);
    await compare('vhdx', atFirst, 'raw', raw);
    // The first image is the disk before the qemu-io writes, not after.
    await expect(compare('vhdx', disk, 'raw', raw)).rejects.toThrow();
  });

  it('verify --all passes; a damaged block in a pack fails it with exit 6, naming disk and offset', async () => {
    const good = await run('verify', '--all');
    expect(good.code, good.stderr).toBe(0);
    expect(good.stdout).toContain(`${first.backupId}: 160 blocks (10.0 MiB) checked, all good`);
    expect(good.stdout).toContain(`${second.backupId}: 162 blocks`);

    // The block at 21 MiB is in both images; random data is stored as it is, so find it.
    const offset = 21 * MiB;
    const content = seededBytes(2, 6 * MiB).subarray(MiB, MiB + BLOCK);
    let pack = '';
    let at = -1;
    for (const file of await packFiles()) {
      at = (await readFile(file)).indexOf(content);
      if (at >= 0) {
        pack = file;
        break;
      }
    }
    expect(at, 'the block is in a pack').toBeGreaterThan(0);
    const handle = await open(pack, 'r+');
    const byte = Buffer.alloc(1);
    try {
      await handle.read(byte, 0, 1, at + 1000);
      await handle.write(Buffer.from([byte[0]! ^ 0xff]), 0, 1, at + 1000);

      const bad = await run('verify', '--all');
      expect(bad.code, bad.stderr).toBe(6);
      for (const id of [first.backupId, second.backupId]) {
        expect(bad.stdout).toContain(`${id}:`);
      }
      expect(bad.stdout).toContain(`disk 0 (web01.vhdx) at offset ${offset}: BLOCK_DAMAGED`);
      expect(bad.stdout).toContain('does not match its digest');

      const json = await run('verify', second.backupId, '--json');
      expect(json.code).toBe(6);
      const report = JSON.parse(json.stdout) as { ok: boolean; images: VerifyReport[] };
      expect(report.ok).toBe(false);
      expect(report.images[0]!.problems).toEqual([
        expect.objectContaining({
          backupId: second.backupId,
          position: 0,
          disk: 'web01.vhdx',
          offset,
          code: 'BLOCK_DAMAGED',
        }),
      ]);

      // A restore reads the same block: it fails (store damaged) and leaves no partial disk.
      const target = path.join(dir, 'restore-damaged');
      const restore = await run('restore', second.backupId, '--to', target, '--format', 'raw');
      expect(restore.code).toBe(5);
      expect(restore.stderr).toContain('BLOCK_DAMAGED');
      expect(await readdir(target).catch(() => [])).toEqual([]);
    } finally {
      await handle.write(byte, 0, 1, at + 1000);
      await handle.close();
    }
    const repaired = await run('verify', '--all');
    expect(repaired.code, repaired.stdout).toBe(0);
  });

  it('catalog rebuild after catalog.db is lost gives back the same images --json', async () => {
    const before = await listImages();
    expect(before).toHaveLength(2);
    for (const suffix of ['', '-wal', '-shm']) {
      await rm(path.join(store, `catalog.db${suffix}`), { force: true });
    }
    const empty = await run('images');
    expect(empty.code, empty.stderr).toBe(0);
    expect(empty.stdout).toContain('tessera catalog rebuild');

    const rebuilt = await run('catalog', 'rebuild');
    expect(rebuilt.code, rebuilt.stderr).toBe(0);
    expect(rebuilt.stdout).toContain('catalog rebuilt from the storage unit: 2 images');
    expect(await listImages()).toEqual(before);
  });

  it('expire <id> then gc reclaims what only the expired images held; the later image restores', async () => {
    // Overwrite what the second backup stored, so its blocks (a pack of their own) die with it.
    await qemuWrites(
      dir,
      disk,
      'vhdx',
      seededWrites([
        [MiB, 4 * KiB, 5],
        [30 * MiB, 128 * KiB, 6],
      ]),
    );
    const third = await runJson<ImageManifest>('backup', disk);
    expect(third.disks[0]!.stats).toMatchObject({ blocksChanged: 3, bytesStored: 3 * BLOCK });
    const packsBefore = (await packFiles()).length;

    const expired = await run('expire', first.backupId, second.backupId);
    expect(expired.code, expired.stderr).toBe(0);
    expect(expired.stdout.trim()).toBe(`expired ${first.backupId}, ${second.backupId}`);
    expect(await storeImageDirs()).toEqual([third.backupId]);
    expect((await listImages()).map((i) => i.backupId)).toEqual([third.backupId]);

    const gc = await runJson<GcReport>('gc');
    // The second image's 3 blocks go with their pack; the first image's one old block stays in
    // its big pack (below the repack threshold) until more of that pack is dead.
    expect(gc).toMatchObject({
      liveImages: 1,
      liveBlocks: third.disks[0]!.stats.blocksChanged + third.disks[0]!.stats.blocksUnchanged,
      packsDeleted: 1,
      packsRepacked: 0,
      blocksRemoved: 3,
    });
    expect(gc.bytesReclaimed).toBeGreaterThan(3 * BLOCK);
    expect(await packFiles()).toHaveLength(packsBefore - 1);

    const target = path.join(dir, 'restore-after-gc');
    await runJson('restore', third.backupId, '--to', target, '--format', 'vhdx');
    await compare('vhdx', disk, 'vhdx', path.join(target, 'web01.vhdx'));
    const verify = await run('verify', '--all');
    expect(verify.code, verify.stdout).toBe(0);

    const gone = await run('restore', second.backupId, '--to', path.join(dir, 'gone'));
    expect(gone.code).toBe(2);
    expect(gone.stderr).toContain(`no image ${second.backupId}`);
  });

  it('--forced-rescan hashes every block again, stores nothing new, and says so in the image', async () => {
    const rescan = await runJson<ImageManifest>('backup', disk, '--forced-rescan');
    const dataBlocks = (10 * MiB + 2 * BLOCK) / BLOCK;
    expect(rescan).toMatchObject({ kind: 'full', previousBackupId: null });
    expect(rescan.disks[0]).toMatchObject({ forcedRescan: true, previousBackupId: null });
    expect(rescan.disks[0]!.stats).toMatchObject({
      blocksChanged: dataBlocks,
      blocksUnchanged: 0,
      bytesStored: 0,
      bytesDeduplicated: dataBlocks * BLOCK,
    });
    const [row] = await listImages();
    expect(row).toMatchObject({ backupId: rescan.backupId, kind: 'full' });
    expect(row!.disks[0]!.forcedRescan).toBe(true);
  });

  it('--retention 1d gives the image an expiry that images shows; expire leaves it alone', async () => {
    const kept = await runJson<ImageManifest>('backup', disk, '--retention', '1d');
    expect(kept.kind).toBe('accelerator');
    expect(kept.expiresAt).toBe(kept.createdAt + 86400);
    const [row] = await listImages();
    expect(row).toMatchObject({ backupId: kept.backupId, expiresAt: kept.createdAt + 86400 });
    const human = await run('images');
    const day = new Date((kept.createdAt + 86400) * 1000).toISOString().slice(0, 10);
    expect(human.stdout.split('\n')[0]).toMatch(
      new RegExp(`^${kept.backupId} .*, expires ${day}$`),
    );
    const expire = await run('expire');
    expect(expire.code, expire.stderr).toBe(0);
    expect(expire.stdout.trim()).toBe('no images to expire');
    expect(await storeImageDirs()).toContain(kept.backupId);
  });
});

describe('tessera backup commands refuse bad input', () => {
  /** Every check below must leave the storage unit as it was. */
  async function expectStoreUnchanged(work: () => Promise<void>): Promise<void> {
    const before = await storeImageDirs();
    await work();
    expect(await storeImageDirs()).toEqual(before);
    expect(await readdir(path.join(store, 'tmp'))).toEqual([]);
  }

  it('an unknown backup ID: exit 2 and a message naming it', async () => {
    const restore = await run('restore', 'web01_123', '--to', path.join(dir, 'x'));
    expect(restore.code).toBe(2);
    expect(restore.stderr).toContain('no image web01_123 in this storage unit [IMAGE_NOT_FOUND]');
    const malformed = await run('restore', 'not-an-id', '--to', path.join(dir, 'x'));
    expect(malformed.code).toBe(2);
    expect(malformed.stderr).toContain('"not-an-id" is not a backup ID');
    const expire = await run('expire', 'web01_123');
    expect(expire.code).toBe(2);
    expect(expire.stderr).toContain('no image web01_123 [IMAGE_NOT_FOUND]');
  });

  it('verify of an unknown backup ID: exit 2, not "verify found damage" (6)', async () => {
    const verify = await run('verify', 'web01_123');
    expect(verify.stdout + verify.stderr).toContain('no image web01_123');
    expect(verify.code).toBe(2);
  });

  it('a missing disk file: exit 4, the path in the message, no image', async () => {
    await expectStoreUnchanged(async () => {
      const missing = path.join(dir, 'nope.vhdx');
      const result = await run('backup', missing);
      expect(result.code).toBe(4);
      expect(result.stderr).toContain(missing);
      expect(result.stderr).toContain('[DISK_IO]');
    });
  });

  it('a corrupt VHDX: exit 3, no image', async () => {
    await expectStoreUnchanged(async () => {
      const fake = path.join(dir, 'broken.vhdx');
      await writeFile(fake, seededBytes(9, 2 * MiB));
      const result = await run('backup', fake);
      expect(result.code).toBe(3);
      expect(result.stderr).toContain('DISK_BAD_SIGNATURE');
    });
  });

  it.each([
    [['--block-size', 'big'], '--block-size "big" is not a size'],
    [['--block-size', '3K'], 'must be a power of two from 4 KiB to 8 MiB'],
    [['--block-size', '16M'], 'must be a power of two from 4 KiB to 8 MiB'],
    [['--hosts', '0'], '--hosts must be a whole number from 1 to 64'],
    [['--hosts', 'many'], '--hosts must be a whole number from 1 to 64'],
    [['--retention', 'forever'], '--retention "forever" is not a duration'],
    [['--source-format', 'qcow2'], '--source-format must be one of raw, vhd, vhdx'],
  ])('backup %j: exit 2, the option named, no image', async (options, message) => {
    await expectStoreUnchanged(async () => {
      const result = await run('backup', disk, ...options);
      expect(result.code).toBe(2);
      expect(result.stderr).toContain(message);
      expect(result.stderr).toContain('[BAD_REQUEST]');
    });
  });

  it('images --store on a directory that is no storage unit: exit 2, STORE_NOT_FOUND, untouched', async () => {
    const notStore = path.join(dir, 'not-a-store');
    await mkdir(notStore);
    await writeFile(path.join(notStore, 'notes.txt'), 'hello');
    const result = await tessera(['images', '--store', notStore]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('no Tessera storage unit here');
    expect(result.stderr).toContain('[STORE_NOT_FOUND]');
    expect(await readdir(notStore)).toEqual(['notes.txt']);

    const absent = path.join(dir, 'no-such-dir');
    const missing = await tessera(['images', '--store', absent]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('[STORE_NOT_FOUND]');
    await expect(readdir(absent)).rejects.toThrow();
  });
});
