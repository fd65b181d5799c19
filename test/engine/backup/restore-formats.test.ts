import { stat } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backupVm } from '../../../electron/engine/backup/backup-vm.js';
import type { Catalog } from '../../../electron/engine/catalog/catalog.js';
import type { WritableFormat } from '../../../electron/engine/disk/types.js';
import { WRITABLE_FORMATS } from '../../../electron/engine/disk/writers.js';
import type { ImageManifest } from '../../../electron/engine/store/manifest.js';
import type { Store } from '../../../electron/engine/store/store.js';
import { qemuVhd, seededRaw } from '../../fixtures/vhd-images.js';
import { MiB, qemuVhdx, seededWrites } from '../../fixtures/vhdx-images.js';
import { scratchDir } from '../../helpers/scratch.js';
import {
  clock,
  expectAllVerifyClean,
  expectRestoresIdentical,
  openStore,
} from '../../helpers/store.js';

const KiB = 1024;
const BLOCK = 64 * KiB;

interface Source {
  readonly path: string;
  readonly format: string;
}

describe('restore to every writable format', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let store: Store;
  let catalog: Catalog;
  let close: () => Promise<void>;
  const now = clock(1_700_200_000);
  let vhd: Source;
  let oddRaw: Source;
  let vhdx: Source;

  beforeAll(async () => {
    ({ dir, cleanup } = await scratchDir());
    ({ store, catalog, close } = await openStore(path.join(dir, 'store')));
    // A dynamic VHD made by qemu from seeded data (100 000 bytes at each offset).
    const raw = await seededRaw(dir, 'vhd-source.raw', 12 * MiB, [0, 3 * MiB + 777, 11 * MiB]);
    vhd = { path: await qemuVhd(raw, path.join(dir, 'dyn.vhd'), 'dynamic'), format: 'vhd' };
    // A raw disk whose size is not a multiple of the block size, with data in its last block.
    const oddSize = 5 * MiB + 7 * 512;
    oddRaw = {
      path: await seededRaw(dir, 'odd.raw', oddSize, [0, 2 * MiB - 50_000, oddSize - 100_000], 5),
      format: 'raw',
    };
    vhdx = {
      path: await qemuVhdx(
        dir,
        'data.vhdx',
        6 * MiB,
        seededWrites([
          [0, 512 * KiB, 7],
          [4 * MiB + 4096, 100 * KiB, 8],
        ]),
      ),
      format: 'vhdx',
    };
  });
  afterAll(async () => {
    await close();
    await cleanup();
  });

  async function backup(
    client: string,
    sources: readonly Source[],
    forcedRescan = false,
  ): Promise<ImageManifest> {
    const { manifest } = await backupVm({
      store,
      catalog,
      client,
      disks: sources.map((s) => ({ path: s.path })),
      forcedRescan,
      now,
    });
    return manifest;
  }

  async function restoresEverywhere(
    backupId: string,
    sources: readonly Source[],
    only: readonly WritableFormat[] = WRITABLE_FORMATS,
  ): Promise<void> {
    for (const format of only) {
      const restored = await expectRestoresIdentical(
        store,
        backupId,
        sources,
        format,
        path.join(dir, `${backupId}-${format}`),
      );
      // A raw disk restored raw is the same file, to the byte, size included.
      for (const [i, file] of restored.entries()) {
        if (format === 'raw' && sources[i]!.format === 'raw') {
          expect((await stat(file)).size).toBe((await stat(sources[i]!.path)).size);
        }
      }
    }
  }

  it('a dynamic VHD', async () => {
    const manifest = await backup('vhd', [vhd]);
    const disk = manifest.disks[0]!;
    expect(disk.sourceFormat).toBe('vhd');
    expect(disk.stats.blocksChanged).toBe(3 * 2); // each 100 000-byte run spans 2 blocks
    await restoresEverywhere(manifest.backupId, [vhd]);
  });

  it('a raw disk whose size is not a multiple of the block size', async () => {
    const manifest = await backup('odd', [oddRaw]);
    const disk = manifest.disks[0]!;
    expect(disk.virtualSize).toBe(5 * MiB + 7 * 512);
    expect(disk.blockCount).toBe(81);
    expect(disk.changedExtents.at(-1)).toEqual([78 * BLOCK, disk.virtualSize - 78 * BLOCK]);
    expect(disk.stats.bytesRead % 512).toBe(0);
    // Raw here; every other format with the two-disk VM below, whose second disk this is.
    await restoresEverywhere(manifest.backupId, [oddRaw], ['raw']);
  });

  it('a VM with two disks, and its forced rescan: all changed, nothing stored, identical', async () => {
    const full = await backup('two', [vhdx, oddRaw]);
    expect(full.disks.map((d) => [d.position, d.name])).toEqual([
      [0, 'data.vhdx'],
      [1, 'odd.raw'],
    ]);
    await restoresEverywhere(full.backupId, [vhdx, oddRaw]);

    // The unchanged disks again, with Accelerator: nothing changed.
    const incremental = await backup('two', [vhdx, oddRaw]);
    expect(incremental.kind).toBe('accelerator');
    for (const disk of incremental.disks) expect(disk.stats.blocksChanged).toBe(0);

    const rescan = await backup('two', [vhdx, oddRaw], true);
    expect(rescan.kind).toBe('full');
    expect(rescan.previousBackupId).toBeNull();
    for (const [i, disk] of rescan.disks.entries()) {
      const before = full.disks[i]!;
      expect(disk.forcedRescan).toBe(true);
      expect(disk.previousBackupId).toBeNull();
      expect(disk.stats.blocksChanged).toBe(before.stats.blocksChanged);
      expect(disk.stats.blocksChanged).toBeGreaterThan(0);
      expect(disk.stats.blocksUnchanged).toBe(0);
      expect(disk.stats.bytesStored).toBe(0);
      expect(disk.stats.bytesDeduplicated).toBe(
        disk.changedExtents.reduce((sum, [, length]) => sum + length, 0),
      );
      expect(disk.changedExtents).toEqual(before.changedExtents);
      expect(disk.blocksSha256).toBe(before.blocksSha256);
    }
    await restoresEverywhere(rescan.backupId, [vhdx, oddRaw], ['vhdx', 'raw']);
    await expectAllVerifyClean(store);
  });
});
