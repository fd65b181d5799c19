/**
 * A file's extents as its file system keeps them, which Node's fs does not reach; both come
 * from native/file-extents, an optional N-API module of ours (fs-ext has lseek, but it crashes
 * the process once a worker thread that loaded it ends; no package offers fallocate):
 * - where a file holds data (lseek with SEEK_DATA and SEEK_HOLE), so a sparse raw image is
 *   read for its data only, as qemu-img reads it, instead of having its holes copied out as
 *   zeros and scanned;
 * - allocating a range just before it is written (fallocate), which takes a third off the
 *   kernel's time per byte written to a new file on ext4 (measured here).
 * Without the module, on Windows, or on a file system that cannot, the answers are "unknown"
 * and "not allocated": callers treat the whole range as data, and write without allocating.
 */
import { createRequire } from 'node:module';

interface Native {
  dataRanges(fd: number, offset: number, length: number): number[] | null;
  allocate(fd: number, offset: number, length: number): Promise<boolean>;
}

let native: Native | null | undefined;

function load(): Native | null {
  if (native === undefined) {
    try {
      native = createRequire(import.meta.url)('@tessera/file-extents') as Native;
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
  const flat = load()?.dataRanges(fd, offset, length) ?? null;
  if (!flat) return null;
  const ranges: Array<[number, number]> = [];
  for (let i = 0; i + 1 < flat.length; i += 2) ranges.push([flat[i]!, flat[i + 1]!]);
  return ranges;
}

/**
 * Allocates [offset, offset + length) of `fd` (the file grows to cover it). Resolves false
 * when it cannot be done here; rejects as fs does (code ENOSPC, ...) when allocation failed.
 */
export async function allocate(fd: number, offset: number, length: number): Promise<boolean> {
  const module = load();
  return module ? module.allocate(fd, offset, length) : false;
}
