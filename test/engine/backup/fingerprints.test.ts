import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createHash, randomBytes } from 'node:crypto';
import { access, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { backupVm, type BackupResult } from '../../../electron/engine/backup/backup-vm.js';
import { FINGERPRINT_BYTES, fingerprinter } from '../../../electron/engine/backup/fingerprint.js';
import { removeSnapshots, TrackLogs } from '../../../electron/engine/backup/track-log.js';
import { Catalog } from '../../../electron/engine/catalog/catalog.js';
import { restoreImage } from '../../../electron/engine/restore/restore-image.js';
import { Store } from '../../../electron/engine/store/store.js';
import { scratchDir } from '../../helpers/scratch.js';
import { qemuImg } from '../../helpers/tools.js';
import { MiB, qemuRaw, qemuVhdx, qemuWrites, seededWrites } from '../../fixtures/vhdx-images.js';

const BLOCK = 64 * 1024;

describe('Accelerator backups compare block fingerprints', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let store: Store;
  let catalog: Catalog;
  let disk: string;
  let clock: number;

  beforeEach(async () => {
    ({ dir, cleanup } = await scratchDir());
    disk = await qemuVhdx(
      dir,
      'vm.vhdx',
      24 * MiB + 7 * 512,
      seededWrites([
        [0, 2 * MiB, 1],
        [10 * MiB, 6 * MiB, 2],
      ]),
    );
    store = await Store.open(path.join(dir, 'store'), { create: true });
    catalog = Catalog.open(store.layout.catalog);
    clock = 1_700_000_000;
  });
  afterEach(async () => {
    catalog.close();
    await store.close();
    await cleanup();
  });

  const backup = (): Promise<BackupResult> =>
    backupVm({ store, catalog, client: 'vm', disks: [{ path: disk }], now: () => clock++ });
  const logOf = (result: BackupResult): string =>
    catalog
      .jobLog(result.jobId)
      .map((line) => line.message)
      .join('\n');
  const trackFiles = async (suffix: string): Promise<string[]> =>
    (await readdir(store.layout.trackLogs))
      .filter((name) => name.endsWith(suffix))
      .map((name) => path.join(store.layout.trackLogs, name));
  const change = (): Promise<void> =>
    qemuWrites(
      dir,
      disk,
      'vhdx',
      seededWrites([
        [MiB + 4096, 4096, 3],
        [12 * MiB, 3 * BLOCK, 4],
      ]),
    );
  const expectRestores = async (result: BackupResult): Promise<void> => {
    const out = path.join(dir, `restore-${result.manifest.backupId}`);
    await restoreImage({ store, backupId: result.manifest.backupId, toDir: out, format: 'raw' });
    await qemuImg('compare', '-f', 'vhdx', '-F', 'raw', disk, path.join(out, 'vm.raw'));
  };

  it('keeps the fingerprint of every data block and finds exactly the changed blocks by them', async () => {
    const first = await backup();
    const [fingerprintFile] = await trackFiles('.fingerprints');
    const fingerprints = await readFile(fingerprintFile!);
    const fingerprintOf = fingerprinter()!;
    const raw = await readFile(await qemuRaw(disk, 'vhdx', dir));
    expect(fingerprints.byteLength).toBe(Math.ceil(raw.byteLength / BLOCK) * FINGERPRINT_BYTES);
    for (const block of [0, 31, 32, 160, 255, 383]) {
      const data = raw.subarray(block * BLOCK, (block + 1) * BLOCK);
      const kept = fingerprints.subarray(
        block * FINGERPRINT_BYTES,
        (block + 1) * FINGERPRINT_BYTES,
      );
      // Zero blocks are never hashed: their fingerprint stays zero.
      if (data.every((byte) => byte === 0)) expect(kept.every((byte) => byte === 0)).toBe(true);
      else expect(kept).toEqual(fingerprintOf(data));
    }

    await change();
    const second = await backup();
    expect(logOf(second)).toContain(`against ${first.manifest.backupId}, comparing fingerprints`);
    const stats = second.manifest.disks[0]!;
    expect(stats.stats.blocksChanged).toBe(4);
    expect(stats.changedExtents).toEqual([
      [MiB, BLOCK],
      [12 * MiB, 3 * BLOCK],
    ]);
    expect(stats.stats.blocksUnchanged).toBe(128 - 4);
    await expectRestores(second);
    // The running backup's fingerprint file became the track log; nothing is left half-done.
    expect(await trackFiles('.partial')).toEqual([]);
    expect(await trackFiles('.fingerprints')).toHaveLength(1);
  });

  it('uses a track log from before fingerprints by its digests, and keeps fingerprints for the next', async () => {
    await backup();
    const [meta] = await trackFiles('.json');
    const vouched = JSON.parse(await readFile(meta!, 'utf8')) as Record<string, unknown>;
    delete vouched.fingerprintsSha256;
    await writeFile(meta!, JSON.stringify(vouched));
    for (const file of await trackFiles('.fingerprints')) await rm(file);

    await change();
    const second = await backup();
    expect(logOf(second)).toContain('comparing digests');
    expect(second.manifest.disks[0]!.stats.blocksChanged).toBe(4);
    await expectRestores(second);

    await qemuWrites(dir, disk, 'vhdx', seededWrites([[20 * MiB, BLOCK, 5]]));
    const third = await backup();
    expect(logOf(third)).toContain('comparing fingerprints');
    expect(third.manifest.disks[0]!.changedExtents).toEqual([[20 * MiB, BLOCK]]);
    await expectRestores(third);
  });

  it('a backup that fails while planning its disks leaves no snapshot of a track log behind', async () => {
    await backup();
    const empty = path.join(dir, 'empty.img');
    await writeFile(empty, '');
    await expect(
      backupVm({
        store,
        catalog,
        client: 'vm',
        disks: [{ path: disk }, { path: empty }],
        now: () => clock++,
      }),
    ).rejects.toThrow(/the disk is empty/);
    expect(await trackFiles('.partial')).toEqual([]);
    // The track log itself is untouched: the next backup compares fingerprints.
    await change();
    expect(logOf(await backup())).toContain('comparing fingerprints');
  });

  for (const damaged of ['.digests', '.fingerprints'] as const) {
    it(`does not trust a track log whose ${damaged.slice(1)} were damaged`, async () => {
      const first = await backup();
      const [file] = await trackFiles(damaged);
      const bytes = await readFile(file!);
      // Block 0's entry: the block stays unchanged, so a trusted bad entry would be recorded.
      bytes[3]! ^= 0xff;
      await writeFile(file!, bytes);

      await change();
      const second = await backup();
      const log = logOf(second);
      expect(log).toContain('the track log is damaged');
      expect(log).toContain(`comparing with image ${first.manifest.backupId} instead`);
      expect(log).toContain('comparing digests');
      expect(second.manifest.disks[0]!.stats.blocksChanged).toBe(4);
      await expectRestores(second);
    });
  }
});

