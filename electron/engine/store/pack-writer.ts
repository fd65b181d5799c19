import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, rm, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import type { BlockIndex } from './block-index.js';
import { digestHex } from './digest.js';
import { storeIoError } from './errors.js';
import { fsyncDirectory } from './fs-durable.js';
import type { StoreLayout } from './layout.js';
import { encodeIndex, PACK_MAGIC, type PackEntry } from './pack-format.js';

export interface PackWriterOptions {
  /** A pack is sealed once it holds this many bytes. */
  readonly packSize?: number;
}

const DEFAULT_PACK_SIZE = 16 * 1024 * 1024;
/** Blocks are gathered into writes of about this size: one syscall per few MiB, not per block. */
const WRITE_BATCH = 4 * 1024 * 1024;
/** Packs being sealed (fsync, rename) while the next one fills. */
const MAX_SEALING = 2;

interface OpenPack {
  readonly id: string;
  readonly tempPath: string;
  readonly handle: FileHandle;
  readonly entries: PackEntry[];
  batch: Buffer[];
  batchBytes: number;
  /** Bytes in the pack including the unwritten batch. */
  size: number;
  /** Where the batch starts in the file. */
  written: number;
}

/**
 * Appends blocks to packs. A pack is written under tmp/ (named after the writing process, so
 * a later run can tell an orphan from a pack still being written), fsynced, renamed into
 * packs/, its directory fsynced, and only then entered in the block index: a block is
 * indexed only once it is durable.
 */
export class PackWriter {
  private current: OpenPack | null = null;
  private readonly sealing = new Set<Promise<void>>();
  private failure: unknown = null;
  /** Digests in packs not yet sealed: stored as far as deduplication is concerned. */
  private readonly unsealed = new Set<string>();
  private readonly packSize: number;
  /** add, flush and abort run one at a time, in call order, each on the state the last left. */
  private queue: Promise<void> = Promise.resolve();

  constructor(
    private readonly layout: StoreLayout,
    private readonly index: BlockIndex,
    options: PackWriterOptions = {},
  ) {
    this.packSize = options.packSize ?? DEFAULT_PACK_SIZE;
  }

  holds(digest: Buffer): boolean {
    return this.unsealed.has(digestHex(digest));
  }

  /**
   * Appends a block. Safe to call without waiting for the previous call: calls are queued, and
   * the digest counts as held at once, so a concurrent put of the same block deduplicates.
   */
  add(digest: Buffer, data: Buffer, rawLength: number, codec: number): Promise<void> {
    const hex = digestHex(digest);
    this.unsealed.add(hex);
    return this.serially(async () => {
      let pack: OpenPack;
      try {
        if (this.failure) throw this.failure;
        pack = this.current ?? (this.current = await this.start());
      } catch (error) {
        this.unsealed.delete(hex);
        throw error;
      }
      await this.append(pack, digest, data, rawLength, codec);
    });
  }

  private serially(work: () => Promise<void>): Promise<void> {
    const done = this.queue.then(work);
    this.queue = done.catch(() => undefined);
    return done;
  }

  private async append(
    pack: OpenPack,
    digest: Buffer,
    data: Buffer,
    rawLength: number,
    codec: number,
  ): Promise<void> {
    pack.entries.push({
      digest,
      offset: pack.size,
      storedLength: data.byteLength,
      rawLength,
      codec,
    });
    pack.batch.push(data);
    pack.batchBytes += data.byteLength;
    pack.size += data.byteLength;
    if (pack.batchBytes >= WRITE_BATCH) {
      // A batch that did not reach the file leaves the pack with entries for data it lacks:
      // the pack is failed, never sealed, until abort() drops it.
      await this.writeBatch(pack).catch((error: unknown) => {
        this.failure ??= error;
        throw error;
      });
    }
    if (pack.size >= this.packSize) {
      this.current = null;
      while (this.sealing.size >= MAX_SEALING) await Promise.race(this.sealing);
      const sealed: Promise<void> = this.seal(pack)
        .catch((error: unknown) => {
          this.failure ??= error;
        })
        .finally(() => this.sealing.delete(sealed));
      this.sealing.add(sealed);
    }
  }

