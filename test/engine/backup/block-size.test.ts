import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backupVm } from '../../../electron/engine/backup/backup-vm.js';
import { MiB, qemuVhdx, qemuWrites, seededWrites } from '../../fixtures/vhdx-images.js';
import { scratchDir } from '../../helpers/scratch.js';
import {
  clock,
  expectAllVerifyClean,
  expectRestoresIdentical,
  openStore,
} from '../../helpers/store.js';

const KiB = 1024;

describe('block sizes', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeAll(async () => ({ dir, cleanup } = await scratchDir()));
  afterAll(async () => cleanup());

  it.each([
    [4 * KiB, 'a 4 KiB block is exactly the write'],
    [1 * MiB, 'a 1 MiB block holds the write'],
  ])('block size %i: a 4 KiB write changes one block, at its offset (%s)', async (blockSize) => {
    const name = `bs${blockSize}`;
    const disk = await qemuVhdx(dir, `${name}.vhdx`, 8 * MiB, seededWrites([[0, 6 * MiB, 1]]));
    const { store, catalog, close } = await openStore(path.join(dir, name));
    const now = clock();
    const first = await backupVm({
      store,
      catalog,
      client: name,
      disks: [{ path: disk }],
      blockSize,
      now,
    });
    const full = first.manifest.disks[0]!;
    expect(full.blockSize).toBe(blockSize);
    expect(full.blockCount).toBe((8 * MiB) / blockSize);
    expect(full.stats.blocksChanged).toBe((6 * MiB) / blockSize);
    expect(full.changedExtents).toEqual([[0, 6 * MiB]]);

    const at = 3 * MiB + 5 * 4 * KiB; // 4 KiB aligned, not 1 MiB aligned
    await qemuWrites(dir, disk, 'vhdx', seededWrites([[at, 4 * KiB, 2]]));
    const second = await backupVm({
      store,
      catalog,
      client: name,
      disks: [{ path: disk }],
      blockSize,
      now,
    });
    const incr = second.manifest.disks[0]!;
    const start = Math.floor(at / blockSize) * blockSize;
    expect(second.manifest.kind).toBe('accelerator');
    expect(incr.stats.blocksChanged).toBe(1);
    expect(incr.changedExtents).toEqual([[start, blockSize]]);
    expect(incr.unchangedExtents).toEqual([
      [0, start],
      [start + blockSize, 6 * MiB - start - blockSize],
    ]);
    expect(incr.stats.blocksUnchanged).toBe((6 * MiB) / blockSize - 1);
    expect(incr.stats.blocksZero).toBe((2 * MiB) / blockSize);
    expect(incr.stats.bytesStored).toBeGreaterThan(0);
    expect(incr.stats.bytesStored).toBeLessThanOrEqual(blockSize);
    expect(incr.stats.bytesLinked).toBe(6 * MiB - blockSize);
    await expectRestoresIdentical(
      store,
      second.manifest.backupId,
      [{ path: disk, format: 'vhdx' }],
      'raw',
      path.join(dir, `${name}-restore`),
    );
    await expectAllVerifyClean(store);

    // Another block size cannot compare with this track log: a full backup, deduplicated
    // wherever the blocks line up with stored ones (never, from 64 KiB ones of random data).
    const other = await backupVm({ store, catalog, client: name, disks: [{ path: disk }], now });
    expect(other.manifest.kind).toBe('full');
    expect(other.manifest.disks[0]!.blockSize).toBe(64 * KiB);
    expect(other.manifest.disks[0]!.stats.blocksChanged).toBe(96);
    await close();
  });

  it('rejects block sizes that are not a power of two from 4 KiB to 8 MiB', async () => {
    const disk = await qemuVhdx(dir, 'bad.vhdx', MiB, []);
    const { store, catalog, close } = await openStore(path.join(dir, 'bad'));
    for (const blockSize of [2 * KiB, 48 * KiB, 16 * MiB, 0, 4096.5]) {
      await expect(
        backupVm({ store, catalog, client: 'bad', disks: [{ path: disk }], blockSize }),
        String(blockSize),
      ).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    }
    expect(await store.listImages()).toEqual([]);
    await close();
  });
});
