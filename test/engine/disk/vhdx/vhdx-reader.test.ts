import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFile } from 'node:fs/promises';
import { isZero } from '../../../../electron/engine/disk/zero.js';
import { openDisk } from '../../../../electron/engine/disk/open.js';
import type { DiskExtent, VirtualDisk } from '../../../../electron/engine/disk/types.js';
import { collectExtents, sha256OfDisk } from '../../../helpers/disk.js';
import { qemuMap } from '../../../helpers/tools.js';
import { scratchDir } from '../../../helpers/scratch.js';
import {
  MiB,
  qemuRaw,
  qemuRawSha256,
  qemuVhdx,
  seededWrites,
} from '../../../fixtures/vhdx-images.js';

let dir: string;
let cleanup: () => Promise<void>;
beforeAll(async () => {
  ({ dir, cleanup } = await scratchDir('tessera-vhdx-read-'));
});
afterAll(() => cleanup());

/**
 * Every range qemu-img map reports as data must lie in Tessera's data extents, except where it
 * reads as zeros: qemu's VHDX driver has no block-status, so its map calls the whole disk
 * data. The bytes checked come from qemu's own conversion, not from Tessera.
 */
async function expectDataCovered(file: string, extents: DiskExtent[]): Promise<void> {
  const data = extents.filter((e) => e.kind === 'data');
  const inData = (at: number) => data.some((e) => e.offset <= at && at < e.offset + e.length);
  const raw = await readFile(await qemuRaw(file, 'vhdx', dir));
  for (const entry of await qemuMap(file, 'vhdx')) {
    if (!entry.data) continue;
    for (let at = entry.start; at < entry.start + entry.length; at += 4096) {
      if (!isZero(raw.subarray(at, Math.min(at + 4096, entry.start + entry.length))))
        expect(inData(at), `qemu data at ${at} is not in a Tessera data extent`).toBe(true);
    }
  }
}

async function expectSameAsQemu(file: string): Promise<VirtualDisk> {
  const disk = await openDisk(file);
  expect(disk.format).toBe('vhdx');
  expect(await sha256OfDisk(disk)).toBe(await qemuRawSha256(file, 'vhdx', dir));
  const extents = await collectExtents(disk, false);
  expect(extents.reduce((n, e) => n + e.length, 0)).toBe(disk.virtualSize);
  await expectDataCovered(file, extents);
  return disk;
}

const WRITES = (size: number) =>
  seededWrites([
    [0, 100_000, 1],
    [3 * MiB - 4096, 2 * MiB, 2],
    [Math.floor(size / 2 / 512) * 512, 512, 3],
    [size - 4096, 4096, 4],
  ]);

describe('VHDX reader against qemu-img', () => {
  const cases: Array<[string, number, string[]]> = [
    ['dynamic, qemu default block size', 48 * MiB, []],
    ['dynamic, 1 MiB blocks, size not a block multiple', 13 * MiB + 512 * 5, ['block_size=1M']],
    ['dynamic, 8 MiB blocks', 40 * MiB + 4096, ['block_size=8M']],
    [
      'dynamic, 32 MiB blocks, zero blocks off',
      70 * MiB,
      ['block_size=32M', 'block_state_zero=off'],
    ],
    ['fixed', 24 * MiB + 512, ['subformat=fixed', 'block_size=8M']],
    [
      'fixed, all blocks FULLY_PRESENT',
      10 * MiB,
      ['subformat=fixed', 'block_size=1M', 'block_state_zero=off'],
    ],
  ];
  for (const [name, size, options] of cases) {
    it(`reads ${name}`, async () => {
      const file = await qemuVhdx(
        dir,
        `${name.replace(/\W+/g, '-')}.vhdx`,
        size,
        WRITES(size),
        options,
      );
      const disk = await expectSameAsQemu(file);
      try {
        expect(disk.virtualSize).toBe(size);
        expect(disk.subformat).toBe(options.includes('subformat=fixed') ? 'fixed' : 'dynamic');
        expect(disk.identity).toMatch(/^[0-9a-f]{8}-/);
        expect(disk.logicalSectorSize).toBe(512);
        expect(disk.allocatedBytes).toBeGreaterThan(0);
        expect(disk.allocatedBytes).toBeLessThanOrEqual(
          Math.ceil(size / disk.blockSize!) * disk.blockSize!,
        );
        if (disk.subformat === 'fixed') {
          // Fixed disks have no allocation map: zero detection keeps untouched space out of data.
          const data = (await collectExtents(disk)).filter((e) => e.kind === 'data');
          expect(data.reduce((n, e) => n + e.length, 0)).toBeLessThan(4 * MiB);
        }
      } finally {
        await disk.close();
      }
    });
  }

  it('reads an empty disk as zeros with no data extents', async () => {
    const file = await qemuVhdx(dir, 'empty.vhdx', 64 * MiB, []);
    const disk = await expectSameAsQemu(file);
    expect((await collectExtents(disk)).every((e) => e.kind !== 'data')).toBe(true);
    expect(disk.allocatedBytes).toBe(0);
    await disk.close();
  });
});
