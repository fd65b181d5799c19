/**
 * restoreImage against real stores: the restore hosts look blocks up in their own read-only
 * index connection, read runs of them out of the packs (straight into the window when stored
 * as they are, through a scratch buffer when compressed), check every digest, and hand window
 * buffers back and forth; these tests pin the bytes, the order of progress and the errors.
 */
import { readFile, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { restoreImage } from '../../../electron/engine/restore/restore-image.js';
import { CODEC_LZ4, CODEC_NONE, encodeBlock } from '../../../electron/engine/store/codec.js';
import { digestOf } from '../../../electron/engine/store/digest.js';
import type { Store } from '../../../electron/engine/store/store.js';
import { scratchDir, seededBytes } from '../../helpers/scratch.js';
import { commitBlocks, flipByte, openStore } from '../../helpers/store.js';

const KiB = 1024;
const BLOCK = 64 * KiB;
/** restoreImage's window (4 MiB) in blocks of 64 KiB. */
const WINDOW_BLOCKS = 64;

const textLike = (seed: number, length: number): Buffer =>
  Buffer.from(
    `block ${seed}: the quick brown fox jumps over the lazy dog. `.repeat(length).slice(0, length),
  );

/**
 * A disk of 40 windows (160 MiB virtual, mostly unallocated) whose stored blocks cover what a
 * restore must get right: random blocks stored as they are, back to back (one read into the
 * window); compressible ones (decoded through a scratch buffer); the same block twice; a block
 * in every window, so window buffers are handed back to the hosts and filled again; and a short
 * last block (a virtual size that is not a multiple of the block size).
 */
function sampleDisk(): Array<Buffer | null> {
  const windows = 40;
  const blocks: Array<Buffer | null> = new Array<Buffer | null>(windows * WINDOW_BLOCKS).fill(null);
  for (let i = 0; i < 20; i++) blocks[i] = seededBytes(100 + i, BLOCK);
  for (let i = 20; i < 30; i++) blocks[i] = textLike(i, BLOCK);
  blocks[31] = blocks[3]!;
  for (let w = 1; w < windows; w++)
    blocks[w * WINDOW_BLOCKS + (w % WINDOW_BLOCKS)] = seededBytes(w, BLOCK);
  blocks[blocks.length - 1] = seededBytes(999, 10 * KiB + 512);
  return blocks;
}

function expectedBytes(blocks: ReadonlyArray<Buffer | null>): Buffer {
  return Buffer.concat(blocks.map((b) => b ?? Buffer.alloc(BLOCK)));
}

describe('restoreImage', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeAll(async () => ({ dir, cleanup } = await scratchDir()));
  afterAll(async () => cleanup());

  async function storeWith(
    name: string,
    blocks: ReadonlyArray<Buffer | null>,
  ): Promise<{ store: Store; close: () => Promise<void>; backupId: string }> {
    const { store, close } = await openStore(path.join(dir, name));
    const backupId = 'vm_1700000000';
    await commitBlocks(store, backupId, [blocks], BLOCK);
    return { store, close, backupId };
  }

  it('restores every kind of stored block byte for byte, with progress in disk order', async () => {
    const blocks = sampleDisk();
    expect(encodeBlock(blocks[0]!).codec).toBe(CODEC_NONE);
    expect(encodeBlock(blocks[20]!).codec).toBe(CODEC_LZ4);
    const { store, close, backupId } = await storeWith('bytes', blocks);
    try {
      const seen: number[] = [];
      const [disk] = await restoreImage({
        store,
        backupId,
        toDir: path.join(dir, 'bytes-out'),
        format: 'raw',
        hosts: 2,
        onProgress: (p) => seen.push(p.doneBytes),
      });
      const expected = expectedBytes(blocks);
      expect(disk!.virtualSize).toBe(expected.byteLength);
      const restored = await readFile(disk!.path);
      expect(restored.byteLength).toBe(expected.byteLength);
      expect(digestOf(restored).equals(digestOf(expected))).toBe(true);
      expect(seen.length).toBeGreaterThan(40);
      expect(seen).toEqual([...seen].sort((a, b) => a - b));
      expect(seen.at(-1)).toBe(expected.byteLength);
    } finally {
      await close();
    }
  });

  it('restores 8 MiB blocks that are stored compressed but bigger than a read buffer', async () => {
    const big = 8 * 1024 * KiB;
    // 5 MiB that does not compress and 3 MiB that does: LZ4 keeps it, at more than 4 MiB.
    const block = Buffer.concat([seededBytes(7, 5 * 1024 * KiB), textLike(7, 3 * 1024 * KiB)]);
    const encoded = encodeBlock(block);
    expect(encoded.codec).toBe(CODEC_LZ4);
    expect(encoded.data.byteLength).toBeGreaterThan(4 * 1024 * KiB);
    const { store, close } = await openStore(path.join(dir, 'big-blocks'));
    try {
      const backupId = 'vm_1700000001';
      await commitBlocks(store, backupId, [[block, null, block]], big);
      const [disk] = await restoreImage({
        store,
        backupId,
        toDir: path.join(dir, 'big-out'),
        format: 'raw',
      });
      const restored = await readFile(disk!.path);
      expect(restored.equals(Buffer.concat([block, Buffer.alloc(big), block]))).toBe(true);
    } finally {
      await close();
    }
  });

  async function damagedRestore(
    name: string,
    damage: (store: Store, digest: Buffer) => Promise<void>,
  ): Promise<{ error: Error & { code?: string }; left: string[] }> {
    const blocks = sampleDisk();
    const { store, close, backupId } = await storeWith(name, blocks);
    const toDir = path.join(dir, `${name}-out`);
    try {
      // The 4th block of window 5: restores fail on it after earlier windows were written.
      await damage(store, digestOf(blocks[5 * WINDOW_BLOCKS + 5]!));
      const error = await restoreImage({ store, backupId, toDir, format: 'vhdx', hosts: 2 }).then(
        () => new Error('the restore succeeded'),
        (e: Error) => e,
      );
      return { error, left: await readdir(toDir) };
    } finally {
      await close();
    }
  }

  it('a damaged block stored as it is fails the restore, names the disk and offset, leaves no disk', async () => {
    const { error, left } = await damagedRestore('damaged', async (store, digest) => {
      const location = store.index.locate(digest)!;
      expect(location.codec).toBe(CODEC_NONE);
      await flipByte(store.layout.pack(location.pack), location.offset + 100);
    });
    expect(error).toMatchObject({ code: 'BLOCK_DAMAGED' });
    expect(error.message).toContain(
      `disk0.raw: the block at offset ${(5 * WINDOW_BLOCKS + 5) * BLOCK}`,
    );
    expect(error.message).toContain('does not match its digest');
    expect(left).toEqual([]);
  });

  it('a damaged compressed block is BLOCK_DAMAGED', async () => {
    const blocks = sampleDisk();
    const { store, close, backupId } = await storeWith('damaged-lz4', blocks);
    try {
      const location = store.index.locate(digestOf(blocks[25]!))!;
      expect(location.codec).toBe(CODEC_LZ4);
      await flipByte(store.layout.pack(location.pack), location.offset + 1); // its length header
      await expect(
        restoreImage({ store, backupId, toDir: path.join(dir, 'lz4-out'), format: 'raw' }),
      ).rejects.toMatchObject({
        code: 'BLOCK_DAMAGED',
        message: expect.stringMatching(/does not decode/),
      });
    } finally {
      await close();
    }
  });

  it('a block the index no longer knows is BLOCK_MISSING, with its offset', async () => {
    const { error, left } = await damagedRestore('missing', async (store, digest) => {
      const db = new Database(store.layout.index);
      db.prepare('DELETE FROM blocks WHERE digest = ?').run(digest);
      db.close();
    });
    expect(error).toMatchObject({ code: 'BLOCK_MISSING' });
    expect(error.message).toContain(`the block at offset ${(5 * WINDOW_BLOCKS + 5) * BLOCK}`);
    expect(left).toEqual([]);
  });

  it('a pack file that is gone is BLOCK_MISSING, not a crash of the hosts', async () => {
    const { error } = await damagedRestore('gone', async (store, digest) => {
      const location = store.index.locate(digest)!;
      await rm(store.layout.pack(location.pack));
    });
    expect(error).toMatchObject({ code: 'BLOCK_MISSING' });
    expect(error.message).toMatch(/whose file is gone|no longer in the storage unit/);
  });

  it('restores the same image twice at once from one store (hosts read beside each other)', async () => {
    const blocks = sampleDisk();
    const { store, close, backupId } = await storeWith('twice', blocks);
    try {
      const [a, b] = await Promise.all(
        ['a', 'b'].map((name) =>
          restoreImage({ store, backupId, toDir: path.join(dir, `twice-${name}`), format: 'raw' }),
        ),
      );
      const expected = digestOf(expectedBytes(blocks));
      for (const restored of [a!, b!]) {
        expect(digestOf(await readFile(restored[0]!.path)).equals(expected)).toBe(true);
      }
    } finally {
      await close();
    }
  });
});