  /** Seals the open pack and waits for every pack being sealed: all added blocks are durable. */
  flush(): Promise<void> {
    return this.serially(async () => {
      if (this.failure) throw this.failure;
      const pack = this.current;
      this.current = null;
      if (pack) await this.seal(pack).catch((error: unknown) => (this.failure ??= error));
      await Promise.all(this.sealing);
      if (this.failure) throw this.failure;
    });
  }

  /**
   * Drops the open pack; packs already sealed stay (their blocks are indexed and reusable).
   * Clears a failure, so the writer can be used again (by the next backup on this store).
   */
  abort(): Promise<void> {
    return this.serially(async () => {
      const pack = this.current;
      this.current = null;
      await Promise.allSettled(this.sealing);
      if (pack) {
        for (const entry of pack.entries) this.unsealed.delete(digestHex(entry.digest));
        await pack.handle.close().catch(() => undefined);
        await rm(pack.tempPath, { force: true });
      }
      this.failure = null;
    });
  }

  private async start(): Promise<OpenPack> {
    const id = randomBytes(16).toString('hex');
    const tempPath = path.join(this.layout.tmp, `${process.pid}-${id}.pack.partial`);
    try {
      await mkdir(this.layout.tmp, { recursive: true });
      const handle = await open(tempPath, 'wx');
      return {
        id,
        tempPath,
        handle,
        entries: [],
        batch: [PACK_MAGIC],
        batchBytes: PACK_MAGIC.byteLength,
        size: PACK_MAGIC.byteLength,
        written: 0,
      };
    } catch (cause) {
      throw storeIoError(tempPath, 'cannot start a pack', cause);
    }
  }

  private async writeBatch(pack: OpenPack): Promise<void> {
    const buffers = pack.batch;
    const position = pack.written;
    pack.batch = [];
    pack.written += pack.batchBytes;
    pack.batchBytes = 0;
    try {
      let done = 0;
      const total = buffers.reduce((sum, b) => sum + b.byteLength, 0);
      let pieces = buffers;
      while (done < total) {
        const { bytesWritten } = await pack.handle.writev(pieces, position + done);
        done += bytesWritten;
        if (done < total) pieces = [Buffer.concat(pieces).subarray(bytesWritten)];
      }
    } catch (cause) {
      throw storeIoError(pack.tempPath, 'cannot write to the pack', cause);
    }
  }

  private async seal(pack: OpenPack): Promise<void> {
    const target = this.layout.pack(pack.id);
    try {
      const index = encodeIndex(pack.entries);
      pack.batch.push(index);
      pack.batchBytes += index.byteLength;
      pack.size += index.byteLength;
      await this.writeBatch(pack);
      await pack.handle.sync();
      await pack.handle.close();
      const created = await mkdir(path.dirname(target), { recursive: true });
      if (created) await fsyncDirectory(this.layout.packs);
      await rename(pack.tempPath, target);
      await fsyncDirectory(path.dirname(target));
    } catch (cause) {
      await pack.handle.close().catch(() => undefined);
      await rm(pack.tempPath, { force: true });
      for (const entry of pack.entries) this.unsealed.delete(digestHex(entry.digest));
      throw storeIoError(pack.tempPath, 'cannot seal the pack', cause);
    }
    try {
      this.index.addPack(pack.id, Date.now(), pack.size, pack.entries);
    } catch (cause) {
      // The pack is sealed and durable; recover() indexes it on the next run.
      throw storeIoError(this.layout.index, 'cannot index the sealed pack', cause);
    } finally {
      for (const entry of pack.entries) this.unsealed.delete(digestHex(entry.digest));
    }
  }
}
