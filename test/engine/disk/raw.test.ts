import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFile, truncate, open } from 'node:fs/promises';
import path from 'node:path';
import { dataRanges } from '../../../electron/engine/disk/io/file-extents.js';
import { openDisk } from '../../../electron/engine/disk/open.js';
import { collectExtents, sha256OfDisk } from '../../helpers/disk.js';
import { qemuImg, qemuMap } from '../../helpers/tools.js';
import { scratchDir, seededBytes, sha256File } from '../../helpers/scratch.js';

let dir: string;
let cleanup: () => Promise<void>;
const MiB = 1024 * 1024;

beforeAll(async () => {
  ({ dir, cleanup } = await scratchDir());
});
afterAll(() => cleanup());

/** A sparse raw file with data at the given MiB offsets and an odd-sized tail. */
async function sparseRaw(name: string, size: number, dataAt: number[]): Promise<string> {
  const file = path.join(dir, name);
  await writeFile(file, '');
  await truncate(file, size);
  const handle = await open(file, 'r+');
  for (const [i, at] of dataAt.entries())
    await handle.write(seededBytes(i + 1, 100_000), 0, 100_000, at);
  await handle.close();
  return file;
}

describe('raw reader', () => {
  it('reads the same bytes qemu-img does and reports its data ranges', async () => {
    const file = await sparseRaw('disk.img', 37 * MiB + 3 * 512, [0, 5 * MiB + 4096, 36 * MiB]);
    const disk = await openDisk(file);
    try {
      expect(disk.format).toBe('raw');
      expect(disk.virtualSize).toBe(37 * MiB + 3 * 512);
      const converted = path.join(dir, 'disk.qemu.raw');
      await qemuImg('convert', '-f', 'raw', '-O', 'raw', file, converted);
      expect(await sha256OfDisk(disk)).toBe(await sha256File(converted));

      const extents = await collectExtents(disk);
      const dataBytes = (at: number): boolean =>
        extents.some((e) => e.kind === 'data' && e.offset <= at && at < e.offset + e.length);
      for (const entry of await qemuMap(file, 'raw')) {
        if (!entry.data) continue;
        // qemu reports allocated file blocks; every non-zero byte among them must be in a data extent.
        const bytes = Buffer.alloc(entry.length);
        await disk.read(bytes, entry.start);
        for (let i = 0; i < entry.length; i += 512) {
          if (bytes.subarray(i, i + 512).some((b) => b !== 0))
            expect(dataBytes(entry.start + i)).toBe(true);
        }
      }
      // Zero detection keeps untouched space out of the data extents.
      const data = extents.filter((e) => e.kind === 'data').reduce((n, e) => n + e.length, 0);
      expect(data).toBeLessThan(1 * MiB);
    } finally {
      await disk.close();
    }
  });

  it("skips the file's holes without reading them, where the file system knows them", async (context) => {
    const file = await sparseRaw('holes.img', 8 * MiB, [1 * MiB, 4 * MiB + 8192]);
    const handle = await open(file, 'r');
    const ranges = dataRanges(handle.fd, 0, 8 * MiB);
    await handle.close();
    // A file system without hole reporting (or no fs-ext) says all data or cannot say: the
    // reader then scans for zeros, which the test above covers.
    if (ranges === null || ranges.length === 1) context.skip();
    // Whole file-system blocks around each 100,000-byte write, nothing else.
    expect(ranges).toHaveLength(2);
    for (const [[start, end], at] of ranges!.map(
      (r, i) => [r, [MiB, 4 * MiB + 8192][i]!] as const,
    )) {
      expect(start).toBeLessThanOrEqual(at);
      expect(end).toBeGreaterThanOrEqual(at + 100_000);
      expect(end - start).toBeLessThan(100_000 + 2 * 65536);
    }
    const disk = await openDisk(file);
    try {
      const extents = await collectExtents(disk, false);
      expect(
        extents.filter((e) => e.kind === 'data').map((e) => [e.offset, e.offset + e.length]),
      ).toEqual(ranges);
      expect(extents.filter((e) => e.kind === 'zero').reduce((n, e) => n + e.length, 0)).toBe(
        8 * MiB - ranges!.reduce((n, [start, end]) => n + end - start, 0),
      );
      // A read across a hole and data is the bytes written, zeros elsewhere.
      const bytes = Buffer.alloc(2 * MiB);
      await disk.read(bytes, 0);
      expect(bytes.subarray(0, MiB).every((b) => b === 0)).toBe(true);
      expect(bytes.subarray(MiB, MiB + 100_000).equals(seededBytes(1, 100_000))).toBe(true);
      expect(bytes.subarray(MiB + 100_000).every((b) => b === 0)).toBe(true);
    } finally {
      await disk.close();
    }
  });

  it('refuses reads outside the disk', async () => {
    const file = await sparseRaw('small.img', MiB, []);
    const disk = await openDisk(file);
    await expect(disk.read(Buffer.alloc(512), MiB - 256)).rejects.toMatchObject({
      code: 'BAD_REQUEST',
    });
    await disk.close();
  });
});
