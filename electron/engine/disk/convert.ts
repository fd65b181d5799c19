import { allocAligned } from './io/aligned.js';
import type { DiskWriter, VirtualDisk } from './types.js';

export interface ConvertProgress {
  /** Bytes of the virtual disk handled so far (read and written, or skipped as sparse). */
  readonly doneBytes: number;
  readonly totalBytes: number;
}

export interface ConvertOptions {
  /** Size of each read and write. */
  readonly chunkSize?: number;
  /** Reads kept in flight ahead of the writer. */
  readonly readAhead?: number;
  /** Writes handed to the writer and not yet settled (it queues them: see ImageOutput). */
  readonly writeBehind?: number;
  readonly onProgress?: (progress: ConvertProgress) => void;
  readonly signal?: AbortSignal;
}

export interface ConvertResult {
  readonly virtualSize: number;
  /** Bytes read from the source because its map said they hold data. */
  readonly dataBytesRead: number;
}

export const DEFAULT_CHUNK = 4 * 1024 * 1024;

interface Chunk {
  readonly offset: number;
  readonly buffer: Buffer;
  readonly view: Buffer;
  /** The read, then (once handed to the writer) the write. */
  io: Promise<void>;
}

/**
 * Streams every data extent of `source` into `writer`, in order, and finishes the writer.
 * Unallocated and zero extents are never read; the writer leaves all-zero data sparse.
 *
 * Reads run ahead of the writer and several writes are handed over at once (the DiskWriter
 * contract allows it), so source and target I/O proceed in parallel and the target always has
 * its next write waiting. The target is the bottleneck (a buffered write costs the kernel about
 * twice a cached read), so the defaults keep it busy without oversubscribing a small machine:
 * on 2 cores, more reads in flight only took CPU time from the writes. Memory is bounded by
 * chunkSize × (readAhead + writeBehind) whatever the disk size. On any failure the writer is
 * aborted, so no partial image is left under the target name.
 */
export async function convertDisk(
  source: VirtualDisk,
  writer: DiskWriter,
  options: ConvertOptions = {},
): Promise<ConvertResult> {
  const chunkSize = options.chunkSize ?? DEFAULT_CHUNK;
  const readAhead = Math.max(1, options.readAhead ?? 2);
  const writeBehind = Math.max(1, options.writeBehind ?? 3);
  const total = source.virtualSize;
  const pool: Buffer[] = [];
  const reading: Chunk[] = [];
  const writing: Chunk[] = [];
  let dataBytesRead = 0;

  const report = (doneBytes: number): void =>
    options.onProgress?.({ doneBytes, totalBytes: total });
  const observe = (promise: Promise<void>): Promise<void> => {
    promise.catch(() => undefined); // awaited later, in order; not an unhandled rejection meanwhile
    return promise;
  };

  const retireWrite = async (): Promise<void> => {
    const chunk = writing.shift()!;
    await chunk.io;
    pool.push(chunk.buffer);
    report(chunk.offset + chunk.view.byteLength);
  };
  const startWrite = async (): Promise<void> => {
    const chunk = reading.shift()!;
    await chunk.io;
    chunk.io = observe(writer.write(chunk.offset, chunk.view));
    writing.push(chunk);
    if (writing.length >= writeBehind) await retireWrite();
  };

  try {
    for await (const extent of source.extents({ detectZeros: false })) {
      options.signal?.throwIfAborted();
      if (extent.kind !== 'data') {
        if (reading.length === 0 && writing.length === 0) report(extent.offset + extent.length);
        continue;
      }
      const end = extent.offset + extent.length;
      for (let at = extent.offset; at < end;) {
        // Chunks end on chunk-size boundaries so writers see block-aligned pieces.
        const length = Math.min(end, (Math.floor(at / chunkSize) + 1) * chunkSize) - at;
        const buffer = pool.pop() ?? allocAligned(chunkSize);
        const view = buffer.subarray(0, length);
        reading.push({ offset: at, buffer, view, io: observe(source.read(view, at)) });
        dataBytesRead += length;
        at += length;
        if (reading.length >= readAhead) await startWrite();
      }
    }
    while (reading.length > 0) await startWrite();
    while (writing.length > 0) await retireWrite();
    options.signal?.throwIfAborted();
    await writer.finish();
    report(total);
    return { virtualSize: total, dataBytesRead };
  } catch (error) {
    await Promise.allSettled([...reading, ...writing].map((chunk) => chunk.io));
    await writer.abort();
    throw error;
  }
}
