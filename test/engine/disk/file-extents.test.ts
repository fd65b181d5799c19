import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { open, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { allocate, dataRanges } from '../../../electron/engine/disk/io/file-extents.js';
import { ImageOutput } from '../../../electron/engine/disk/io/output.js';
import { scratchDir, seededBytes } from '../../helpers/scratch.js';

const MiB = 1024 * 1024;
let dir: string;
let cleanup: () => Promise<void>;

beforeAll(async () => ({ dir, cleanup } = await scratchDir()));
afterAll(() => cleanup());

describe('allocating a range before it is written', () => {
  it('allocates the range, grows the file to cover it, and leaves it reading as a hole', async (context) => {
    const handle = await open(path.join(dir, 'allocated.bin'), 'w+');
    try {
      const allocated = await allocate(handle.fd, 2 * MiB, 3 * MiB);
      // Without the native module, or on a file system without fallocate, writes just go on.
      if (!allocated) context.skip();
      const after = await handle.stat();
      expect(after.size).toBe(5 * MiB);
      expect(after.blocks * 512).toBeGreaterThanOrEqual(3 * MiB);
      // Not the whole file: a file system may round up to its allocation unit, no more.
      expect(after.blocks * 512).toBeLessThan(5 * MiB);
      // Allocated but never written: no data, so a sparse copy of the file skips it.
      expect(dataRanges(handle.fd, 0, 5 * MiB) ?? []).toEqual([]);
      const { bytesRead, buffer } = await handle.read(Buffer.alloc(MiB, 1), 0, MiB, 2 * MiB);
      expect(bytesRead).toBe(MiB);
      expect(buffer.every((byte) => byte === 0)).toBe(true);
    } finally {
      await handle.close();
    }
  });

  it('rejects as fs does when the file system cannot allocate', async (context) => {
    const handle = await open(path.join(dir, 'too-big.bin'), 'w+');
    try {
      if (!(await allocate(handle.fd, 0, 4096))) context.skip();
      await expect(allocate(handle.fd, 0, 2 ** 62)).rejects.toMatchObject({
        code: expect.stringMatching(/^(EFBIG|ENOSPC|EDQUOT)$/) as unknown,
        syscall: 'fallocate',
      });
    } finally {
      await handle.close();
    }
  });

  it('an image written through ImageOutput keeps its data and stays sparse where nothing was written', async () => {
    const target = path.join(dir, 'image.raw');
    const output = await ImageOutput.create(target, { durable: false });
    const data = seededBytes(7, MiB + 4096);
    await output.writeAll([
      [data, 8 * MiB],
      [data.subarray(0, 512), 0],
    ]);
    await output.truncate(16 * MiB);
    await output.commit();
    const written = await readFile(target);
    expect(written.byteLength).toBe(16 * MiB);
    // Buffer.equals: vitest's deep equality walks a MiB byte by byte, for seconds.
    expect(written.subarray(8 * MiB, 9 * MiB + 4096).equals(data)).toBe(true);
    expect(written.subarray(0, 512).equals(data.subarray(0, 512))).toBe(true);
    expect(written.subarray(512, 8 * MiB).every((byte) => byte === 0)).toBe(true);
    const { blocks } = await stat(target);
    expect(blocks * 512).toBeLessThan(2 * MiB);
  });
});
