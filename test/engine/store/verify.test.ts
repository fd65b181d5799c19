import { rm } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { digestOf } from '../../../electron/engine/store/digest.js';
import { Store } from '../../../electron/engine/store/store.js';
import { Verifier } from '../../../electron/engine/store/verify.js';
import { commitBlocks, flipByte } from '../../helpers/store.js';
import { scratchDir, seededBytes } from '../../helpers/scratch.js';

const KiB = 1024;
const BLOCK = 64 * KiB;

describe('Verifier', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeAll(async () => ({ dir, cleanup } = await scratchDir()));
  afterAll(async () => cleanup());

  // `shared` appears three times on disk 0 and once on disk 1 of image X.
  const shared = seededBytes(1, BLOCK);
  const a = seededBytes(2, BLOCK);
  const b = seededBytes(3, BLOCK);
  const c = seededBytes(4, BLOCK);
  const tail = seededBytes(5, 5000); // a short last block
  const x = 'vm_1700000001';
  const y = 'vm_1700000002';

  async function twoImages(name: string): Promise<Store> {
    const store = await Store.open(path.join(dir, name), { create: true });
    await commitBlocks(store, x, [
      [shared, a, shared, b, null, shared, tail],
      [c, shared],
    ]);
    await commitBlocks(store, y, [[a, b, null, c]]);
    return store;
  }

  it('reports nothing for undamaged images, and counts what it checked', async () => {
    const store = await twoImages('clean');
    const verifier = new Verifier(store);
    const progress: Array<[number, number]> = [];
    const report = await verifier.verify(x, { onProgress: (d, t) => progress.push([d, t]) });
    expect(report).toEqual({
      backupId: x,
      blocksChecked: 8,
      bytesChecked: 7 * BLOCK + 5000,
      problems: [],
    });
    expect(progress.at(-1)).toEqual([8 * BLOCK + 5000, 8 * BLOCK + 5000]);
    expect((await verifier.verify(y)).problems).toEqual([]);
    await store.close();
  });

  it('reports a damaged block at the offset of every block of the image that uses it', async () => {
    const store = await twoImages('damaged');
    const digest = digestOf(shared);
    const location = store.index.locate(digest)!;
    await flipByte(store.layout.pack(location.pack), location.offset + 1000);
    const verifier = new Verifier(store);
    const report = await verifier.verify(x);
    expect(report.blocksChecked).toBe(8);
    const problem = (position: number, offset: number): object => ({
      backupId: x,
      position,
      disk: `disk${position}.raw`,
      offset,
      digest: digest.toString('hex'),
      code: 'BLOCK_DAMAGED',
      detail: expect.stringContaining('does not match its digest') as unknown,
    });
    expect(report.problems).toEqual([
      problem(0, 0),
      problem(0, 2 * BLOCK),
      problem(0, 5 * BLOCK),
      problem(1, BLOCK),
    ]);
    // The image that does not use the block is clean, with the same verifier and a new one.
    expect((await verifier.verify(y)).problems).toEqual([]);
    expect((await new Verifier(store).verify(y)).problems).toEqual([]);
    await store.close();
  });

  it('reports every block of a lost pack as missing', async () => {
    const store = await twoImages('missing');
    // Both images' blocks are in the packs of their commits: lose the first image's pack.
    const pack = store.index.locate(digestOf(shared))!.pack;
    expect(store.index.locate(digestOf(a))!.pack).toBe(pack);
    await store.close();
    const reopened = await Store.open(path.join(dir, 'missing'));
    await rm(reopened.layout.pack(pack));
    const report = await new Verifier(reopened).verify(y);
    expect(report.problems.map((p) => [p.position, p.offset, p.code])).toEqual([
      [0, 0, 'BLOCK_MISSING'],
      [0, BLOCK, 'BLOCK_MISSING'],
      [0, 3 * BLOCK, 'BLOCK_MISSING'],
    ]);
    await reopened.close();
  });

  it('reports a damaged digest list for its disk, and a missing image', async () => {
    const store = await twoImages('damaged-list');
    await flipByte(store.layout.digestList(x, 'disk-1.blocks'), 3);
    const report = await new Verifier(store).verify(x);
    expect(report.blocksChecked).toBe(6); // disk 0 still checked
    expect(report.problems).toEqual([
      expect.objectContaining({
        position: 1,
        disk: 'disk1.raw',
        offset: null,
        code: 'STORE_CORRUPT',
      }),
    ]);
    const gone = await new Verifier(store).verify('vm_1700000009');
    expect(gone.problems).toEqual([
      expect.objectContaining({ position: null, offset: null, code: 'IMAGE_NOT_FOUND' }),
    ]);
    await store.close();
  });
});
