import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFile, stat, writeFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { openDisk } from '../../../../electron/engine/disk/open.js';
import { createVhdxWriter } from '../../../../electron/engine/disk/vhdx/vhdx-writer.js';
import { sha256OfDisk } from '../../../helpers/disk.js';
import { qemuImg } from '../../../helpers/tools.js';
import { scratchDir, seededBytes, sha256File } from '../../../helpers/scratch.js';
import { MiB, libvhdiSha256 } from '../../../fixtures/vhdx-images.js';

let dir: string;
let cleanup: () => Promise<void>;
beforeAll(async () => {
  ({ dir, cleanup } = await scratchDir('tessera-vhdx-write-'));
});
afterAll(() => cleanup());

/** A raw disk with data in a few places, the rest zeros. */
async function sourceRaw(name: string, size: number): Promise<string> {
  const data = Buffer.alloc(size);
  seededBytes(1, 300_000).copy(data, 4096);
  seededBytes(2, 2 * MiB).copy(data, 5 * MiB - 512);
  seededBytes(3, 4096).copy(data, size - 4096);
  const file = path.join(dir, name);
  await writeFile(file, data);
  return file;
}

/** Streams a raw file into the writer in uneven pieces, skipping all-zero pieces as convert does. */
async function writeVhdx(
  raw: string,
  target: string,
  options: { blockSize?: number; logicalSectorSize?: number } = {},
): Promise<void> {
  const data = await readFile(raw);
  const writer = await createVhdxWriter(target, { virtualSize: data.byteLength, ...options });
  const piece = 3 * MiB + 512;
  for (let at = 0; at < data.byteLength; at += piece) {
    const chunk = data.subarray(at, Math.min(at + piece, data.byteLength));
    if (at === 0 || chunk.some((b) => b !== 0)) await writer.write(at, chunk);
  }
  await writer.finish();
}

describe('VHDX writer', () => {
  it('writes an image qemu-img checks and compares equal, and libvhdi reads', async () => {
    const raw = await sourceRaw('source.raw', 70 * MiB + 512 * 3);
    const out = path.join(dir, 'out.vhdx');
    await writeVhdx(raw, out);
    await qemuImg('check', '-f', 'vhdx', out);
    await qemuImg('compare', '-f', 'raw', '-F', 'vhdx', raw, out);
    expect(await libvhdiSha256([out])).toBe(await sha256File(raw));
    const info = JSON.parse(await qemuImg('info', '--output=json', out)) as {
      'cluster-size': number;
    };
    expect(info['cluster-size']).toBe(32 * MiB);
    // Three 32 MiB blocks hold data; the zero block in between is not allocated.
    expect((await stat(out)).size).toBeLessThanOrEqual(4 * MiB + 2 * 32 * MiB);
    const disk = await openDisk(out);
    expect(disk.subformat).toBe('dynamic');
    expect(await sha256OfDisk(disk)).toBe(await sha256File(raw));
    await disk.close();
    // Nothing left behind but the image.
    expect((await readdir(dir)).filter((f) => f.includes('.partial'))).toEqual([]);
  });

  it('honours a 1 MiB block size', async () => {
    const raw = await sourceRaw('small.raw', 9 * MiB);
    const out = path.join(dir, 'small.vhdx');
    await writeVhdx(raw, out, { blockSize: MiB });
    await qemuImg('check', '-f', 'vhdx', out);
    await qemuImg('compare', '-f', 'raw', '-F', 'vhdx', raw, out);
    // Blocks 0, 4, 5, 6 and 8 hold data.
    expect((await stat(out)).size).toBe(4 * MiB + 5 * MiB);
  });

  it('writes 4096-byte logical sectors (qemu cannot open them; libvhdi and Tessera can)', async () => {
    const raw = await sourceRaw('four-k.raw', 12 * MiB);
    const out = path.join(dir, 'four-k.vhdx');
    await writeVhdx(raw, out, { logicalSectorSize: 4096, blockSize: 2 * MiB });
    expect(await libvhdiSha256([out])).toBe(await sha256File(raw));
    const disk = await openDisk(out);
    expect(disk.logicalSectorSize).toBe(4096);
    expect(await sha256OfDisk(disk)).toBe(await sha256File(raw));
    await disk.close();
  });

  it('refuses bad options and out-of-order writes, and abort leaves nothing', async () => {
    const target = path.join(dir, 'bad.vhdx');
    await expect(
      createVhdxWriter(target, { virtualSize: MiB, blockSize: 3 * MiB }),
    ).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    await expect(
      createVhdxWriter(target, { virtualSize: MiB, logicalSectorSize: 1024 }),
    ).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    await expect(createVhdxWriter(target, { virtualSize: 65 * 2 ** 40 })).rejects.toMatchObject({
      code: 'BAD_REQUEST',
    });
    const writer = await createVhdxWriter(target, { virtualSize: 4 * MiB });
    await writer.write(MiB, Buffer.alloc(512, 1));
    await expect(writer.write(0, Buffer.alloc(512, 1))).rejects.toMatchObject({
      code: 'BAD_REQUEST',
    });
    await writer.abort();
    expect(await readdir(dir)).not.toContain('bad.vhdx');
    expect((await readdir(dir)).filter((f) => f.includes('.partial'))).toEqual([]);
  });
});
