import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyFile, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { openDisk } from '../../../../electron/engine/disk/open.js';
import type { VirtualDisk } from '../../../../electron/engine/disk/types.js';
import { collectExtents, sha256OfDisk } from '../../../helpers/disk.js';
import { scratchDir, sha256File } from '../../../helpers/scratch.js';
import { qemuIo, qemuImg, qemuMap } from '../../../helpers/tools.js';
import { poke, qemuToRaw, qemuVhd, seededRaw } from '../../../fixtures/vhd-images.js';

let dir: string;
let cleanup: () => Promise<void>;
const MiB = 1024 * 1024;

beforeAll(async () => {
  ({ dir, cleanup } = await scratchDir('tessera-vhd-'));
});
afterAll(() => cleanup());

async function withDisk<T>(file: string, use: (disk: VirtualDisk) => Promise<T>): Promise<T> {
  const disk = await openDisk(file);
  try {
    return await use(disk);
  } finally {
    await disk.close();
  }
}

async function qemuSize(file: string): Promise<number> {
  const info = JSON.parse(await qemuImg('info', '--output=json', '-f', 'vpc', file)) as {
    'virtual-size': number;
  };
  return info['virtual-size'];
}

/** Tessera's content and size equal qemu's, and its data extents cover qemu's data. */
async function expectSameAsQemu(file: string, checkMap: boolean): Promise<void> {
  const converted = await qemuToRaw(file, `${file}.qemu.raw`);
  await withDisk(file, async (disk) => {
    expect(disk.format).toBe('vhd');
    expect(disk.virtualSize).toBe(await qemuSize(file));
    expect(await sha256OfDisk(disk)).toBe(await sha256File(converted));
    if (!checkMap) return;
    const extents = await collectExtents(disk);
    const data = extents.filter((e) => e.kind === 'data');
    for (const entry of await qemuMap(file, 'vpc')) {
      if (!entry.data) continue;
      const covered = data.some(
        (e) => e.offset <= entry.start && entry.start + entry.length <= e.offset + e.length,
      );
      expect(covered, `qemu data at ${entry.start}+${entry.length}`).toBe(true);
    }
  });
}

describe('VHD reader, images made by qemu-img', () => {
  const size = 37 * MiB + 3 * 512; // not a multiple of the 2 MiB block size
  const dataAt = [0, 5 * MiB + 4096, 2 * MiB - 50_000, 36 * MiB + 7 * 512];

  it('reads a dynamic VHD like qemu (CHS-sized, creator "qemu")', async () => {
    const raw = await seededRaw(dir, 'dyn.raw', size, dataAt);
    const vhd = await qemuVhd(raw, path.join(dir, 'dyn.vhd'), 'dynamic');
    await expectSameAsQemu(vhd, true);
    await withDisk(vhd, async (disk) => {
      expect(disk.subformat).toBe('dynamic');
      expect(disk.blockSize).toBe(2 * MiB);
      expect(disk.identity).toMatch(/^[0-9a-f]{8}-([0-9a-f]{4}-){3}[0-9a-f]{12}$/);
      // Only the blocks holding data are allocated: 4 data offsets touch at most 5 blocks.
      expect(disk.allocatedBytes).toBeLessThanOrEqual(5 * 2 * MiB);
      const extents = await collectExtents(disk);
      expect(extents.some((e) => e.kind === 'unallocated')).toBe(true);
    });
  });

  it('reads a dynamic VHD with force_size (creator "qem2", size from current_size)', async () => {
    const raw = await seededRaw(dir, 'dyn2.raw', size, dataAt, 7);
    const vhd = await qemuVhd(raw, path.join(dir, 'dyn2.vhd'), 'dynamic', true);
    await expectSameAsQemu(vhd, true);
    await withDisk(vhd, async (disk) => expect(disk.virtualSize).toBe(size));
  });

  it('reads data written by qemu-io into a dynamic VHD', async () => {
    const vhd = path.join(dir, 'io.vhd');
    await qemuImg('create', '-f', 'vpc', vhd, '21M');
    await qemuIo('-f', 'vpc', '-c', 'write -P 0x5a 3M 100k', '-c', 'write -P 0xa5 20M 512', vhd);
    await expectSameAsQemu(vhd, true);
  });

  it('reads a fixed VHD like qemu', async () => {
    const raw = await seededRaw(dir, 'fixed.raw', 9 * MiB + 512, [0, 4 * MiB, 9 * MiB - 1000], 3);
    const vhd = await qemuVhd(raw, path.join(dir, 'fixed.vhd'), 'fixed');
    await expectSameAsQemu(vhd, false);
    await withDisk(vhd, async (disk) => {
      expect(disk.subformat).toBe('fixed');
      expect(disk.blockSize).toBeNull();
      const extents = await collectExtents(disk);
      expect(extents.some((e) => e.kind === 'zero')).toBe(true);
      const data = extents.filter((e) => e.kind === 'data').reduce((n, e) => n + e.length, 0);
      expect(data).toBeLessThan(MiB);
    });
  });

  it('reads a fixed VHD with force_size like qemu', async () => {
    const raw = await seededRaw(dir, 'fixed2.raw', 3 * MiB, [MiB], 4);
    const vhd = await qemuVhd(raw, path.join(dir, 'fixed2.vhd'), 'fixed', true);
    await expectSameAsQemu(vhd, false);
  });

  it('falls back to the footer copy at 0 when the footer at the end is damaged', async () => {
    const raw = await seededRaw(dir, 'tail.raw', 6 * MiB, [MiB, 4 * MiB], 5);
    const vhd = await qemuVhd(raw, path.join(dir, 'tail.vhd'), 'dynamic');
    const expected = await withDisk(vhd, sha256OfDisk);
    const damaged = path.join(dir, 'tail-damaged.vhd');
    await copyFile(vhd, damaged);
    await poke(damaged, (await stat(damaged)).size - 512 + 70, Buffer.from([1, 2, 3]));
    expect(await withDisk(damaged, sha256OfDisk)).toBe(expected);
  });

  it('reports the unique id the footer holds, in stored byte order', async () => {
    const vhd = path.join(dir, 'io.vhd');
    const bytes = await readFile(vhd);
    const hex = bytes.subarray(bytes.byteLength - 512 + 68, bytes.byteLength - 512 + 84);
    await withDisk(vhd, async (disk) =>
      expect(disk.identity!.replace(/-/g, '')).toBe(hex.toString('hex')),
    );
  });
});
