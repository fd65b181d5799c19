import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFile, truncate, open } from 'node:fs/promises';
import path from 'node:path';
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

  it('refuses reads outside the disk', async () => {
    const file = await sparseRaw('small.img', MiB, []);
    const disk = await openDisk(file);
    await expect(disk.read(Buffer.alloc(512), MiB - 256)).rejects.toMatchObject({
      code: 'BAD_REQUEST',
    });
    await disk.close();
  });
});
