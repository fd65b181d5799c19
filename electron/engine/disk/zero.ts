/** Zero detection: the cheap test that keeps unallocated and zero ranges sparse. */

const ZEROS = new Uint8Array(1024 * 1024);

/** True when every byte of `data` is zero; a memcmp against a shared zero page. */
export function isZero(data: Uint8Array): boolean {
  // Data is rarely zero at both ends when it holds anything: decide those cases without a call.
  const length = data.byteLength;
  if (length > 0 && (data[0] !== 0 || data[length - 1] !== 0 || data[length >> 1] !== 0))
    return false;
  let offset = 0;
  while (offset < data.byteLength) {
    const length = Math.min(ZEROS.byteLength, data.byteLength - offset);
    const piece = data.subarray(offset, offset + length);
    if (Buffer.compare(piece, ZEROS.subarray(0, length)) !== 0) return false;
    offset += length;
  }
  return true;
}

/** True when data[start, end) is all zero; `end` - `start` must be at most ZEROS' length. */
function spanIsZero(data: Uint8Array, start: number, end: number): boolean {
  // Most granules of real data fail on one of these bytes: decide them without a call.
  if (data[start] !== 0 || data[end - 1] !== 0 || data[(start + end) >> 1] !== 0) return false;
  return Buffer.compare(data.subarray(start, end), ZEROS.subarray(0, end - start)) === 0;
}

/** Granules compared at once while inside a zero run (long zero runs are common). */
const ZERO_STRIDE = 64 * 1024;

/**
 * The ranges of `data` that hold non-zero bytes, at `granularity` (the runs are aligned to it
 * relative to the start of `data`, and adjacent non-zero granules are merged).
 */
export function nonZeroRuns(
  data: Uint8Array,
  granularity: number,
): Array<[start: number, end: number]> {
  const runs: Array<[number, number]> = [];
  const length = data.byteLength;
  // Inside a zero run, try whole strides of granules before falling back to single ones.
  const stride =
    granularity < ZERO_STRIDE && ZERO_STRIDE % granularity === 0 ? ZERO_STRIDE : granularity;
  let runStart = -1;
  let singlesUntil = 0; // after a stride that was not all zero, test its granules one by one
  for (let start = 0; start < length;) {
    if (
      runStart < 0 &&
      start >= singlesUntil &&
      stride !== granularity &&
      start + stride <= length
    ) {
      if (spanIsZero(data, start, start + stride)) {
        start += stride;
        continue;
      }
      singlesUntil = start + stride;
    }
    const end = Math.min(start + granularity, length);
    const zero =
      granularity <= ZEROS.byteLength
        ? spanIsZero(data, start, end)
        : isZero(data.subarray(start, end));
    if (!zero && runStart < 0) runStart = start;
    if (zero && runStart >= 0) {
      runs.push([runStart, start]);
      runStart = -1;
    }
    start = end;
  }
  if (runStart >= 0) runs.push([runStart, length]);
  return runs;
}

/**
 * The pieces of `data` (to be written at `position`) worth writing: its non-zero runs at
 * `granularity`, so all-zero granules stay holes in the host file.
 */
export function nonZeroPieces(
  data: Uint8Array,
  position: number,
  granularity: number,
): Array<[data: Uint8Array, position: number]> {
  return nonZeroRuns(data, granularity).map(([start, end]) => [
    data.subarray(start, end),
    position + start,
  ]);
}
