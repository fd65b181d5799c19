import { mkdir, readdir, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CODEC_LZ4, CODEC_NONE, encodeBlock } from '../../../electron/engine/store/codec.js';
import { digestOf } from '../../../electron/engine/store/digest.js';
import { StoreError } from '../../../electron/engine/store/errors.js';
import { Store } from '../../../electron/engine/store/store.js';
import { flipByte, putRaw } from '../../helpers/store.js';
import { scratchDir, seededBytes } from '../../helpers/scratch.js';

const KiB = 1024;

describe('blocks', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeAll(async () => ({ dir, cleanup } = await scratchDir()));
  afterAll(async () => cleanup());

  async function packSizes(store: Store): Promise<number[]> {
    const ids = await store.listPackFiles();
    return Promise.all(ids.map(async (id) => (await stat(store.layout.pack(id))).size));
  }

  it('putBlock is idempotent: a second put of a digest stores nothing, before and after the flush', async () => {
    const root = path.join(dir, 'idempotent');
    const store = await Store.open(root, { create: true });
    const raw = seededBytes(1, 64 * KiB);
    expect((await putRaw(store, raw)).stored).toBe(true);
    // Still in the open pack: the writer holds it, the index does not yet.
    expect((await putRaw(store, raw)).stored).toBe(false);
    await store.flush();
    expect(store.index.counts()).toEqual({ packs: 1, blocks: 1, storedBytes: 64 * KiB });
    const sizes = await packSizes(store);
    expect(sizes).toEqual([8 + 64 * KiB + 52 + 48]);
    // Indexed now.
    expect((await putRaw(store, raw)).stored).toBe(false);
    await store.flush();
    expect(await packSizes(store)).toEqual(sizes);
    await store.close();
    // Another process (here, another Store) sees it too.
    const again = await Store.open(root);
    expect((await putRaw(again, raw)).stored).toBe(false);
    await again.flush();
    expect(again.index.counts()).toEqual({ packs: 1, blocks: 1, storedBytes: 64 * KiB });
    expect(await readdir(again.layout.tmp)).toEqual([]);
    await again.close();
  });

  it('reads back what was put, for compressed and stored-as-is blocks and short last blocks', async () => {
    const store = await Store.open(path.join(dir, 'roundtrip'), { create: true });
    const cases = [
      Buffer.alloc(64 * KiB, 'text-like '),
      seededBytes(2, 64 * KiB),
      seededBytes(3, 12345),
      Buffer.from([7]),
    ];
    const digests = [];
    for (const raw of cases) digests.push((await putRaw(store, raw)).digest);
    await store.flush();
    expect(store.index.locate(digests[0]!)?.codec).toBe(CODEC_LZ4);
    expect(store.index.locate(digests[1]!)?.codec).toBe(CODEC_NONE);
    for (const [i, raw] of cases.entries()) expect(await store.readBlock(digests[i]!)).toEqual(raw);
    await store.close();
  });

  describe('readBlock checks every block against its digest', () => {
    async function storedBlock(
      name: string,
      raw: Buffer,
    ): Promise<{ store: Store; digest: Buffer; file: string; offset: number; length: number }> {
      const store = await Store.open(path.join(dir, name), { create: true });
      await putRaw(store, seededBytes(100, 10 * KiB)); // a neighbour before it
      const { digest } = await putRaw(store, raw);
      await putRaw(store, seededBytes(101, 10 * KiB)); // and one after
      await store.flush();
      const location = store.index.locate(digest)!;
      return {
        store,
        digest,
        file: store.layout.pack(location.pack),
        offset: location.offset,
        length: location.storedLength,
      };
    }

    it('a flipped byte in a stored-as-is block is BLOCK_DAMAGED', async () => {
      const raw = seededBytes(4, 64 * KiB);
      const { store, digest, file, offset, length } = await storedBlock('damaged-none', raw);
      expect(await store.readBlock(digest)).toEqual(raw); // cached handle, read before damage
      await flipByte(file, offset + Math.floor(length / 2));
      const error = await store.readBlock(digest).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(StoreError);
      expect(error).toMatchObject({ code: 'BLOCK_DAMAGED', path: file });
      expect((error as StoreError).detail).toMatch(
        new RegExp(`block ${digest.toString('hex')} at offset ${offset} does not match its digest`),
      );
      await store.close();
    });

    it('a flipped byte in a compressed block, or in its length header, is BLOCK_DAMAGED', async () => {
      const raw = Buffer.concat([Buffer.alloc(32 * KiB, 'abcdefgh'), seededBytes(5, 32 * KiB)]);
      expect(encodeBlock(raw).codec).toBe(CODEC_LZ4);
      for (const [name, at] of [
        ['payload', (length: number) => length - 100],
        ['header', () => 1],
      ] as const) {
        const { store, digest, file, offset, length } = await storedBlock(
          `damaged-lz4-${name}`,
          raw,
        );
        await flipByte(file, offset + at(length));
        await expect(store.readBlock(digest), name).rejects.toMatchObject({
          code: 'BLOCK_DAMAGED',
        });
        await store.close();
      }
    });

    it('a deleted pack file is BLOCK_MISSING', async () => {
      const raw = seededBytes(6, 64 * KiB);
      const { store, digest, file } = await storedBlock('missing-pack', raw);
      await rm(file);
      const error = await store.readBlock(digest).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(StoreError);
      expect(error).toMatchObject({ code: 'BLOCK_MISSING' });
      expect((error as StoreError).detail).toContain(digest.toString('hex'));
      // Also when the pack was open (its handle cached) before it went.
      await store.close();
    });

    it('a deleted pack file whose handle was already open is still BLOCK_MISSING after reopening', async () => {
      const raw = seededBytes(7, 64 * KiB);
      const { store, digest, file } = await storedBlock('missing-pack-2', raw);
      expect(await store.readBlock(digest)).toEqual(raw);
      await rm(file);
      await store.close();
      const again = await Store.open(path.join(dir, 'missing-pack-2'));
      await expect(again.readBlock(digest)).rejects.toMatchObject({ code: 'BLOCK_MISSING' });
      await again.close();
    });

    it('an unknown digest is BLOCK_MISSING', async () => {
      const store = await Store.open(path.join(dir, 'unknown'), { create: true });
      await expect(store.readBlock(digestOf(Buffer.from('never stored')))).rejects.toMatchObject({
        code: 'BLOCK_MISSING',
      });
      await store.close();
    });
  });

  it('after a pack file is lost, recover() forgets its blocks, so they are stored again, not linked to', async () => {
    const root = path.join(dir, 'lost-pack');
    const store = await Store.open(root, { create: true, packSize: 100 * KiB });
    const raws = [0, 1, 2, 3, 4, 5].map((i) => seededBytes(200 + i, 40 * KiB));
    const digests = [];
    for (const raw of raws) digests.push((await putRaw(store, raw)).digest);
    await store.flush();
    expect(await store.listPackFiles()).toHaveLength(2);
    const lostPack = store.index.locate(digests[0]!)!.pack;
    await rm(store.layout.pack(lostPack));
    expect(store.hasBlock(digests[0]!)).toBe(true); // the index still says so
    expect((await store.recover()).forgottenPacks).toEqual([lostPack]);
    const lost = digests.filter((_, i) => i < 3);
    for (const digest of lost) expect(store.hasBlock(digest)).toBe(false);
    for (const [i, raw] of raws.entries()) {
      expect((await putRaw(store, raw)).stored, `block ${i}`).toBe(i < 3);
    }
    await store.flush();
    for (const [i, raw] of raws.entries()) expect(await store.readBlock(digests[i]!)).toEqual(raw);
    await store.close();
  });

  it('abort() drops the open pack: its blocks are no longer held, and put again they are stored', async () => {
    const store = await Store.open(path.join(dir, 'abort'), { create: true });
    const kept = seededBytes(500, 20 * KiB);
    const dropped = seededBytes(501, 20 * KiB);
    const k = await putRaw(store, kept);
    await store.flush();
    const d = await putRaw(store, dropped);
    expect(store.hasBlock(d.digest)).toBe(true);
    await store.writer.abort();
    expect(store.hasBlock(k.digest)).toBe(true);
    expect(store.hasBlock(d.digest)).toBe(false);
    expect(await readdir(store.layout.tmp)).toEqual([]);
    expect((await putRaw(store, dropped)).stored).toBe(true);
    await store.flush();
    expect(await store.readBlock(d.digest)).toEqual(dropped);
    await store.close();
  });

  it('a failed seal fails the flush; after abort() the same store writes again', async () => {
    const store = await Store.open(path.join(dir, 'seal-fails'), { create: true });
    // packs/ replaced by a file: the sealed pack cannot be renamed in.
    await rm(store.layout.packs, { recursive: true });
    await writeFile(store.layout.packs, 'not a directory');
    const raw = seededBytes(502, 20 * KiB);
    const { digest } = await putRaw(store, raw);
    await expect(store.flush()).rejects.toMatchObject({ code: 'STORE_IO' });
    expect(store.hasBlock(digest)).toBe(false);
    expect(await readdir(store.layout.tmp)).toEqual([]);
    await rm(store.layout.packs);
    await mkdir(store.layout.packs);
    await store.writer.abort(); // what a failed backup does
    expect((await putRaw(store, raw)).stored).toBe(true);
    await store.flush();
    expect(await store.readBlock(digest)).toEqual(raw);
    await store.close();
  });

  it('concurrent puts lose no block and leave no temporary file', async () => {
    const store = await Store.open(path.join(dir, 'concurrent-puts'), {
      create: true,
      packSize: 50 * KiB,
    });
    const raws = Array.from({ length: 40 }, (_, i) => seededBytes(300 + i, 16 * KiB));
    const results = await Promise.all(
      [...raws, ...raws].map((raw) => putRaw(store, raw)), // each twice, at once
    );
    expect(results.filter((r) => r.stored)).toHaveLength(40);
    await store.flush();
    expect(store.index.counts()).toMatchObject({ blocks: 40 });
    expect(await readdir(store.layout.tmp)).toEqual([]);
    for (const [i, raw] of raws.entries())
      expect(await store.readBlock(results[i]!.digest)).toEqual(raw);
    await store.close();
  });

  it('concurrent reads across more packs than it keeps open all succeed', async () => {
    const root = path.join(dir, 'many-packs');
    const store = await Store.open(root, { create: true, packSize: 1 });
    const raws = Array.from({ length: 70 }, (_, i) => seededBytes(400 + i, 4 * KiB));
    const digests = [];
    for (const raw of raws) digests.push((await putRaw(store, raw)).digest);
    await store.flush();
    expect(await store.listPackFiles()).toHaveLength(70); // more than the 64 it keeps open
    for (let round = 0; round < 3; round++) {
      const read = await Promise.all(digests.map((digest) => store.readBlock(digest)));
      for (const [i, raw] of raws.entries()) expect(read[i]).toEqual(raw);
    }
    await store.close();
  });
});
