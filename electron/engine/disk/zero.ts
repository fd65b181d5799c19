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

/**
 * The ranges of `data` that hold non-zero bytes, at `granularity` (the runs are aligned to it
 * relative to the start of `data`, and adjacent non-zero granules are merged).
 */
export function nonZeroRuns(
  data: Uint8Array,
  granularity: number,
): Array<[start: number, end: number]> {
  const runs: Array<[number, number]> = [];
  let runStart = -1;
  for (let start = 0; start < data.byteLength; start += granularity) {
    const end = Math.min(start + granularity, data.byteLength);
    const zero = isZero(data.subarray(start, end));
    if (!zero && runStart < 0) runStart = start;
    if (zero && runStart >= 0) {
      runs.push([runStart, start]);
      runStart = -1;
    }
  }
  if (runStart >= 0) runs.push([runStart, data.byteLength]);
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