describe('track logs', () => {
  it('a backup reads the track log as it was when it started, whatever a later save does', async () => {
    const { dir, cleanup } = await scratchDir();
    try {
      const logs = new TrackLogs(path.join(dir, 'tracklogs'));
      const version = async (
        backupId: string,
      ): Promise<{ digests: Buffer; fingerprints: Buffer }> => {
        const digests = randomBytes(4 * 32);
        const fingerprints = randomBytes(4 * FINGERPRINT_BYTES);
        await writeFile(path.join(dir, `${backupId}.blocks`), digests);
        await writeFile(path.join(dir, `${backupId}.fingerprints`), fingerprints);
        await logs.save(
          {
            diskKey: 'vm:disk',
            backupId,
            blockSize: 65536,
            blockCount: 4,
            sha256: createHash('sha256').update(digests).digest('hex'),
          },
          path.join(dir, `${backupId}.blocks`),
          path.join(dir, `${backupId}.fingerprints`),
        );
        return { digests, fingerprints };
      };
      const first = await version('vm_1');
      const lookup = await logs.find('vm:disk', 'vm_1', 65536, 4, 'vm_2');
      if (lookup.kind !== 'found') throw new Error(`track log not found: ${lookup.kind}`);
      const { trackLog } = lookup;

      // Another process's backup of the disk commits while this one reads.
      await version('vm_2b');
      expect((await readFile(trackLog.digests)).equals(first.digests)).toBe(true);
      expect((await readFile(trackLog.fingerprints!)).equals(first.fingerprints)).toBe(true);
      expect((await logs.find('vm:disk', 'vm_1', 65536, 4, 'vm_3')).kind).toBe('none');

      await removeSnapshots(trackLog.snapshots);
      expect(trackLog.snapshots).toHaveLength(2);
      for (const file of trackLog.snapshots) await expect(access(file)).rejects.toThrow();
    } finally {
      await cleanup();
    }
  });
});
