import { stat, truncate } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { digestOf } from '../../../electron/engine/store/digest.js';
import { collectGarbage } from '../../../electron/engine/store/gc.js';
import { readPackIndex } from '../../../electron/engine/store/pack-reader.js';
import { Store } from '../../../electron/engine/store/store.js';
import { commitBlocks as commitWith, expectAllVerifyClean, putRaw } from '../../helpers/store.js';
import { scratchDir, seededBytes } from '../../helpers/scratch.js';

const KiB = 1024;
const BLOCK = 16 * KiB;

/** Distinct random blocks named by letter and number, e.g. blocks('a', 4). */
function blocks(prefix: string, count: number, seed = prefix.charCodeAt(0) * 1000): Buffer[] {
  return Array.from({ length: count }, (_, i) => seededBytes(seed + i, BLOCK));
}

const commitBlocks = (
  store: Store,
  backupId: string,
  disks: ReadonlyArray<ReadonlyArray<Buffer | null>>,
): ReturnType<typeof commitWith> => commitWith(store, backupId, disks, BLOCK);

async function packBytes(store: Store): Promise<number> {
  let total = 0;
  for (const id of await store.listPackFiles()) total += (await stat(store.layout.pack(id))).size;
  return total;
}

describe('collectGarbage', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeAll(async () => ({ dir, cleanup } = await scratchDir()));
  afterAll(async () => cleanup());

  it('deletes dead packs, repacks mostly dead ones, keeps the rest, and every live block stays', async () => {
    const store = await Store.open(path.join(dir, 'sweep'), { create: true });
    const [a, b, c, d] = [blocks('a', 4), blocks('b', 4), blocks('c', 4), blocks('d', 8)];
    // Each commit flushes, so each image's new blocks are one pack of their own.
    await commitBlocks(store, 'vm_1000', [a]); // pack A
    await commitBlocks(store, 'vm_1001', [b]); // pack B
    await commitBlocks(store, 'vm_1002', [[...c, a[0]!]]); // pack C, and a0 from A
    await commitBlocks(store, 'vm_1003', [d]); // pack D
    await commitBlocks(store, 'vm_1004', [d.slice(0, 7)]); // all of D but d7
    const orphan = (await putRaw(store, seededBytes(99, BLOCK))).digest; // a failed backup's
    await store.flush();
    const packOf = (block: Buffer): string => store.index.locate(digestOf(block))!.pack;
    const [packA, packB, packC, packD] = [
      packOf(a[0]!),
      packOf(b[0]!),
      packOf(c[0]!),
      packOf(d[0]!),
    ];
    expect(await store.listPackFiles()).toHaveLength(5);

    await store.deleteImage('vm_1000'); // A: 3 of 4 blocks dead → repacked
    await store.deleteImage('vm_1001'); // B: all dead → deleted
    await store.deleteImage('vm_1003'); // D: 1 of 8 dead → under the threshold, kept
    const before = await packBytes(store);
    await sleep(5); // packs sealed before the collection starts
    const report = await collectGarbage(store);
    const after = await packBytes(store);
    expect(report).toEqual({
      liveImages: 2,
      liveBlocks: 4 + 1 + 7,
      packsDeleted: 2, // B and the orphan's
      packsRepacked: 1,
      blocksRemoved: 3 + 4 + 1,
      bytesReclaimed: before - after,
    });
    expect(report.bytesReclaimed).toBeGreaterThan(8 * BLOCK);

    const packs = await store.listPackFiles();
    expect(packs).toHaveLength(3);
    expect(packs).toContain(packC);
    expect(packs).toContain(packD);
    expect(packs).not.toContain(packA);
    expect(packs).not.toContain(packB);
    // A's live block moved to a new pack holding just it; its index and file agree.
    const moved = packOf(a[0]!);
    expect(packs).toContain(moved);
    const { entries } = await readPackIndex(store.layout.pack(moved));
    expect(entries.map((e) => e.digest.toString('hex'))).toEqual([digestOf(a[0]!).toString('hex')]);
    expect(store.index.counts()).toMatchObject({ packs: 3, blocks: 4 + 1 + 8 }); // D keeps d7 until repacked

    for (const block of [...c, a[0]!, ...d.slice(0, 7)])
      expect(await store.readBlock(digestOf(block))).toEqual(block);
    expect(await store.readBlock(digestOf(d[7]!))).toEqual(d[7]);
    for (const block of [...a.slice(1), ...b]) {
      expect(store.hasBlock(digestOf(block))).toBe(false);
      await expect(store.readBlock(digestOf(block))).rejects.toMatchObject({
        code: 'BLOCK_MISSING',
      });
    }
    expect(store.hasBlock(orphan)).toBe(false);
    await expectAllVerifyClean(store);

    // Nothing left to do; and the garbage below the threshold goes once the pack is emptier.
    await sleep(5);
    expect(await collectGarbage(store)).toMatchObject({
      packsDeleted: 0,
      packsRepacked: 0,
      bytesReclaimed: 0,
    });
    await sleep(5);
    expect(await collectGarbage(store, { repackThreshold: 0.1 })).toMatchObject({
      packsRepacked: 1,
      blocksRemoved: 1,
    });
    await expectAllVerifyClean(store);
    await store.close();
  });

  it('a sweep that fails half-way leaves every block the index lists readable', async () => {
    const store = await Store.open(path.join(dir, 'failed-sweep'), { create: true });
    const [a, b] = [blocks('a', 2), blocks('b', 4)];
    await commitBlocks(store, 'vm_2000', [a]); // pack A: swept first, deleted
    await commitBlocks(store, 'vm_2001', [b]); // pack B: to repack, but damaged
    await commitBlocks(store, 'vm_2002', [[b[0]!]]);
    await store.deleteImage('vm_2000');
    await store.deleteImage('vm_2001');
    const packB = store.layout.pack(store.index.locate(digestOf(b[0]!))!.pack);
    await truncate(packB, 100); // b0, the live block, is cut: the repack cannot copy it
    await sleep(5);
    await expect(collectGarbage(store)).rejects.toThrow(/shorter than its index says/);
    // The sweep's index changes rolled back: a's blocks are still indexed, so a backup would
    // link to them rather than store them; their pack must still be there.
    expect(store.hasBlock(digestOf(a[0]!))).toBe(true);
    for (const block of a) expect(await store.readBlock(digestOf(block))).toEqual(block);
    await store.close();
  });

  it('keeps packs sealed since a live process began staging an image, until it is committed or discarded', async () => {
    const store = await Store.open(path.join(dir, 'staging'), { create: true });
    const sweeper = await Store.open(path.join(dir, 'staging'));
    const before = (await putRaw(store, seededBytes(60, BLOCK))).digest;
    await store.flush();
    await sleep(5);
    const staged = await store.stageImage('vm_4000');
    const block = seededBytes(61, BLOCK);
    await putRaw(store, block);
    await store.flush(); // sealed, indexed, named by no committed image yet
    await sleep(5);
    expect(await collectGarbage(sweeper)).toMatchObject({ packsDeleted: 1, blocksRemoved: 1 });
    expect(store.hasBlock(before)).toBe(false);
    expect(store.hasBlock(digestOf(block))).toBe(true);
    await commitWith(store, 'vm_4000', [[block]], BLOCK, staged); // commits: nothing missing
    await sleep(5);
    expect(await collectGarbage(sweeper)).toMatchObject({ liveBlocks: 1, packsDeleted: 0 });

    // A discarded staging protects nothing any more.
    const discarded = await store.stageImage('vm_4001');
    const orphan = (await putRaw(store, seededBytes(62, BLOCK))).digest;
    await store.flush();
    await sleep(5);
    expect(await collectGarbage(sweeper)).toMatchObject({ packsDeleted: 0 });
    await store.discardStaged(discarded);
    await sleep(5);
    expect(await collectGarbage(sweeper)).toMatchObject({ packsDeleted: 1 });
    expect(store.hasBlock(orphan)).toBe(false);
    await expectAllVerifyClean(sweeper);
    await sweeper.close();
    await store.close();
  });

  it('completes when images are expired while it marks', async () => {
    // The mark reads images one after another without the lock; images deleted meanwhile
    // must not fail it. Deletions start after a varying number of event-loop turns so that
    // some land between the listing and the reading of an image.
    const root = path.join(dir, 'expire-while-marking');
    const store = await Store.open(root, { create: true });
    const sweeper = await Store.open(root);
    const keep = await commitBlocks(store, 'vm_5000', [blocks('k', 2)]);
    let n = 1;
    for (let delay = 0; delay < 36; delay += 3) {
      const ids: string[] = [];
      for (let i = 0; i < 4; i++, n++) {
        ids.push(`vm_${5000 + n}`);
        await commitBlocks(store, ids.at(-1)!, [[seededBytes(5000 + n, BLOCK)]]);
      }
      const collecting = collectGarbage(sweeper);
      collecting.catch(() => undefined);
      for (let k = 0; k < delay; k++) await new Promise((resolve) => setImmediate(resolve));
      for (const id of ids.reverse()) {
        await store.deleteImage(id);
        await new Promise((resolve) => setImmediate(resolve));
      }
      const report = await collecting;
      expect(report.liveBlocks, `delay ${delay}`).toBeGreaterThanOrEqual(2);
    }
    expect(await store.listImages()).toEqual([keep.backupId]);
    await expectAllVerifyClean(sweeper);
    await sweeper.close();
    await store.close();
  });

  it('runs on a second Store while the first one holds images and unsealed blocks', async () => {
    const root = path.join(dir, 'two-stores');
    const first = await Store.open(root, { create: true });
    const second = await Store.open(root);
    const a = blocks('a', 3);
    await commitBlocks(first, 'vm_3000', [a]);
    // An open pack in the first store: not indexed, not on the second store's sweep list.
    const pending = (await putRaw(first, seededBytes(77, BLOCK))).digest;
    await sleep(5);
    expect(await collectGarbage(second)).toMatchObject({ liveImages: 1, packsDeleted: 0 });
    await first.flush();
    expect(await first.readBlock(pending)).toEqual(seededBytes(77, BLOCK));
    await expectAllVerifyClean(second);
    await first.close();
    await second.close();
  });
});
