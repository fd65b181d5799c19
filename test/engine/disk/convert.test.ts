/**
 * Every readable format converted to every writable one, proven by qemu-img: the written image
 * passes `qemu-img check` (where qemu can check the format), equals its source by
 * `qemu-img compare`, reads back through Tessera with the same content, and stays sparse.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { convertDisk } from '../../../electron/engine/disk/convert.js';
import { openDisk } from '../../../electron/engine/disk/open.js';
import { createDiskWriter } from '../../../electron/engine/disk/writers.js';
import type { WritableFormat } from '../../../electron/engine/disk/types.js';
import { sha256OfDisk } from '../../helpers/disk.js';
import { qemuImg, qemuIo } from '../../helpers/tools.js';
import { scratchDir } from '../../helpers/scratch.js';

const MiB = 1024 * 1024;
let dir: string;
let cleanup: () => Promise<void>;

/** Data in a few places, including the disk's last partial block; the rest never written. */
const WRITES = [
  'write -P 0x11 0 3M',
  'write -P 0x22 5M 64k',
  'write -P 0x00 9M 2M', // explicit zeros: must not be stored by a sparse writer
  'write -P 0x33 20M 1M',
  'write -P 0x44 38M 512k',
];
const SIZE = '39424K'; // 38.5 MiB: not a multiple of any block size used here

const SOURCES: Array<{ name: string; qemuFormat: string; options: string[] }> = [
  { name: 'source.img', qemuFormat: 'raw', options: [] },
  {
    name: 'source-dynamic.vhd',
    qemuFormat: 'vpc',
    options: ['-o', 'subformat=dynamic,force_size=on'],
  },
  { name: 'source-fixed.vhd', qemuFormat: 'vpc', options: ['-o', 'subformat=fixed,force_size=on'] },
  {
    name: 'source-dynamic.vhdx',
    qemuFormat: 'vhdx',
    options: ['-o', 'subformat=dynamic,block_size=8M'],
  },
  { name: 'source-fixed.vhdx', qemuFormat: 'vhdx', options: ['-o', 'subformat=fixed'] },
];
const TARGETS: Array<{
  format: WritableFormat;
  qemuFormat: string;
  extension: string;
  checkable: boolean;
}> = [
  { format: 'raw', qemuFormat: 'raw', extension: 'img', checkable: false },
  { format: 'vhd', qemuFormat: 'vpc', extension: 'vhd', checkable: false },
  { format: 'vhd-fixed', qemuFormat: 'vpc', extension: 'vhd', checkable: false },
  { format: 'vhdx', qemuFormat: 'vhdx', extension: 'vhdx', checkable: true },
];

beforeAll(async () => {
  ({ dir, cleanup } = await scratchDir('tessera-convert-'));
  for (const source of SOURCES) {
    const file = path.join(dir, source.name);
    await qemuImg('create', '-f', source.qemuFormat, ...source.options, file, SIZE);
    await qemuIo('-f', source.qemuFormat, ...WRITES.flatMap((w) => ['-c', w]), file);
  }
});
afterAll(() => cleanup());

describe.each(SOURCES)('converting $name', (source) => {
  it.each(TARGETS)('to $format', async (target) => {
    const input = path.join(dir, source.name);
    const output = path.join(
      dir,
      `${path.parse(source.name).name}-to-${target.format}.${target.extension}`,
    );
    const disk = await openDisk(input);
    const expected = await sha256OfDisk(disk);
    const writer = await createDiskWriter(output, target.format, { virtualSize: disk.virtualSize });
    const progress: number[] = [];
    await convertDisk(disk, writer, {
      chunkSize: MiB,
      onProgress: (p) => progress.push(p.doneBytes),
    });
    await disk.close();

    expect(progress.at(-1)).toBe(disk.virtualSize);
    expect([...progress].sort((a, b) => a - b)).toEqual(progress);
    if (target.checkable) await qemuImg('check', '-f', target.qemuFormat, output);
    await qemuImg('compare', '-f', source.qemuFormat, '-F', target.qemuFormat, input, output);

    const written = await openDisk(output);
    try {
      expect(written.virtualSize).toBeGreaterThanOrEqual(disk.virtualSize);
      const copy = Buffer.alloc(disk.virtualSize);
      await written.read(copy, 0);
      const { createHash } = await import('node:crypto');
      expect(createHash('sha256').update(copy).digest('hex')).toBe(expected);
      // 4.5 MiB of non-zero data was written; allow block rounding and metadata, never the 38.5 MiB disk.
      expect((await stat(output)).blocks * 512).toBeLessThan(
        target.format === 'vhdx' ? 24 * MiB : 16 * MiB,
      );
    } finally {
      await written.close();
    }
    expect((await readdir(dir)).filter((name) => name.endsWith('.partial'))).toEqual([]);
  });
});

describe('a failing conversion', () => {
  it('leaves no partial image when the source cannot be read', async () => {
    const input = path.join(dir, 'source-dynamic.vhdx');
    const disk = await openDisk(input);
    const output = path.join(dir, 'failed.vhdx');
    const writer = await createDiskWriter(output, 'vhdx', { virtualSize: disk.virtualSize });
    await disk.close(); // reads now fail
    await expect(convertDisk(disk, writer)).rejects.toThrow();
    expect(
      (await readdir(dir)).filter((name) => name.startsWith('.failed') || name === 'failed.vhdx'),
    ).toEqual([]);
  });
});
