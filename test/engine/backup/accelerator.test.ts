import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import path from 'node:path';
import { backupVm } from '../../../electron/engine/backup/backup-vm.js';
import { Catalog } from '../../../electron/engine/catalog/catalog.js';
import { restoreImage } from '../../../electron/engine/restore/restore-image.js';
import { Store } from '../../../electron/engine/store/store.js';
import { scratchDir } from '../../helpers/scratch.js';
import { qemuImg } from '../../helpers/tools.js';
import { MiB, qemuVhdx, qemuWrites, seededWrites } from '../../fixtures/vhdx-images.js';

describe('Accelerator backups', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeAll(async () => ({ dir, cleanup } = await scratchDir()));
  afterAll(async () => cleanup());

  it('stores only changed blocks after a full backup, and every image restores on its own', async () => {
    const disk = await qemuVhdx(
      dir,
      'vm1.vhdx',
      40 * MiB + 12345 * 512,
      seededWrites([
        [0, 3 * MiB, 1],
        [20 * MiB, 5 * MiB, 2],
      ]),
    );
    const store = await Store.open(path.join(dir, 'store'), { create: true });
    const catalog = Catalog.open(store.layout.catalog);
    let clock = 1_700_000_000;
    const now = (): number => clock++;
    const first = await backupVm({ store, catalog, client: 'vm1', disks: [{ path: disk }], now });
    expect(first.manifest.kind).toBe('full');
    const full = first.manifest.disks[0]!;
    expect(full.stats.blocksChanged).toBe(128);
    await qemuWrites(
      dir,
      disk,
      'vhdx',
      seededWrites([
        [MiB, 4096, 3],
        [30 * MiB, 128 * 1024, 4],
      ]),
    );
    const second = await backupVm({ store, catalog, client: 'vm1', disks: [{ path: disk }], now });
    const incr = second.manifest.disks[0]!;
    expect(second.manifest.kind).toBe('accelerator');
    expect(incr.previousBackupId).toBe(first.manifest.backupId);
    expect(incr.stats.blocksChanged).toBe(3);
    expect(incr.changedExtents).toEqual([
      [MiB, 64 * 1024],
      [30 * MiB, 128 * 1024],
    ]);
    const out1 = path.join(dir, 'r1');
    const out2 = path.join(dir, 'r2');
    await restoreImage({ store, backupId: second.manifest.backupId, toDir: out2, format: 'vhdx' });
    await qemuImg('compare', '-f', 'vhdx', '-F', 'vhdx', disk, path.join(out2, 'vm1.vhdx'));
    await restoreImage({ store, backupId: first.manifest.backupId, toDir: out1, format: 'raw' });
    await expect(
      qemuImg('compare', '-f', 'vhdx', '-F', 'raw', disk, path.join(out1, 'vm1.raw')),
    ).rejects.toThrow();
    catalog.close();
    await store.close();
  });
});
