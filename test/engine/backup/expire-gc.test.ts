import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backupVm } from '../../../electron/engine/backup/backup-vm.js';
import { expireImages, rebuildCatalog } from '../../../electron/engine/backup/expire.js';
import { Catalog } from '../../../electron/engine/catalog/catalog.js';
import { restoreImage } from '../../../electron/engine/restore/restore-image.js';
import { DIGEST_BYTES } from '../../../electron/engine/store/digest.js';
import { collectGarbage, type GcReport } from '../../../electron/engine/store/gc.js';
import type { Store } from '../../../electron/engine/store/store.js';
import { Verifier } from '../../../electron/engine/store/verify.js';
import { MiB, qemuVhdx, qemuWrites, seededWrites } from '../../fixtures/vhdx-images.js';
import { scratchDir, seededBytes } from '../../helpers/scratch.js';
import {
  clock,
  expectAllVerifyClean,
  expectRestoresIdentical,
  flipByte,
  openStore,
  removeDatabase,
} from '../../helpers/store.js';

const KiB = 1024;

/** Collects garbage and checks that every image still in the store verifies clean. */
async function collectAndVerify(store: Store): Promise<GcReport> {
  await sleep(5); // packs sealed by the last step are older than the collection
  const report = await collectGarbage(store);
  await expectAllVerifyClean(store);
  return report;
}

