import { readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backupVm } from '../../../electron/engine/backup/backup-vm.js';
import { MiB } from '../../fixtures/vhdx-images.js';
import { scratchDir, seededBytes } from '../../helpers/scratch.js';
import { expectAllVerifyClean, openStore } from '../../helpers/store.js';

/** Rejects when `work` has not settled within `ms`. */
async function within<T>(ms: number, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`not done after ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

describe('backup edge cases', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeAll(async () => ({ dir, cleanup } = await scratchDir()));
  afterAll(async () => cleanup());

  it('an empty (0-byte) disk is refused, alone or beside a real one, and nothing is left', async () => {
    const empty = path.join(dir, 'empty.raw');
    const data = path.join(dir, 'data.raw');
    await writeFile(empty, '');
    await writeFile(data, seededBytes(1, MiB));
    const { store, catalog, close } = await openStore(path.join(dir, 'empty'));
    for (const disks of [[{ path: empty }], [{ path: data }, { path: empty }]]) {
      await expect(
        within(10_000, backupVm({ store, catalog, client: 'empty', disks })),
      ).rejects.toMatchObject({
        code: 'BAD_REQUEST',
        message: expect.stringContaining('the disk is empty') as unknown,
      });
      expect(catalog.listJobs({ limit: 1 })[0]).toMatchObject({ state: 'failed' });
    }
    expect(await store.listImages()).toEqual([]);
    expect(await readdir(store.layout.tmp)).toEqual([]);
    // The store still backs up the real disk.
    const { manifest } = await backupVm({
      store,
      catalog,
      client: 'empty',
      disks: [{ path: data }],
    });
    expect(manifest.disks[0]!.stats.blocksChanged).toBe(16);
    await expectAllVerifyClean(store);
    await close();
  });

  // Blocks of the open pack can be lost to another backup on the same Store (a pack that
  // cannot be sealed is dropped). This backup's commit then finds its own new blocks missing
  // and stores them again; its stats must stay sane (nothing counted as deduplicated that was
  // not) and its image must reach the catalog. The drop is made at a fixed moment here (hosts
  // done, blocks still in the open pack).
  it('a backup beside one that fails on the same Store commits, with sane stats', async () => {
    const disk = path.join(dir, 'beside.raw');
    await writeFile(disk, seededBytes(3, 2 * MiB));
    const { store, catalog, close } = await openStore(path.join(dir, 'beside'));
    try {
      const { manifest } = await backupVm({
        store,
        catalog,
        client: 'beside',
        disks: [{ path: disk }],
        onProgress: (p) => {
          if (p.doneBytes === p.totalBytes) void store.writer.abort(); // the other one's catch
        },
      });
      expect(manifest.disks[0]!.stats.bytesDeduplicated).toBe(0);
      expect(catalog.getImage(manifest.backupId)).not.toBeNull();
    } finally {
      expect(await store.listImages()).toHaveLength(catalog.listImages().length);
      await close();
    }
  });

  // Backup IDs are claimed in the store, so two backups of one client started in the same
  // second (in one process or two) take consecutive IDs and both commit.
  it('two backups of one client started in the same second both commit', async () => {
    const disk = path.join(dir, 'same-second.raw');
    await writeFile(disk, seededBytes(2, MiB));
    const { store, catalog, close } = await openStore(path.join(dir, 'same-second'));
    const now = (): number => 1_700_300_000;
    const results = await Promise.allSettled([
      backupVm({ store, catalog, client: 'twin', disks: [{ path: disk }], now }),
      backupVm({ store, catalog, client: 'twin', disks: [{ path: disk }], now }),
    ]);
    await close();
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled']);
  });
});
