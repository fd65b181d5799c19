import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import path from 'node:path';
import { backupVm } from '../../../electron/engine/backup/backup-vm.js';
import { createSampleVm, type CreatedSampleVm } from '../../../electron/engine/sample/index.js';
import { scratchDir } from '../../helpers/scratch.js';
import {
  clock,
  expectAllVerifyClean,
  expectRestoresIdentical,
  openStore,
} from '../../helpers/store.js';

// What the sample's README promises: it backs up, a second backup finds nothing changed, and
// it restores byte for byte.
describe('the sample VM in a backup', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let sample: CreatedSampleVm;

  beforeAll(async () => {
    ({ dir, cleanup } = await scratchDir('tessera-sample-backup-'));
    sample = await createSampleVm(dir);
  });
  afterAll(() => cleanup());

  it('backs up, backs up again with nothing changed, and restores identical', async () => {
    const { store, catalog, close } = await openStore(path.join(dir, 'store'));
    try {
      const now = clock(1_700_300_000);
      const run = () =>
        backupVm({ store, catalog, client: 'sample', disks: [{ path: sample.diskPath }], now });
      const first = await run();
      const firstDisk = first.manifest.disks[0]!;
      expect(firstDisk.sourceFormat).toBe('vhdx');
      expect(firstDisk.stats.blocksChanged).toBeGreaterThan(0);
      const second = await run();
      expect(second.manifest.disks[0]!.stats.blocksChanged).toBe(0);
      await expectAllVerifyClean(store);
      const source = [{ path: sample.diskPath, format: 'vhdx' }];
      await expectRestoresIdentical(
        store,
        second.manifest.backupId,
        source,
        'vhdx',
        path.join(dir, 'restored'),
      );
    } finally {
      await close();
    }
  });
});
