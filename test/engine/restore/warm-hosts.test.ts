/**
 * Restore hosts started ahead of a restore (as the CLI starts them before it loads the
 * engine): the next restore takes them, and starts any more it needs.
 */
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { backupVm } from '../../../electron/engine/backup/backup-vm.js';
import { Catalog } from '../../../electron/engine/catalog/catalog.js';
import { restoreImage } from '../../../electron/engine/restore/restore-image.js';
import {
  warmRestoreHostCount,
  warmRestoreHosts,
} from '../../../electron/engine/restore/restore-hosts.js';
import { Store } from '../../../electron/engine/store/store.js';
import { MiB, qemuVhdx, seededWrites } from '../../fixtures/vhdx-images.js';
import { scratchDir } from '../../helpers/scratch.js';
import { qemuImg } from '../../helpers/tools.js';

let dir: string;
let cleanup: () => Promise<void>;

beforeAll(async () => ({ dir, cleanup } = await scratchDir()));
afterAll(() => cleanup());

it('a restore takes the hosts started ahead of it, and starts any more it needs', async () => {
  const disk = await qemuVhdx(dir, 'web.vhdx', 24 * MiB, seededWrites([[MiB, 5 * MiB, 3]]));
  const store = await Store.open(path.join(dir, 'store'), { create: true });
  const catalog = Catalog.open(store.layout.catalog);
  try {
    const { manifest } = await backupVm({ store, catalog, client: 'web', disks: [{ path: disk }] });
    /** Restores with two hosts into `name` and checks the disk byte for byte. */
    const restoreInto = async (name: string): Promise<void> => {
      const toDir = path.join(dir, name);
      await restoreImage({ store, backupId: manifest.backupId, toDir, format: 'raw', hosts: 2 });
      await qemuImg('compare', '-f', 'vhdx', '-F', 'raw', disk, path.join(toDir, 'web.raw'));
    };

    warmRestoreHosts(2);
    expect(warmRestoreHostCount()).toBe(2);
    await restoreInto('restored');
    expect(warmRestoreHostCount()).toBe(0);

    // Fewer started ahead than the restore runs: it takes those and starts the rest.
    warmRestoreHosts(1);
    expect(warmRestoreHostCount()).toBe(1);
    await restoreInto('again');
    expect(warmRestoreHostCount()).toBe(0);
  } finally {
    catalog.close();
    await store.close();
  }
});
