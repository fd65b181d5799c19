/**
 * Where a file holds data, as its file system knows it (lseek with SEEK_DATA and SEEK_HOLE),
 * so a sparse raw image is read for its data only, as qemu-img reads it, instead of having its
 * holes copied out as zeros and scanned. Node has no lseek: native/seek-data, an optional
 * N-API module of ours (fs-ext has one, but it crashes the process once a worker thread that
 * loaded it ends), provides it. Without it, on Windows, or on a file system that cannot say,
 * the answer is "unknown" and callers treat the whole range as data: correct, only slower.
 */
import { createRequire } from 'node:module';

type DataRanges = (fd: number, offset: number, length: number) => number[] | null;

let native: DataRanges | null | undefined;

function load(): DataRanges | null {
  if (native === undefined) {
    try {
      const seekData = createRequire(import.meta.url)('@tessera/seek-data') as {
        dataRanges: DataRanges;
      };
      native = seekData.dataRanges;
    } catch {
      native = null;
    }
  }
  return native;
}

/**
 * The ranges [start, end) of [offset, offset + length) that hold data, in order; null when
 * that is not known.
 */
export function dataRanges(
  fd: number,
  offset: number,
  length: number,
): Array<[start: number, end: number]> | null {
  const flat = load()?.(fd, offset, length) ?? null;
  if (!flat) return null;
  const ranges: Array<[number, number]> = [];
  for (let i = 0; i + 1 < flat.length; i += 2) ranges.push([flat[i]!, flat[i + 1]!]);
  return ranges;
}
