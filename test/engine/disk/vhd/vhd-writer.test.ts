import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { access, copyFile, readFile, stat, truncate } from 'node:fs/promises';
import path from 'node:path';
import { openDisk } from '../../../../electron/engine/disk/open.js';
import { createVhdWriter } from '../../../../electron/engine/disk/vhd/vhd-writer.js';
import { collectExtents, sha256OfDisk } from '../../../helpers/disk.js';
import { scratchDir, sha256File } from '../../../helpers/scratch.js';
import { qemuImg, qemuMap, tool } from '../../../helpers/tools.js';
import { seededRaw } from '../../../fixtures/vhd-images.js';

let dir: string;
let cleanup: () => Promise<void>;
const MiB = 1024 * 1024;
const KiB = 1024;

beforeAll(async () => {
  ({ dir, cleanup } = await scratchDir('tessera-vhd-writer-'));
});
afterAll(() => cleanup());

/**
 * Plain `-f vpc` on purpose: qemu before 10.0 sizes images of unknown creators by CHS, so these
 * checks prove the writer's geometry makes every qemu see the size Hyper-V and Azure see.
 */

/** Streams `source` into a new VHD in `chunk`-sized writes, skipping all-zero chunks as a converter would. */
async function writeVhd(
  source: string,
  target: string,
  subformat: 'fixed' | 'dynamic',
  chunk: number,
  blockSize?: number,
): Promise<number> {
  const bytes = await readFile(source);
  const writer = await createVhdWriter(target, {
    virtualSize: bytes.byteLength,
    subformat,
    ...(blockSize ? { blockSize } : {}),
  });
  for (let at = 0; at < bytes.byteLength; at += chunk) {
    const piece = bytes.subarray(at, Math.min(at + chunk, bytes.byteLength));
    if (piece.some((b) => b !== 0) || at % (3 * chunk) === 0) await writer.write(at, piece);
  }
  await writer.finish();
  return writer.virtualSize;
}

async function qemuCompare(raw: string, vhd: string): Promise<void> {
  await qemuImg('compare', '-f', 'raw', '-F', 'vpc', raw, vhd);
}

async function qemuInfo(vhd: string): Promise<{ 'virtual-size': number; format: string }> {
  return JSON.parse(await qemuImg('info', '--output=json', '-f', 'vpc', vhd)) as {
    'virtual-size': number;
    format: string;
  };
}

