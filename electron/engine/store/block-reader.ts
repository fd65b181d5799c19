import { open, type FileHandle } from 'node:fs/promises';
import type { BlockLocation } from './block-index.js';
import { decodeBlock } from './codec.js';
import { digestHex, digestOf } from './digest.js';
import { StoreError, storeIoError } from './errors.js';
import type { Store } from './store.js';

/** Largest single read when blocks lie back to back in a pack. */
const MAX_RUN_BYTES = 8 * 1024 * 1024;
const OPEN_PACKS = 32;

/**
 * Reads many blocks at once for restores: blocks that lie back to back in one pack (as a
 * backup writes them) are fetched with one read, then each is decoded and checked against its
 * digest. Missing or damaged blocks fail with the digest and pack named.
 */
export class BlockReader {
  private readonly handles = new Map<string, Promise<FileHandle>>();

  constructor(private readonly store: Store) {}

  async readBlocks(digests: readonly Buffer[]): Promise<Buffer[]> {
    const locations = digests.map((digest) => {
      const location = this.store.index.locate(digest);
      if (!location) {
        throw new StoreError(
          'BLOCK_MISSING',
          this.store.dir,
          `block ${digestHex(digest)} is not in the storage unit`,
        );
      }
      return location;
    });
    const out = new Array<Buffer>(digests.length);
    const reads: Promise<void>[] = [];
    for (let first = 0; first < digests.length;) {
      let end = first + 1;
      let bytes = locations[first]!.storedLength;
      while (
        end < digests.length &&
        follows(locations[end - 1]!, locations[end]!) &&
        bytes + locations[end]!.storedLength <= MAX_RUN_BYTES
      ) {
        bytes += locations[end]!.storedLength;
        end++;
      }
      reads.push(this.readRun(digests, locations, first, end, out));
      first = end;
    }
    await Promise.all(reads);
    return out;
  }

  private async readRun(
    digests: readonly Buffer[],
    locations: readonly BlockLocation[],
    first: number,
    end: number,
    out: Buffer[],
  ): Promise<void> {
    const start = locations[first]!;
    const last = locations[end - 1]!;
    const length = last.offset + last.storedLength - start.offset;
    const file = this.store.layout.pack(start.pack);
    const buffer = Buffer.allocUnsafe(length);
    let bytesRead: number;
    try {
      ({ bytesRead } = await (await this.handle(start.pack)).read(buffer, 0, length, start.offset));
    } catch (cause) {
      if ((cause as NodeJS.ErrnoException).code === 'ENOENT') {
        // Repacked by a garbage collection since the lookup: read these blocks one by one.
        for (let i = first; i < end; i++) out[i] = await this.store.readBlock(digests[i]!);
        return;
      }
      throw storeIoError(file, 'cannot read blocks', cause);
    }
    for (let i = first; i < end; i++) {
      const location = locations[i]!;
      const at = location.offset - start.offset;
      if (at + location.storedLength > bytesRead) {
        throw new StoreError(
          'BLOCK_DAMAGED',
          file,
          `block ${digestHex(digests[i]!)} is cut short at offset ${location.offset}`,
        );
      }
      let raw: Buffer;
      try {
        raw = decodeBlock(
          location.codec,
          buffer.subarray(at, at + location.storedLength),
          location.rawLength,
        );
      } catch (cause) {
        throw new StoreError(
          'BLOCK_DAMAGED',
          file,
          `block ${digestHex(digests[i]!)} at offset ${location.offset} does not decode: ${(cause as Error).message}`,
        );
      }
      if (!digestOf(raw).equals(digests[i]!)) {
        throw new StoreError(
          'BLOCK_DAMAGED',
          file,
          `block ${digestHex(digests[i]!)} at offset ${location.offset} does not match its digest`,
        );
      }
      out[i] = raw;
    }
  }

  private handle(packId: string): Promise<FileHandle> {
    let handle = this.handles.get(packId);
    if (!handle) {
      if (this.handles.size >= OPEN_PACKS) {
        const [oldest] = this.handles.keys();
        const doomed = this.handles.get(oldest!)!;
        this.handles.delete(oldest!);
        // Closed a little later, so reads already started on it can finish.
        setTimeout(() => void doomed.then((h) => h.close()).catch(() => undefined), 1000).unref();
      }
      handle = open(this.store.layout.pack(packId), 'r');
      handle.catch(() => this.handles.delete(packId));
      this.handles.set(packId, handle);
    }
    return handle;
  }

  async close(): Promise<void> {
    const all = [...this.handles.values()];
    this.handles.clear();
    await Promise.all(all.map((h) => h.then((x) => x.close()).catch(() => undefined)));
  }
}

function follows(a: BlockLocation, b: BlockLocation): boolean {
  return a.pack === b.pack && a.offset + a.storedLength === b.offset;
}
