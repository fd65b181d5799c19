import type { DiskWriter, VirtualDisk } from './types.js';

export interface ConvertProgress {
  /** Bytes of the virtual disk handled so far (read and written, or skipped as sparse). */
  readonly doneBytes: number;
  readonly totalBytes: number;
}

export interface ConvertOptions {
  /** Size of each read; also the unit of read-ahead. */
  readonly chunkSize?: number;
  /** Reads kept in flight ahead of the writer: overlaps source and target I/O. */
  readonly readAhead?: number;
  readonly onProgress?: (progress: ConvertProgress) => void;
  readonly signal?: AbortSignal;
}

export interface ConvertResult {
  readonly virtualSize: number;
  /** Bytes read from the source because its map said they hold data. */
  readonly dataBytesRead: number;
}

export const DEFAULT_CHUNK = 4 * 1024 * 1024;

interface PendingRead {
  readonly offset: number;
  readonly buffer: Buffer;
  readonly view: Buffer;
  readonly done: Promise<void>;
}

/**
 * Streams every data extent of `source` into `writer`, in order, and finishes the writer.
 * Unallocated and zero extents are never read; the writer leaves all-zero data sparse.
 * Memory is bounded by chunkSize × readAhead whatever the disk size. On any failure the
 * writer is aborted, so no partial image is left under the target name.
 */
export async function convertDisk(
  source: VirtualDisk,
  writer: DiskWriter,
  options: ConvertOptions = {},
): Promise<ConvertResult> {
  const chunkSize = options.chunkSize ?? DEFAULT_CHUNK;
  const readAhead = Math.max(1, options.readAhead ?? 4);
  const total = source.virtualSize;
  const pool: Buffer[] = [];
  const inFlight: PendingRead[] = [];
  let dataBytesRead = 0;

  const report = (doneBytes: number): void =>
    options.onProgress?.({ doneBytes, totalBytes: total });

  const flushOne = async (): Promise<void> => {
    const next = inFlight.shift()!;
    await next.done;
    await writer.write(next.offset, next.view);
    pool.push(next.buffer);
    report(next.offset + next.view.byteLength);
  };

  try {
    for await (const extent of source.extents({ detectZeros: false })) {
      options.signal?.throwIfAborted();
      if (extent.kind !== 'data') {
        if (inFlight.length === 0) report(extent.offset + extent.length);
        continue;
      }
      const end = extent.offset + extent.length;
      for (let at = extent.offset; at < end;) {
        // Chunks end on chunk-size boundaries so writers see block-aligned pieces.
        const length = Math.min(end, (Math.floor(at / chunkSize) + 1) * chunkSize) - at;
        const buffer = pool.pop() ?? Buffer.allocUnsafe(chunkSize);
        const view = buffer.subarray(0, length);
        const done = source.read(view, at);
        done.catch(() => undefined); // observed by flushOne; avoids an unhandled rejection meanwhile
        inFlight.push({ offset: at, buffer, view, done });
        dataBytesRead += length;
        at += length;
        if (inFlight.length >= readAhead) await flushOne();
      }
    }
    while (inFlight.length > 0) await flushOne();
    options.signal?.throwIfAborted();
    await writer.finish();
    report(total);
    return { virtualSize: total, dataBytesRead };
  } catch (error) {
    await Promise.allSettled(inFlight.map((pending) => pending.done));
    await writer.abort();
    throw error;
  }
}