describe('VHD writer', () => {
  const size = 13 * MiB + 5 * 512; // neither a whole MiB nor a whole block
  const dataAt = [0, 3 * MiB - 10_000, 8 * MiB + 4096, 13 * MiB - 50_000];

  for (const blockSize of [undefined, 512 * KiB, 8 * MiB]) {
    it(`writes a dynamic VHD (block size ${blockSize ?? 'default'}) that qemu reads as the source`, async () => {
      const raw = await seededRaw(dir, `dyn-${blockSize}.raw`, size, dataAt, 21);
      const vhd = path.join(dir, `dyn-${blockSize}.vhd`);
      const written = await writeVhd(raw, vhd, 'dynamic', 256 * KiB, blockSize);
      // Rounded up to what the CHS geometry covers, so every qemu sizes it alike.
      expect(written).toBeGreaterThanOrEqual(size);
      expect(written).toBeLessThan(size + 256 * KiB);
      expect((await qemuInfo(vhd))['virtual-size']).toBe(written);
      const plain = JSON.parse(await qemuImg('info', '--output=json', '-f', 'vpc', vhd)) as {
        'virtual-size': number;
      };
      expect(plain['virtual-size']).toBe(written);
      await qemuCompare(raw, vhd);
      await qemuImg('compare', '-f', 'raw', '-F', 'vpc', raw, vhd);

      const disk = await openDisk(vhd);
      try {
        expect(disk.subformat).toBe('dynamic');
        expect(disk.blockSize).toBe(blockSize ?? 2 * MiB);
        expect(disk.virtualSize).toBe(written);
        const padded = path.join(dir, `dyn-${blockSize}.padded.raw`);
        await copyFile(raw, padded);
        await truncate(padded, written);
        expect(await sha256OfDisk(disk)).toBe(await sha256File(padded));
        // Only blocks holding data are allocated, and the file is no bigger than they need.
        const block = disk.blockSize!;
        const touched = new Set(
          dataAt.flatMap((at) => [Math.floor(at / block), Math.floor((at + 99_999) / block)]),
        );
        expect(disk.allocatedBytes).toBeLessThanOrEqual(touched.size * block);
        const extents = await collectExtents(disk);
        expect(extents.filter((e) => e.kind === 'data').length).toBeGreaterThan(0);
        const unwritten = touched.size < Math.ceil(size / block);
        expect(extents.some((e) => e.kind === 'unallocated')).toBe(unwritten);
        expect((await stat(vhd)).size).toBeLessThan(touched.size * (block + 4096) + 64 * KiB);
      } finally {
        await disk.close();
      }
      // qemu's own map sees the same allocation.
      const qemuData = (await qemuMap(vhd, 'vpc')).filter((e) => e.data);
      expect(qemuData.length).toBeGreaterThan(0);
    });
  }

  it('writes a fixed VHD rounded up to a whole MiB (Azure) that qemu reads as the source', async () => {
    const raw = await seededRaw(dir, 'fixed.raw', size, dataAt, 22);
    const vhd = path.join(dir, 'fixed.vhd');
    const written = await writeVhd(raw, vhd, 'fixed', 1 * MiB);
    expect(written).toBe(14 * MiB);
    expect((await stat(vhd)).size).toBe(14 * MiB + 512);
    expect((await qemuInfo(vhd))['virtual-size']).toBe(14 * MiB);
    await qemuCompare(raw, vhd);

    const padded = path.join(dir, 'fixed-padded.raw');
    await qemuImg('convert', '-f', 'raw', '-O', 'raw', raw, padded);
    await truncate(padded, 14 * MiB);
    const disk = await openDisk(vhd);
    try {
      expect(disk.subformat).toBe('fixed');
      expect(disk.virtualSize).toBe(14 * MiB);
      expect(await sha256OfDisk(disk)).toBe(await sha256File(padded));
    } finally {
      await disk.close();
    }
    // Sparse: zeros were not written.
    const blocks = (await stat(vhd)).blocks * 512;
    expect(blocks).toBeLessThan(2 * MiB);
  });

  it('writes dynamic VHDs that libvhdi (an independent reader) reads as the source', async () => {
    const raw = await seededRaw(
      dir,
      'libvhdi.raw',
      5 * MiB + 512,
      [3000 * 512, 5 * MiB - 99_488],
      23,
    );
    const vhd = path.join(dir, 'libvhdi.vhd');
    const written = await writeVhd(raw, vhd, 'dynamic', 128 * KiB, MiB);
    await truncate(raw, written);
    const script = [
      'import hashlib, sys, pyvhdi',
      'f = pyvhdi.file(); f.open(sys.argv[1])',
      'print(hashlib.sha256(f.read_buffer_at_offset(f.get_media_size(), 0)).hexdigest())',
    ].join('\n');
    const sha = (await tool('/usr/bin/python3', ['-c', script, vhd])).trim();
    expect(sha).toBe(await sha256File(raw));
  });

  it('keeps an all-zero disk fully unallocated', async () => {
    const vhd = path.join(dir, 'empty.vhd');
    const writer = await createVhdWriter(vhd, { virtualSize: 64 * MiB, subformat: 'dynamic' });
    await writer.write(0, Buffer.alloc(8 * MiB));
    await writer.finish();
    const disk = await openDisk(vhd);
    expect(disk.allocatedBytes).toBe(0);
    expect(await collectExtents(disk)).toEqual([
      { offset: 0, length: writer.virtualSize, kind: 'unallocated' },
    ]);
    await disk.close();
    expect((await stat(vhd)).size).toBe(512 + 1024 + 512 + 512);
  });

  it('refuses bad requests and leaves no file behind', async () => {
    const vhd = path.join(dir, 'bad.vhd');
    await expect(
      createVhdWriter(vhd, { virtualSize: MiB, subformat: 'dynamic', blockSize: 3 * MiB }),
    ).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    await expect(
      createVhdWriter(vhd, { virtualSize: 2041 * 1024 * MiB, subformat: 'dynamic' }),
    ).rejects.toMatchObject({ code: 'DISK_TOO_LARGE' });
    const writer = await createVhdWriter(vhd, { virtualSize: 4 * MiB, subformat: 'dynamic' });
    await writer.write(MiB, Buffer.alloc(512, 1));
    await expect(writer.write(0, Buffer.alloc(512, 1))).rejects.toMatchObject({
      code: 'BAD_REQUEST',
    });
    await writer.abort();
    await expect(access(vhd)).rejects.toThrow();
  });

  it('gives the image the identity asked for', async () => {
    const vhd = path.join(dir, 'id.vhd');
    const id = '0f1e2d3c-4b5a-4697-8877-665544332211';
    const writer = await createVhdWriter(vhd, {
      virtualSize: MiB,
      subformat: 'dynamic',
      identity: id,
    });
    await writer.finish();
    const disk = await openDisk(vhd);
    expect(disk.identity).toBe(id);
    await disk.close();
  });
});
