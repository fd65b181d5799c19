import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, stat, truncate, writeFile } from 'node:fs/promises';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CODEC_LZ4, CODEC_NONE } from '../../../electron/engine/store/codec.js';
import { digestOf } from '../../../electron/engine/store/digest.js';
import {
  encodeIndex,
  ENTRY_BYTES,
  MAX_PACK_BYTES,
  PACK_MAGIC,
  parseEntries,
  parseTrailer,
  TRAILER_BYTES,
  type PackEntry,
} from '../../../electron/engine/store/pack-format.js';
import { readPackIndex } from '../../../electron/engine/store/pack-reader.js';
import { Store } from '../../../electron/engine/store/store.js';
import { flipByte, putRaw, removeDatabase } from '../../helpers/store.js';
import { scratchDir, seededBytes } from '../../helpers/scratch.js';

const KiB = 1024;

/** A pack as the format describes it: magic, the blocks, their index and trailer. */
function buildPack(blocks: readonly Buffer[], tamper?: (entries: PackEntry[]) => void): Buffer {
  const entries: PackEntry[] = [];
  let offset = PACK_MAGIC.byteLength;
  for (const [i, data] of blocks.entries()) {
    entries.push({
      digest: digestOf(data),
      offset,
      storedLength: data.byteLength,
      rawLength: data.byteLength,
      codec: i % 2 === 0 ? CODEC_NONE : CODEC_LZ4,
    });
    offset += data.byteLength;
  }
  tamper?.(entries);
  return Buffer.concat([PACK_MAGIC, ...blocks, encodeIndex(entries)]);
}

