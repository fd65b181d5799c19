import { describe, expect, it } from 'vitest';
import { allocAligned } from '../../../electron/engine/disk/io/aligned.js';
import { isZero, nonZeroRuns } from '../../../electron/engine/disk/zero.js';

/** The definition, byte by byte. */
function referenceRuns(data: Uint8Array, granularity: number): Array<[number, number]> {
  const runs: Array<[number, number]> = [];
  let runStart = -1;
  for (let start = 0; start < data.byteLength; start += granularity) {
    const end = Math.min(start + granularity, data.byteLength);
    const zero = data.subarray(start, end).every((byte) => byte === 0);
    if (!zero && runStart < 0) runStart = start;
    if (zero && runStart >= 0) {
      runs.push([runStart, start]);
      runStart = -1;
    }
  }
  if (runStart >= 0) runs.push([runStart, data.byteLength]);
  return runs;
}

describe('zero detection', () => {
  it('finds the same non-zero runs as a byte-by-byte scan, at every granularity', () => {
    let seed = 7;
    const random = (): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed / 2 ** 32;
    };
    for (let round = 0; round < 400; round++) {
      const data = new Uint8Array(Math.floor(random() * 300_000));
      // Scattered bytes and spans, some at granule edges, on a zero background.
      for (let i = Math.floor(random() * 8); i > 0; i--) {
        const at = Math.floor(random() * data.byteLength);
        const length = Math.floor(random() * 20_000);
        for (let j = at; j < Math.min(data.byteLength, at + length); j++)
          data[j] = random() < 0.5 ? 1 : 0;
      }
      if (data.byteLength > 0 && random() < 0.3) data[data.byteLength - 1] = 9;
      for (const granularity of [512, 4096, 65536, 1 << 20]) {
        expect(nonZeroRuns(data, granularity)).toEqual(referenceRuns(data, granularity));
      }
    }
  });

  it('tells zero from non-zero data of any length', () => {
    const data = new Uint8Array(3 * 1024 * 1024 + 5);
    expect(isZero(data)).toBe(true);
    data[2 * 1024 * 1024 + 17] = 1;
    expect(isZero(data)).toBe(false);
    expect(isZero(new Uint8Array(0))).toBe(true);
  });

  it('allocates aligned I/O buffers as ordinary zero-filled Buffers', () => {
    const buffer = allocAligned(1 << 20);
    expect(Buffer.isBuffer(buffer)).toBe(true);
    expect(buffer.byteLength).toBe(1 << 20);
    expect(isZero(buffer)).toBe(true);
    buffer.fill(0xab, 100, 200);
    expect(nonZeroRuns(buffer, 4096)).toEqual([[0, 4096]]);
  });
});
