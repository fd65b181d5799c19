import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { TesseraError } from '../../../shared/errors.js';
import {
  buildFatDisk,
  buildFatVolume,
  fatGeometry,
  PARTITION_START_SECTOR,
  type FatFile,
  type FatVolume,
  type FatVolumeOptions,
} from '../../../electron/engine/sample/index.js';
import { scratchDir, seededBytes } from '../../helpers/scratch.js';
import { fsckFat, mtoolsList, mtoolsRead } from './fat-tools.js';

const TIME = new Date(2024, 4, 17, 9, 30, 12, 340);
let dir: string;
let cleanup: () => Promise<void>;
let count = 0;

beforeAll(async () => {
  ({ dir, cleanup } = await scratchDir('tessera-fat-'));
});
afterAll(() => cleanup());

function volume(files: readonly FatFile[], options: Partial<FatVolumeOptions> = {}): FatVolume {
  return buildFatVolume({ totalSectors: 8192, label: 'TEST', files, time: TIME, ...options });
}

/** Writes the volume to a file, has fsck.fat check it, and checks every file reads back. */
async function verify(built: FatVolume, files: readonly FatFile[]): Promise<string> {
  const file = path.join(dir, `volume-${++count}.img`);
  await writeFile(file, built.image);
  await fsckFat(file);
  for (const { path: name, data } of files) {
    expect(sha256(await mtoolsRead(file, name)), name).toBe(sha256(data));
  }
  return file;
}

const sha256 = (data: Uint8Array): string => createHash('sha256').update(data).digest('hex');

function fatEntry(built: FatVolume, cluster: number): number {
  const fat = built.image.subarray(512);
  if (built.geometry.type === 16) return fat.readUInt16LE(cluster * 2);
  const pair = fat.readUInt16LE(Math.floor((cluster * 3) / 2));
  return cluster % 2 === 0 ? pair & 0xfff : pair >> 4;
}

/** The 32-byte directory entries of the root directory, up to the first unused one. */
function rootEntries(built: FatVolume): Buffer[] {
  const { firstRootSector, rootEntries: capacity } = built.geometry;
  const entries: Buffer[] = [];
  for (let i = 0; i < capacity; i++) {
    const entry = built.image.subarray(
      firstRootSector * 512 + i * 32,
      firstRootSector * 512 + (i + 1) * 32,
    );
    if (entry[0] === 0) break;
    entries.push(entry);
  }
  return entries;
}

