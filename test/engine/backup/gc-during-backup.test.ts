import { rmSync, writeFileSync } from 'node:fs';
import { open, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backupVm, type BackupResult } from '../../../electron/engine/backup/backup-vm.js';
import { expireImages } from '../../../electron/engine/backup/expire.js';
import { collectGarbage, type GcReport } from '../../../electron/engine/store/gc.js';
import { Store } from '../../../electron/engine/store/store.js';
import { Verifier } from '../../../electron/engine/store/verify.js';
import { MiB } from '../../fixtures/vhdx-images.js';
import { scratchDir, seededBytes } from '../../helpers/scratch.js';
import {
  clock,
  expectAllVerifyClean,
  expectRestoresIdentical,
  openStore,
} from '../../helpers/store.js';

const BLOCK = 64 * 1024;

async function overwrite(file: string, writes: ReadonlyArray<[number, Buffer]>): Promise<void> {
  const handle = await open(file, 'r+');
  try {
    for (const [offset, data] of writes) await handle.write(data, 0, data.byteLength, offset);
  } finally {
    await handle.close();
  }
}

describe('garbage collection while a backup runs', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeAll(async () => ({ dir, cleanup } = await scratchDir()));
  afterAll(async () => cleanup());

  it('a backup commits complete while collections on another Store sweep the blocks it links to', async () => {
    const root = path.join(dir, 'race');
    const disk = path.join(dir, 'big.raw');
    await writeFile(disk, seededBytes(1, 256 * MiB));
    const source = [{ path: disk, format: 'raw' as const }];
    const { store, catalog, close } = await openStore(root);
    const now = clock();
    const first = await backupVm({ store, catalog, client: 'big', disks: source, hosts: 1, now });
    await overwrite(disk, [
      [10 * MiB, seededBytes(2, MiB)],
      [100 * MiB + 4096, seededBytes(3, 8192)],
      [255 * MiB, seededBytes(4, MiB)],
    ]);

    const second = await Store.open(root);
    const reports: GcReport[] = [];
    let backupDone = false;
    let sweeping: Promise<void> | null = null;
    let result: BackupResult;
    try {
      result = await backupVm({
        store,
        catalog,
        client: 'big',
        disks: source,
        hosts: 1,
        now,
        // Once the backup has planned against the first image: expire it, then collect
        // garbage over and over until the backup is done.
        onProgress: () => {
          sweeping ??= (async () => {
            await expireImages(second, catalog, { backupIds: [first.manifest.backupId] });
            while (!backupDone) reports.push(await collectGarbage(second));
          })();
        },
      });
    } finally {
      backupDone = true;
      await sweeping;
    }
    const image = result.manifest.disks[0]!;
    expect(result.manifest.kind).toBe('accelerator');
    expect(image.previousBackupId).toBe(first.manifest.backupId);
    expect(image.stats.blocksChanged).toBe(16 + 1 + 16);
    expect(image.stats.blocksUnchanged).toBe(4096 - 33);
    // The sweep really removed the first image's packs, which the backup links to.
    expect(reports.length).toBeGreaterThan(0);
    expect(reports[0]!.liveImages).toBe(0);
    expect(reports.reduce((sum, r) => sum + r.packsDeleted, 0)).toBeGreaterThanOrEqual(16);
    const log = catalog.jobLog(result.jobId).map((line) => line.message);
    expect(log.some((m) => /linked blocks were removed by a garbage collection/.test(m))).toBe(
      true,
    );
    expect(catalog.getJob(result.jobId)).toMatchObject({ state: 'done', statusCode: 0 });

    expect(await store.listImages()).toEqual([result.manifest.backupId]);
    await expectAllVerifyClean(second);
    await expectRestoresIdentical(
      second,
      result.manifest.backupId,
      source,
      'raw',
      path.join(dir, 'race-restore'),
    );
    // A collection now, with nothing running, finds nothing left to remove: the blocks the
    // commit stored again are exactly the image's.
    await sleep(5);
    const after = await collectGarbage(second);
    expect(after).toMatchObject({ liveImages: 1, packsDeleted: 0, blocksRemoved: 0 });
    expect(second.index.counts().blocks).toBe(after.liveBlocks);
    await second.close();
    await close();
  });

  describe('commit-time repair', () => {
    async function twoBackups(
      name: string,
      betweenHostsAndCommit: (store: Store, sweepingStore: Store) => void,
    ): Promise<{
      store: Store;
      disk: string;
      first: BackupResult;
      second: Promise<BackupResult>;
      done: () => Promise<void>;
      catalog: Awaited<ReturnType<typeof openStore>>['catalog'];
    }> {
      const root = path.join(dir, name);
      const disk = path.join(dir, `${name}.raw`);
      await writeFile(disk, seededBytes(10, 8 * MiB));
      const { store, catalog, close } = await openStore(root);
      const now = clock();
      const first = await backupVm({ store, catalog, client: name, disks: [{ path: disk }], now });
      await overwrite(disk, [[3 * MiB, seededBytes(11, 4096)]]);
      const sweepingStore = await Store.open(root);
      let fired = false;
      const second = backupVm({
        store,
        catalog,
        client: name,
        disks: [{ path: disk }],
        now,
        // The last segment is hashed and compared: what follows is storing and committing.
        onProgress: (p) => {
          if (p.doneBytes !== p.totalBytes || fired) return;
          fired = true;
          betweenHostsAndCommit(store, sweepingStore);
        },
      });
      second.catch(() => undefined);
      const done = async (): Promise<void> => {
        await sweepingStore.close();
        await close();
      };
      return { store, disk, first, second, done, catalog };
    }

    /** What a sweep does to a pack no live image names: drop its rows, delete its file. */
    function sweepPack(sweeping: Store, packId: string): void {
      sweeping.index.exclusive(() => {
        sweeping.index.dropPack(packId);
        rmSync(sweeping.layout.pack(packId));
      });
    }

    it('stores linked blocks a sweep removed before the commit, from the source, and commits', async () => {
      let swept = '';
      const { store, disk, first, second, done, catalog } = await twoBackups(
        'repair',
        (_store, sweeping) => {
          const firstBlock = sweeping.readDigestListSync(
            sweeping.readManifestSync(sweeping.listImagesSync()[0]!),
            0,
          );
          swept = sweeping.index.locate(firstBlock.subarray(0, 32))!.pack;
          sweepPack(sweeping, swept);
        },
      );
      const result = await second;
      expect(swept).not.toBe('');
      const image = result.manifest.disks[0]!;
      expect(image.stats.blocksChanged).toBe(1);
      expect(image.stats.blocksUnchanged).toBe(127);
      expect(image.changedExtents).toEqual([[3 * MiB, BLOCK]]);
      const log = catalog.jobLog(result.jobId).map((line) => line.message);
      expect(log).toContain(
        '127 linked blocks were removed by a garbage collection during the backup; storing them again',
      );
      await expectRestoresIdentical(
        store,
        result.manifest.backupId,
        [{ path: disk, format: 'raw' }],
        'raw',
        path.join(dir, 'repair-restore'),
      );
      expect((await new Verifier(store).verify(result.manifest.backupId)).problems).toEqual([]);
      // The first image got back every block it shares with the second; only the block the
      // second does not name (the old version of the changed one) is gone with the pack.
      const report = await new Verifier(store).verify(first.manifest.backupId);
      expect(report.problems.map((p) => [p.offset, p.code])).toEqual([[3 * MiB, 'BLOCK_MISSING']]);
      await done();
    });

    it('the stats of a repaired image count the blocks its commit stored again', async () => {
      const { store, second, done, catalog } = await twoBackups(
        'repair-stats',
        (_store, sweeping) => {
          const manifest = sweeping.readManifestSync(sweeping.listImagesSync()[0]!);
          const list = sweeping.readDigestListSync(manifest, 0);
          sweepPack(sweeping, sweeping.index.locate(list.subarray(0, 32))!.pack);
        },
      );
      const result = await second;
      const stats = result.manifest.disks[0]!.stats;
      expect(stats.bytesStored).toBe(128 * BLOCK); // random data: stored as is
      expect(stats.bytesLinked).toBe(0);
      expect(stats.blocksUnchanged).toBe(127); // what the hosts found
      // The catalog records the stats of the image as committed.
      expect(catalog.getImage(result.manifest.backupId)?.bytesStored).toBe(128 * BLOCK);
      expect(await store.readManifest(result.manifest.backupId)).toEqual(result.manifest);
      await done();
    });

    it('fails cleanly when the disk changed since the hosts read it: nothing is committed', async () => {
      const { store, disk, second, done, catalog } = await twoBackups(
        'changed-source',
        (_store, sweeping) => {
          const manifest = sweeping.readManifestSync(sweeping.listImagesSync()[0]!);
          const list = sweeping.readDigestListSync(manifest, 0);
          sweepPack(sweeping, sweeping.index.locate(list.subarray(0, 32))!.pack);
          // The first block of the source changes after it was hashed.
          writeFileSync(disk, seededBytes(12, 4096), { flag: 'r+' });
        },
      );
      await expect(second).rejects.toMatchObject({
        code: 'DISK_CHANGED',
        message: expect.stringMatching(
          /the disk changed during the backup \(block at 0\)/,
        ) as unknown,
      });
      expect(await store.listImages()).toHaveLength(1);
      expect(await readdir(store.layout.tmp)).toEqual([]);
      const job = catalog.listJobs({ limit: 1 })[0]!;
      expect(job).toMatchObject({ kind: 'backup', state: 'failed', statusCode: 13 });
      expect(catalog.listImages()).toHaveLength(1);
      await done();
    });
  });
});