/** A process ID no process has: a child that has exited and been reaped. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', '']);
  expect(child.status).toBe(0);
  return child.pid;
}

describe('pack format', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeAll(async () => ({ dir, cleanup } = await scratchDir()));
  afterAll(async () => cleanup());

  const blocks = [seededBytes(1, 4000), seededBytes(2, 100), seededBytes(3, 1)];

  async function packFile(name: string, bytes: Buffer): Promise<string> {
    const file = path.join(dir, name);
    await writeFile(file, bytes);
    return file;
  }

  it('round-trips the index: every field of every entry comes back, pads are zero', async () => {
    const pack = buildPack(blocks);
    const file = await packFile('good.pack', pack);
    const { entries, size } = await readPackIndex(file);
    expect(size).toBe(pack.byteLength);
    expect(entries).toHaveLength(3);
    let offset = PACK_MAGIC.byteLength;
    for (const [i, entry] of entries.entries()) {
      expect(entry.digest.equals(digestOf(blocks[i]!))).toBe(true);
      expect(entry.offset).toBe(offset);
      expect(entry.storedLength).toBe(blocks[i]!.byteLength);
      expect(entry.rawLength).toBe(blocks[i]!.byteLength);
      expect(entry.codec).toBe(i % 2 === 0 ? CODEC_NONE : CODEC_LZ4);
      expect(pack.subarray(entry.offset, entry.offset + entry.storedLength)).toEqual(blocks[i]);
      offset += entry.storedLength;
    }
    // Layout: data, then 52 bytes per entry with 3 zero pad bytes, then the 48-byte trailer.
    const indexAt = offset;
    expect(pack.byteLength).toBe(indexAt + 3 * ENTRY_BYTES + TRAILER_BYTES);
    for (let i = 0; i < 3; i++) {
      const pad = pack.subarray(indexAt + i * ENTRY_BYTES + 49, indexAt + (i + 1) * ENTRY_BYTES);
      expect([...pad]).toEqual([0, 0, 0]);
    }
    const trailer = pack.subarray(pack.byteLength - TRAILER_BYTES);
    expect(trailer.subarray(40).toString('latin1')).toBe('TSRPIDX1');
    expect(parseTrailer(trailer, pack.byteLength)).toMatchObject({
      entryCount: 3,
      indexOffset: indexAt,
    });
    // The pure functions agree with the reader.
    const { indexSha256 } = parseTrailer(trailer, pack.byteLength);
    const direct = parseEntries(
      pack.subarray(indexAt, pack.byteLength - TRAILER_BYTES),
      indexSha256,
      indexAt,
    );
    expect(direct).toEqual(entries);
  });

  it('round-trips an empty pack', async () => {
    const file = await packFile('empty.pack', buildPack([]));
    expect(await readPackIndex(file)).toEqual({
      entries: [],
      size: PACK_MAGIC.byteLength + TRAILER_BYTES,
    });
  });

  it('rejects a truncated pack: the trailer is gone', async () => {
    const pack = buildPack(blocks);
    for (const cut of [1, 30, TRAILER_BYTES, TRAILER_BYTES + ENTRY_BYTES + 7]) {
      const file = await packFile(`cut-${cut}.pack`, pack.subarray(0, pack.byteLength - cut));
      await expect(readPackIndex(file)).rejects.toThrow(/no index trailer/);
    }
    const tiny = await packFile('tiny.pack', pack.subarray(0, 20));
    await expect(readPackIndex(tiny)).rejects.toThrow(/a pack of 20 bytes cannot be valid/);
    const none = await packFile('none.pack', Buffer.alloc(0));
    await expect(readPackIndex(none)).rejects.toThrow(/a pack of 0 bytes cannot be valid/);
  });

  it('rejects a bad trailer magic', async () => {
    const pack = buildPack(blocks);
    pack[pack.byteLength - 1] = 0x30; // "TSRPIDX0"
    const file = await packFile('magic.pack', pack);
    await expect(readPackIndex(file)).rejects.toThrow(/no index trailer/);
  });

  it('rejects an index whose checksum does not match (one entry byte changed)', async () => {
    const pack = buildPack(blocks);
    const indexAt = pack.byteLength - TRAILER_BYTES - 3 * ENTRY_BYTES;
    // The storedLength of entry 1: a plausible value, caught only by the checksum.
    const file = await packFile('checksum.pack', pack);
    await flipByte(file, indexAt + ENTRY_BYTES + 40);
    await expect(readPackIndex(file)).rejects.toThrow(/checksum does not match/);
    // And damage to the checksum itself.
    const file2 = await packFile('checksum2.pack', pack);
    await flipByte(file2, pack.byteLength - TRAILER_BYTES + 5);
    await expect(readPackIndex(file2)).rejects.toThrow(/checksum does not match/);
  });

  it('rejects an entry that points outside the data, even with a valid checksum', async () => {
    const cases: Array<[string, (entries: PackEntry[]) => void]> = [
      ['past the data', (e) => (e[2] = { ...e[2]!, offset: e[2]!.offset + 1 })],
      ['into the magic', (e) => (e[0] = { ...e[0]!, offset: 4 })],
      ['longer than the data', (e) => (e[1] = { ...e[1]!, storedLength: 1 << 30 })],
      ['at 2^53 - 1', (e) => (e[0] = { ...e[0]!, offset: Number.MAX_SAFE_INTEGER })],
    ];
    for (const [name, tamper] of cases) {
      const file = await packFile(`outside-${name}.pack`, buildPack(blocks, tamper));
      await expect(readPackIndex(file), name).rejects.toThrow(/points outside the pack's data/);
    }
  });

  it('rejects an absurd block count without allocating for it', async () => {
    const pack = buildPack(blocks);
    for (const count of [0xffffffff, 1_000_000, 4]) {
      pack.writeUInt32LE(count, pack.byteLength - TRAILER_BYTES + 32);
      const file = await packFile(`count-${count}.pack`, pack);
      const before = process.memoryUsage().arrayBuffers;
      const failure = readPackIndex(file);
      if (count === 4) {
        // Fits in the file, so the index is read, but it is not the checksummed one.
        await expect(failure).rejects.toThrow(/checksum does not match/);
      } else {
        await expect(failure).rejects.toThrow(
          new RegExp(`trailer counts ${count} blocks, more than the file can hold`),
        );
      }
      expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(16 * 1024 * 1024);
    }
  });

  it('rejects a pack larger than any pack Tessera writes, before reading it', async () => {
    const file = path.join(dir, 'huge.pack');
    await writeFile(file, buildPack(blocks));
    await truncate(file, MAX_PACK_BYTES + 1); // sparse: costs no space
    await expect(readPackIndex(file)).rejects.toThrow(/cannot be valid/);
  });

  it('a pack written by the store reads back with the blocks where its index says', async () => {
    const store = await Store.open(path.join(dir, 'store-written'), { create: true });
    const compressible = Buffer.alloc(64 * KiB, 'tessera ');
    const random = seededBytes(9, 64 * KiB);
    const a = await putRaw(store, compressible);
    const b = await putRaw(store, random);
    expect(a.codec).toBe(CODEC_LZ4);
    expect(b.codec).toBe(CODEC_NONE);
    await store.flush();
    const [packId] = await store.listPackFiles();
    const { entries, size } = await readPackIndex(store.layout.pack(packId!));
    expect(size).toBe((await stat(store.layout.pack(packId!))).size);
    expect(entries.map((e) => e.digest.toString('hex'))).toEqual([
      a.digest.toString('hex'),
      b.digest.toString('hex'),
    ]);
    const bytes = await readFile(store.layout.pack(packId!));
    expect(bytes.subarray(0, 8)).toEqual(PACK_MAGIC);
    expect(bytes.subarray(entries[1]!.offset, entries[1]!.offset + 64 * KiB)).toEqual(random);
    expect(entries[0]!.storedLength).toBeLessThan(64 * KiB);
    await store.close();
  });
});

describe('Store.recover()', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeAll(async () => ({ dir, cleanup } = await scratchDir()));
  afterAll(async () => cleanup());

  /** A store of `packs` sealed packs of 3 blocks each; returns the blocks' digests and data. */
  async function filledStore(
    name: string,
    packs: number,
  ): Promise<{ root: string; blocks: Map<string, Buffer> }> {
    const root = path.join(dir, name);
    const store = await Store.open(root, { create: true, packSize: 100 * KiB });
    const blocks = new Map<string, Buffer>();
    for (let i = 0; i < packs * 3; i++) {
      const raw = seededBytes(1000 + i, 40 * KiB);
      blocks.set((await putRaw(store, raw)).digest.toString('hex'), raw);
    }
    await store.flush();
    expect(await store.listPackFiles()).toHaveLength(packs);
    await store.close();
    return { root, blocks };
  }

  it('rebuilds a lost index.db from the packs alone', async () => {
    const { root, blocks } = await filledStore('lost-index', 4);
    await removeDatabase(path.join(root, 'index.db'));
    const store = await Store.open(root);
    const anyDigest = Buffer.from([...blocks.keys()][0]!, 'hex');
    expect(store.hasBlock(anyDigest)).toBe(false);
    await expect(store.readBlock(anyDigest)).rejects.toMatchObject({ code: 'BLOCK_MISSING' });
    expect(await store.recover()).toEqual({
      removedTemporary: 0,
      indexedPacks: 4,
      damagedPacks: [],
      forgottenPacks: [],
    });
    expect(store.index.counts()).toMatchObject({ packs: 4, blocks: 12 });
    for (const [hex, raw] of blocks)
      expect(await store.readBlock(Buffer.from(hex, 'hex'))).toEqual(raw);
    // A second recovery finds nothing to do.
    expect(await store.recover()).toEqual({
      removedTemporary: 0,
      indexedPacks: 0,
      damagedPacks: [],
      forgottenPacks: [],
    });
    await store.close();
  });

  it('indexes a sealed pack whose rows never reached index.db (crash after the rename)', async () => {
    const { root, blocks } = await filledStore('lost-rows', 3);
    const db = new Database(path.join(root, 'index.db'));
    const victim = db.prepare('SELECT id FROM packs LIMIT 1').pluck().get() as string;
    const lost = db
      .prepare('SELECT digest FROM blocks WHERE pack = ?')
      .pluck()
      .all(victim) as Buffer[];
    expect(lost).toHaveLength(3);
    db.prepare('DELETE FROM blocks WHERE pack = ?').run(victim);
    db.prepare('DELETE FROM packs WHERE id = ?').run(victim);
    db.close();

    const store = await Store.open(root);
    for (const digest of lost) expect(store.hasBlock(digest)).toBe(false);
    // Before recovery a backup would store these again; after it, they are found.
    const report = await store.recover();
    expect(report).toEqual({
      removedTemporary: 0,
      indexedPacks: 1,
      damagedPacks: [],
      forgottenPacks: [],
    });
    for (const digest of lost) {
      expect(store.hasBlock(digest)).toBe(true);
      expect(await store.readBlock(digest)).toEqual(blocks.get(digest.toString('hex')));
    }
    expect((await putRaw(store, blocks.get(lost[0]!.toString('hex'))!)).stored).toBe(false);
    await store.close();
  });

  it('reports an unreadable unindexed pack as damaged and indexes the rest', async () => {
    const { root } = await filledStore('damaged-unindexed', 3);
    await removeDatabase(path.join(root, 'index.db'));
    const store = await Store.open(root);
    const [bad] = await store.listPackFiles();
    const file = store.layout.pack(bad!);
    await truncate(file, (await stat(file)).size - 10);
    const report = await store.recover();
    expect(report.indexedPacks).toBe(2);
    expect(report.damagedPacks).toEqual([bad]);
    expect(existsSync(file)).toBe(true); // left for verify to report
    await store.close();
  });

  it('removes temporary files of dead processes, and keeps those of live ones', async () => {
    const root = path.join(dir, 'temporaries');
    const store = await Store.open(root, { create: true });
    const dead = deadPid();
    const tmp = store.layout.tmp;
    const doomed = [
      `${dead}-0123456789abcdef0123456789abcdef.pack.partial`,
      `${dead}-deleted-vm_1700000000`,
    ];
    const kept = [
      `${process.pid}-fedcba9876543210fedcba9876543210.pack.partial`,
      `1-00112233445566778899aabbccddeeff.pack.partial`, // pid 1 is always running
    ];
    await writeFile(path.join(tmp, doomed[0]!), 'half a pack');
    await mkdir(path.join(tmp, doomed[1]!));
    await writeFile(path.join(tmp, doomed[1]!, 'manifest.json'), '{}');
    for (const name of kept) await writeFile(path.join(tmp, name), 'being written');
    // A staged image of a dead process: a directory named like stageImage names them.
    const staged = await store.stageImage('vm_1700000001');
    const deadStaged = path.join(tmp, `${dead}-${path.basename(staged.dir).split('-')[1]}`);
    await rm(staged.dir, { recursive: true });
    await mkdir(deadStaged);
    await writeFile(path.join(deadStaged, 'disk-0.blocks'), Buffer.alloc(32));

    const report = await store.recover();
    expect(report.removedTemporary).toBe(3);
    expect((await readdir(tmp)).sort()).toEqual([...kept].sort());
    await store.close();
  });
});