function expectBadRequest(build: () => unknown, message: RegExp): void {
  let thrown: unknown;
  try {
    build();
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(TesseraError);
  expect((thrown as TesseraError).code).toBe('BAD_REQUEST');
  expect((thrown as TesseraError).message).toMatch(message);
}

describe('FAT volume structures', () => {
  it('writes a BPB, two identical FATs, the reserved FAT entries and the volume label', () => {
    const built = volume([{ path: 'a.txt', data: Buffer.from('hello') }]);
    const { image, geometry } = built;
    expect(geometry.type).toBe(16);
    expect(image.readUInt16LE(510)).toBe(0xaa55);
    expect(image[0]).toBe(0xeb);
    expect(image.readUInt16LE(11)).toBe(512);
    expect(image[21]).toBe(0xf8);
    expect(image.readUInt16LE(19)).toBe(8192);
    expect(image.subarray(43, 54).toString('latin1')).toBe('TEST       ');
    expect(image.subarray(54, 62).toString('latin1')).toBe('FAT16   ');
    expect(fatEntry(built, 0)).toBe(0xfff8);
    expect(fatEntry(built, 1)).toBe(0xffff);
    const fatBytes = geometry.sectorsPerFat * 512;
    expect(image.subarray(512, 512 + fatBytes)).toEqual(
      image.subarray(512 + fatBytes, 512 + 2 * fatBytes),
    );
    const [label, file] = rootEntries(built);
    expect(label!.subarray(0, 11).toString('latin1')).toBe('TEST       ');
    expect(label![11]).toBe(0x08);
    expect(file!.subarray(0, 11).toString('latin1')).toBe('A       TXT');
    expect(file!.readUInt32LE(28)).toBe(5);
    // 2024-05-17 09:30:12 local time in DOS form.
    expect(file!.readUInt16LE(24)).toBe(((2024 - 1980) << 9) | (5 << 5) | 17);
    expect(file!.readUInt16LE(22)).toBe((9 << 11) | (30 << 5) | 6);
  });

  it('chooses FAT12 or FAT16 from the cluster count alone, with FATs large enough', () => {
    const sizes = [16 + 34, 300, 4000, 8400, 8401, 20000, 32680, 32681, 65536, 65524 * 64];
    for (let sectors = 4100; sectors < 4200; sectors++) sizes.push(sectors);
    for (const totalSectors of sizes) {
      const g = fatGeometry(totalSectors);
      expect(g.type, `${totalSectors} sectors`).toBe(g.clusterCount < 4085 ? 12 : 16);
      expect(g.sectorsPerFat * 512 * 8, `${totalSectors} sectors`).toBeGreaterThanOrEqual(
        (g.clusterCount + 2) * g.type,
      );
      expect(g.firstDataSector + g.clusterCount * g.sectorsPerCluster).toBeLessThanOrEqual(
        totalSectors,
      );
      expect(g.firstDataSector).toBe(1 + 2 * g.sectorsPerFat + g.rootEntries / 16);
    }
  });

  it('is a clean FAT12 volume just below 4085 clusters and FAT16 just above', async () => {
    const types = new Set<number>();
    // 4144-4151 sectors: FATs sized for FAT16 leave under 4085 clusters, so FAT12 it is.
    for (const totalSectors of [4143, 4144, 4151, 4152, 4200]) {
      const files = [{ path: 'DATA.BIN', data: seededBytes(totalSectors, 3000) }];
      const built = volume(files, { totalSectors });
      types.add(built.geometry.type);
      await verify(built, files);
    }
    expect([...types].sort()).toEqual([12, 16]);
  });

  it('writes the partition table of a whole disk around the volume', async () => {
    const files = [{ path: 'A.TXT', data: Buffer.from('on a disk\r\n') }];
    const disk = buildFatDisk({ diskSize: 8 * 1024 * 1024, label: 'DISK', files, time: TIME });
    const entry = disk.image.subarray(446, 462);
    expect(entry[4]).toBe(disk.geometry.type === 16 ? 0x0e : 0x01);
    expect(entry.readUInt32LE(8)).toBe(PARTITION_START_SECTOR);
    expect(entry.readUInt32LE(12)).toBe(8 * 2048 - PARTITION_START_SECTOR);
    expect(disk.image.readUInt16LE(510)).toBe(0xaa55);
    expect(disk.partitionOffset).toBe(1024 * 1024);
    // Hidden sectors in the BPB: where the volume starts on the disk.
    expect(disk.image.readUInt32LE(disk.partitionOffset + 28)).toBe(PARTITION_START_SECTOR);
    const file = path.join(dir, 'disk.img');
    await writeFile(file, disk.image);
    expect(await mtoolsRead(file, 'A.TXT', disk.partitionOffset)).toEqual(files[0]!.data);
  });
});

describe('FAT files and folders', () => {
  it('stores an empty file without a cluster', async () => {
    const files = [
      { path: 'EMPTY.TXT', data: Buffer.alloc(0) },
      { path: 'NEXT.TXT', data: Buffer.from('after the empty one') },
    ];
    const built = volume(files);
    const [, empty, next] = rootEntries(built);
    expect(empty!.readUInt16LE(26)).toBe(0);
    expect(empty!.readUInt32LE(28)).toBe(0);
    expect(next!.readUInt16LE(26)).toBe(2);
    const file = await verify(built, files);
    expect(await mtoolsList(file)).toMatch(/EMPTY\s+TXT\s+0 /);
  });

  it('ends the chain of a file of exactly one cluster at that cluster', async () => {
    const clusterSize = fatGeometry(8192).clusterSize;
    const files = [
      { path: 'ONE.BIN', data: seededBytes(1, clusterSize) },
      { path: 'TWO.BIN', data: seededBytes(2, clusterSize + 1) },
    ];
    const built = volume(files);
    expect(fatEntry(built, 2)).toBe(0xffff);
    expect(fatEntry(built, 3)).toBe(4);
    expect(fatEntry(built, 4)).toBe(0xffff);
    expect(fatEntry(built, 5)).toBe(0);
    await verify(built, files);
  });

  it('chains a file across many clusters, on FAT12 and FAT16', async () => {
    for (const totalSectors of [2048, 16384]) {
      const files = [{ path: 'BIG.BIN', data: seededBytes(totalSectors, 700 * 1024 + 77) }];
      const built = volume(files, { totalSectors, sectorsPerCluster: 1 });
      const clusters = Math.ceil(files[0]!.data.length / 512);
      for (let cluster = 2; cluster < clusters + 1; cluster++)
        expect(fatEntry(built, cluster)).toBe(cluster + 1);
      expect(fatEntry(built, clusters + 1)).toBe(built.geometry.type === 12 ? 0xfff : 0xffff);
      await verify(built, files);
    }
  });

  it('makes nested folders, with "." and ".." entries, and folders spanning clusters', async () => {
    const files: FatFile[] = [
      { path: 'README.TXT', data: Buffer.from('top\r\n') },
      { path: 'docs/notes.txt', data: Buffer.from('notes\r\n') },
      { path: 'docs/deep/er/file.bin', data: seededBytes(3, 5000) },
    ];
    // 40 entries of 32 bytes are three 512-byte clusters.
    for (let i = 0; i < 40; i++)
      files.push({ path: `MANY/F${i}.TXT`, data: Buffer.from(`file ${i}\r\n`) });
    const built = volume(files, { sectorsPerCluster: 1 });
    const file = await verify(built, files);
    const listing = await mtoolsList(file);
    expect(listing).toContain('Directory for ::/DOCS/DEEP/ER');
    expect(listing).toMatch(/F39\s+TXT/);
    // DOCS is in the root, so its ".." says cluster 0, which stands for the root.
    const docsEntry = rootEntries(built)[2]!;
    expect(docsEntry.subarray(0, 11).toString('latin1')).toBe('DOCS       ');
    const docsCluster = docsEntry.readUInt16LE(26);
    const { firstDataSector, sectorsPerCluster } = built.geometry;
    const docs = built.image.subarray(
      (firstDataSector + (docsCluster - 2) * sectorsPerCluster) * 512,
    );
    expect(docs.subarray(0, 11).toString('latin1')).toBe('.          ');
    expect(docs.readUInt16LE(26)).toBe(docsCluster);
    expect(docs.subarray(32, 43).toString('latin1')).toBe('..         ');
    expect(docs.readUInt16LE(32 + 26)).toBe(0);
  });

  it('fills the root directory exactly, and refuses one entry more', async () => {
    const files = Array.from({ length: 16 }, (_, i) => ({
      path: `F${i}.TXT`,
      data: Buffer.from(`${i}`),
    }));
    await verify(volume(files, { rootEntries: 16, label: '' }), files);
    expectBadRequest(
      () => volume(files, { rootEntries: 16 }),
      /root folder would hold 17 entries \(with the volume label\).*room for 16/,
    );
  });

  it('refuses data larger than the volume, saying how much is needed', () => {
    const geometry = fatGeometry(2048);
    const fits = geometry.clusterCount * geometry.clusterSize;
    expect(() =>
      volume([{ path: 'FULL.BIN', data: Buffer.alloc(fits) }], { totalSectors: 2048 }),
    ).not.toThrow();
    expectBadRequest(
      () => volume([{ path: 'FULL.BIN', data: Buffer.alloc(fits + 1) }], { totalSectors: 2048 }),
      new RegExp(
        `need ${geometry.clusterCount + 1} clusters .* the volume has ${geometry.clusterCount}`,
      ),
    );
  });

  it('refuses names that are not 8.3, duplicates, and files in place of folders', () => {
    for (const name of [
      'LONGNAME9.TXT',
      'A.HTML',
      'A.B.C',
      'SPACE X.TXT',
      'PLUS+.TXT',
      '.HIDDEN',
      'é.TXT',
      'A.',
    ])
      expectBadRequest(() => volume([{ path: name, data: Buffer.alloc(1) }]), /not a FAT 8.3 name/);
    expectBadRequest(
      () =>
        volume([
          { path: 'a.txt', data: Buffer.alloc(1) },
          { path: 'A.TXT', data: Buffer.alloc(1) },
        ]),
      /given twice/,
    );
    expectBadRequest(
      () =>
        volume([
          { path: 'A', data: Buffer.alloc(1) },
          { path: 'A/B.TXT', data: Buffer.alloc(1) },
        ]),
      /needs "A" to be a folder/,
    );
    expectBadRequest(() => volume([{ path: '/ABS.TXT', data: Buffer.alloc(1) }]), /relative path/);
    expectBadRequest(() => volume([], { label: 'WAY TOO LONG LABEL' }), /volume label/);
    expectBadRequest(() => volume([], { totalSectors: 30 }), /no room for data clusters/);
    expectBadRequest(() => volume([], { sectorsPerCluster: 3 }), /power of two/);
    expectBadRequest(() => fatGeometry(4 * 1024 * 1024), /more than a FAT16 volume holds/);
  });
});