describe('expiry, garbage collection and catalog rebuild', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeAll(async () => ({ dir, cleanup } = await scratchDir()));
  afterAll(async () => cleanup());

  it('expired images are reclaimed; the newest still restores and verifies; no live block is ever lost', async () => {
    const disk = await qemuVhdx(
      dir,
      'vm.vhdx',
      24 * MiB,
      seededWrites([
        [0, 8 * MiB, 1],
        [16 * MiB, 2 * MiB, 2],
      ]),
    );
    const source = [{ path: disk, format: 'vhdx' }];
    const { store, catalog, close } = await openStore(path.join(dir, 'store'));
    const now = clock(1_700_000_000);
    const backup = async (): Promise<string> => {
      const { manifest } = await backupVm({
        store,
        catalog,
        client: 'vm',
        disks: [{ path: disk }],
        retentionSeconds: 100,
        now,
      });
      return manifest.backupId;
    };

    const first = await backup();
    expect((await collectAndVerify(store)).bytesReclaimed).toBe(0);
    // 3 MiB of the first 8 rewritten: 3/8 of the first image's pack is not in the second.
    await qemuWrites(dir, disk, 'vhdx', seededWrites([[2 * MiB, 3 * MiB, 3]]));
    const second = await backup();
    expect((await collectAndVerify(store)).bytesReclaimed).toBe(0);
    // The same 3 MiB again, and 64 KiB more: the second image's new blocks all go stale.
    await qemuWrites(
      dir,
      disk,
      'vhdx',
      seededWrites([
        [2 * MiB, 3 * MiB, 4],
        [17 * MiB, 64 * KiB, 5],
      ]),
    );
    const third = await backup();
    expect((await collectAndVerify(store)).bytesReclaimed).toBe(0);
    expect(await store.listImages()).toEqual([first, second, third]);

    // Expiry by time: at the second image's expiry, the first two go, the third stays.
    const expired = await expireImages(store, catalog, { nowSeconds: 1_700_000_101 });
    expect(expired.expired).toEqual([first, second]);
    expect(await store.listImages()).toEqual([third]);
    expect(catalog.listImages().map((i) => i.backupId)).toEqual([third]);
    await expect(store.readManifest(first)).rejects.toMatchObject({ code: 'IMAGE_NOT_FOUND' });

    const report = await collectAndVerify(store);
    expect(report.liveImages).toBe(1);
    expect(report.bytesReclaimed).toBeGreaterThan(3 * MiB);
    expect(report.packsDeleted).toBe(1); // the second image's pack: every block replaced
    expect(report.packsRepacked).toBe(1); // the first's: 3/8 garbage
    // The first image's 3 MiB and its block at 17 MiB; the second image's 3 MiB.
    expect(report.blocksRemoved).toBe(48 + 1 + 48);
    const counts = store.index.counts();
    expect(counts.blocks).toBe(report.liveBlocks);
    expect(counts.blocks).toBe(128 + 32); // the third image's 8 MiB + 2 MiB of distinct blocks

    await expectRestoresIdentical(store, third, source, 'vhdx', path.join(dir, 'r-vhdx'));
    await expectRestoresIdentical(store, third, source, 'raw', path.join(dir, 'r-raw'));
    await expect(
      restoreImage({ store, backupId: first, toDir: path.join(dir, 'r-first'), format: 'raw' }),
    ).rejects.toMatchObject({ code: 'IMAGE_NOT_FOUND' });
    // And a fourth backup still finds its base: the third image.
    const fourth = await backupVm({ store, catalog, client: 'vm', disks: [{ path: disk }], now });
    expect(fourth.manifest.previousBackupId).toBe(third);
    expect(fourth.manifest.disks[0]!.stats).toMatchObject({ blocksChanged: 0, bytesStored: 0 });
    await collectAndVerify(store);
    await close();
  });

  it('rebuildCatalog reproduces listImages() from the storage unit after catalog.db is lost', async () => {
    const a = await qemuVhdx(dir, 'a.vhdx', 4 * MiB, seededWrites([[0, MiB, 10]]));
    const b = await qemuVhdx(dir, 'b.vhdx', 2 * MiB, seededWrites([[MiB, 512 * KiB, 11]]));
    const root = path.join(dir, 'rebuild');
    const { store, catalog } = await openStore(root);
    const now = clock(1_700_100_000);
    const ids: string[] = [];
    for (const [client, disks] of [
      ['web', [{ path: a }, { path: b }]],
      ['db', [{ path: b }]],
      ['web', [{ path: a }, { path: b }]],
    ] as const) {
      const { manifest } = await backupVm({
        store,
        catalog,
        client,
        disks,
        now,
        retentionSeconds: client === 'db' ? null : 3600,
        vm: { name: client, generation: 2 },
      });
      ids.push(manifest.backupId);
    }
    const images = catalog.listImages();
    const clients = catalog.listClients();
    expect(images.map((i) => i.backupId)).toEqual([...ids].reverse());
    catalog.close();
    await removeDatabase(store.layout.catalog);

    const fresh = Catalog.open(store.layout.catalog);
    expect(fresh.listImages()).toEqual([]);
    expect(await rebuildCatalog(store, fresh)).toEqual({ images: 3 });
    expect(fresh.listImages()).toEqual(images);
    expect(fresh.listClients()).toEqual(clients);
    // The rebuilt catalog serves the next backup its base.
    const next = await backupVm({
      store,
      catalog: fresh,
      client: 'web',
      disks: [{ path: a }, { path: b }],
      now,
    });
    expect(next.manifest.kind).toBe('accelerator');
    expect(next.manifest.previousBackupId).toBe(ids[2]);
    fresh.close();
    await store.close();
  });

  it('verify names every offset of a backed-up disk that holds a damaged block', async () => {
    const pattern = seededBytes(20, 64 * KiB);
    const disk = await qemuVhdx(dir, 'repeats.vhdx', 8 * MiB, [
      { offset: 0, data: pattern },
      { offset: MiB, data: pattern },
      { offset: 5 * MiB + 64 * KiB, data: pattern },
      ...seededWrites([[2 * MiB, MiB, 21]]),
    ]);
    const { store, catalog, close } = await openStore(path.join(dir, 'verify'));
    const { manifest } = await backupVm({ store, catalog, client: 'r', disks: [{ path: disk }] });
    const list = await store.readDigestList(manifest, 0);
    const digest = list.subarray(0, DIGEST_BYTES);
    expect(list.subarray(16 * DIGEST_BYTES, 17 * DIGEST_BYTES)).toEqual(digest);
    const location = store.index.locate(Buffer.from(digest))!;
    await flipByte(store.layout.pack(location.pack), location.offset + location.storedLength - 1);
    const report = await new Verifier(store).verify(manifest.backupId);
    expect(report.blocksChecked).toBe(3 + 16);
    expect(report.problems.map((p) => [p.position, p.disk, p.offset, p.digest, p.code])).toEqual(
      [0, MiB, 5 * MiB + 64 * KiB].map((offset) => [
        0,
        'repeats.vhdx',
        offset,
        Buffer.from(digest).toString('hex'),
        'BLOCK_DAMAGED',
      ]),
    );
    await expect(
      restoreImage({
        store,
        backupId: manifest.backupId,
        toDir: path.join(dir, 'r-damaged'),
        format: 'raw',
      }),
    ).rejects.toMatchObject({ code: 'BLOCK_DAMAGED' });
    await close();
  });
});
