/**
 * The restore host's reading half, in this thread: look-ups through a read-only BlockLocator,
 * pack runs, and the second look-up after a garbage collection moved blocks to a new pack
 * between the look-up and the read.
 */
import { copyFile, mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { locateWindow } from '../../../electron/engine/hosts/window-blocks.js';
import { packRuns, WindowReader } from '../../../electron/engine/hosts/window-reader.js';
import { BlockLocator } from '../../../electron/engine/store/block-locator.js';
import { DIGEST_BYTES, digestOf } from '../../../electron/engine/store/digest.js';
import { scratchDir, seededBytes } from '../../helpers/scratch.js';
import { commitBlocks, openStore } from '../../helpers/store.js';

const BLOCK = 64 * 1024;

describe('WindowReader', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeAll(async () => ({ dir, cleanup } = await scratchDir()));
  afterAll(async () => cleanup());

  async function stored(name: string, blocks: Array<Buffer | null>) {
    const opened = await openStore(path.join(dir, name));
    await commitBlocks(opened.store, 'vm_1700000000', [blocks], BLOCK);
    const digests = Buffer.alloc(blocks.length * DIGEST_BYTES);
    blocks.forEach((b, i) => b && digestOf(b).copy(digests, i * DIGEST_BYTES));
    const window = {
      disk: 'disk0.raw',
      firstOffset: 0,
      blockSize: BLOCK,
      virtualSize: blocks.length * BLOCK,
      digests,
    };
    return { ...opened, window };
  }

  it('finds blocks again after a collection moved their pack, and reads them from the new one', async () => {
    const blocks = [seededBytes(1, BLOCK), null, seededBytes(2, BLOCK), seededBytes(3, BLOCK)];
    const { store, close, window } = await stored('moved', blocks);
    const locator = new BlockLocator(store.layout.index);
    try {
      const located = locateWindow(locator, window);
      expect(located.map((b) => b.index)).toEqual([0, 2, 3]);
      const oldPack = located[0]!.location.pack;
      // What a sweep's repack amounts to for a reader: the blocks under a new pack ID (here at
      // the same offsets), committed, and the old file deleted.
      const newPack = 'f'.repeat(32);
      await mkdir(store.layout.packDir(newPack), { recursive: true });
      await copyFile(store.layout.pack(oldPack), store.layout.pack(newPack));
      const db = new Database(store.layout.index);
      db.prepare('UPDATE blocks SET pack = ? WHERE pack = ?').run(newPack, oldPack);
      db.close();
      await rm(store.layout.pack(oldPack));

      const target = Buffer.alloc(blocks.length * BLOCK, 0xee);
      const reader = new WindowReader(store.layout, locator);
      await reader.readInto(target, located, window);
      await reader.close();
      for (const [i, block] of blocks.entries()) {
        if (block) expect(target.subarray(i * BLOCK, (i + 1) * BLOCK).equals(block)).toBe(true);
      }
      expect(located.every((b) => b.location.pack === newPack)).toBe(true);
      // Blocks that were never stored are left as they were: the writer never sees them.
      expect(target.subarray(BLOCK, 2 * BLOCK).every((byte) => byte === 0xee)).toBe(true);
    } finally {
      locator.close();
      await close();
    }
  });

  it('waits for a collection that deleted the pack to commit the new locations, then reads them', async () => {
    const blocks = [seededBytes(21, BLOCK), seededBytes(22, BLOCK)];
    const { store, close, window } = await stored('sweeping', blocks);
    const locator = new BlockLocator(store.layout.index);
    try {
      const located = locateWindow(locator, window);
      const oldPack = located[0]!.location.pack;
      const newPack = 'e'.repeat(32);
      await mkdir(store.layout.packDir(newPack), { recursive: true });
      await copyFile(store.layout.pack(oldPack), store.layout.pack(newPack));
      // As a sweep does it: the old file goes first; the index names the new pack only when
      // the sweep commits, a little later.
      await rm(store.layout.pack(oldPack));
      const committed = new Promise<void>((resolve) =>
        setTimeout(() => {
          const db = new Database(store.layout.index);
          db.prepare('UPDATE blocks SET pack = ? WHERE pack = ?').run(newPack, oldPack);
          db.close();
          resolve();
        }, 300),
      );
      const target = Buffer.alloc(blocks.length * BLOCK);
      const reader = new WindowReader(store.layout, locator);
      await reader.readInto(target, located, window);
      await committed;
      await reader.close();
      expect(target.equals(Buffer.concat(blocks))).toBe(true);
    } finally {
      locator.close();
      await close();
    }
  });

  it('groups blocks that lie back to back in one pack into one read, and no more than 4 MiB', async () => {
    const blocks = Array.from({ length: 70 }, (_, i) => seededBytes(10 + i, BLOCK));
    const { store, close, window } = await stored('runs', blocks);
    const locator = new BlockLocator(store.layout.index);
    try {
      const located = locateWindow(locator, window);
      expect(packRuns(located).map((run) => run.length)).toEqual([64, 6]);
      // Out of pack order (a later block first) nothing is back to back any more.
      expect(packRuns([located[1]!, located[0]!]).map((run) => run.length)).toEqual([1, 1]);
    } finally {
      locator.close();
      await close();
    }
  });

  it('a look-up of an unknown digest is undefined, in the order asked', async () => {
    const block = seededBytes(99, BLOCK);
    const { store, close } = await stored('lookup', [block]);
    const locator = new BlockLocator(store.layout.index);
    try {
      const unknown = digestOf(Buffer.from('not stored'));
      const [a, b, c] = locator.locateAll([unknown, digestOf(block), unknown]);
      expect(a).toBeUndefined();
      expect(b).toMatchObject({ rawLength: BLOCK });
      expect(c).toBeUndefined();
    } finally {
      locator.close();
      await close();
    }
  });
});
