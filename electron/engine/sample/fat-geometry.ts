/**
 * Where everything of a FAT12/16 volume lies. The FAT type is not chosen but follows from the
 * cluster count, as every driver decides it (fatgen103, section 3.5): fewer than 4085 clusters
 * is FAT12, fewer than 65525 is FAT16. So the layout is computed first and the type read off it.
 */
import { TesseraError } from '../../../shared/errors.js';

export const SECTOR_SIZE = 512;
export const FAT12_MAX_CLUSTERS = 4084;
export const FAT16_MAX_CLUSTERS = 65524;
const RESERVED_SECTORS = 1;
const FAT_COUNT = 2;
const DEFAULT_ROOT_ENTRIES = 512;

export interface FatGeometry {
  readonly type: 12 | 16;
  readonly totalSectors: number;
  readonly sectorsPerCluster: number;
  readonly reservedSectors: number;
  readonly fatCount: number;
  readonly sectorsPerFat: number;
  readonly rootEntries: number;
  readonly rootDirSectors: number;
  readonly firstRootSector: number;
  readonly firstDataSector: number;
  /** Data clusters, numbered 2 .. clusterCount + 1. */
  readonly clusterCount: number;
  readonly clusterSize: number;
}

export interface FatGeometryOptions {
  /** Power of two from 1 to 64; by default the size Windows' format picks for FAT16. */
  readonly sectorsPerCluster?: number;
  /** Root directory capacity in entries (the volume label takes one); default 512. */
  readonly rootEntries?: number;
}

export function fatGeometry(totalSectors: number, options: FatGeometryOptions = {}): FatGeometry {
  const bad = (detail: string): TesseraError => new TesseraError('BAD_REQUEST', detail);
  if (!Number.isSafeInteger(totalSectors) || totalSectors <= 0 || totalSectors > 0xffffffff)
    throw bad(`a FAT volume of ${totalSectors} sectors is not possible`);
  const spc = options.sectorsPerCluster ?? defaultSectorsPerCluster(totalSectors);
  if (![1, 2, 4, 8, 16, 32, 64].includes(spc))
    throw bad(`${spc} sectors per cluster is not a power of two from 1 to 64`);
  const rootEntries = options.rootEntries ?? DEFAULT_ROOT_ENTRIES;
  const entriesPerSector = SECTOR_SIZE / 32;
  if (!Number.isInteger(rootEntries) || rootEntries < entriesPerSector || rootEntries > 0xfff0)
    throw bad(`a root directory of ${rootEntries} entries is not possible`);
  if (rootEntries % entriesPerSector !== 0)
    throw bad(`root directory entries (${rootEntries}) must fill whole sectors (multiples of 16)`);
  const rootDirSectors = rootEntries / entriesPerSector;

  const fat12 = layout(totalSectors, spc, rootDirSectors, 12);
  let type: 12 | 16;
  let chosen = fat12;
  if (fat12.clusterCount <= FAT12_MAX_CLUSTERS) {
    type = 12;
  } else {
    const fat16 = layout(totalSectors, spc, rootDirSectors, 16);
    // Near the boundary a FAT sized for 16-bit entries leaves fewer than 4085 clusters: that
    // is a FAT12 volume whose FATs are merely larger than needed, which is valid.
    type = fat16.clusterCount <= FAT12_MAX_CLUSTERS ? 12 : 16;
    chosen = fat16;
  }
  if (chosen.clusterCount < 1)
    throw bad(`${totalSectors} sectors leave no room for data clusters after the FATs`);
  if (chosen.clusterCount > FAT16_MAX_CLUSTERS) {
    throw bad(
      `${totalSectors} sectors make ${chosen.clusterCount} clusters of ${spc} sectors, ` +
        `more than FAT16 allows (${FAT16_MAX_CLUSTERS}); use larger clusters`,
    );
  }
  const firstRootSector = RESERVED_SECTORS + FAT_COUNT * chosen.sectorsPerFat;
  return {
    type,
    totalSectors,
    sectorsPerCluster: spc,
    reservedSectors: RESERVED_SECTORS,
    fatCount: FAT_COUNT,
    sectorsPerFat: chosen.sectorsPerFat,
    rootEntries,
    rootDirSectors,
    firstRootSector,
    firstDataSector: firstRootSector + rootDirSectors,
    clusterCount: chosen.clusterCount,
    clusterSize: spc * SECTOR_SIZE,
  };
}

/**
 * fatgen103's FAT16 table (DskTableFAT16), with 1 sector below its 8400-sector floor, and its
 * 2 GiB top lowered to what 64-sector clusters can really count (FATs and root take some).
 */
function defaultSectorsPerCluster(totalSectors: number): number {
  const table: Array<[number, number]> = [
    [8400, 1],
    [32680, 2],
    [262144, 4],
    [524288, 8],
    [1048576, 16],
    [2097152, 32],
    [FAT16_MAX_CLUSTERS * 64, 64],
  ];
  for (const [limit, spc] of table) if (totalSectors <= limit) return spc;
  throw new TesseraError(
    'BAD_REQUEST',
    `${totalSectors} sectors is more than a FAT16 volume holds (2 GiB)`,
  );
}

/**
 * The smallest FAT that maps every cluster left beside it. Growing the FAT only shrinks the
 * data area, so the loop settles within a few rounds.
 */
function layout(
  totalSectors: number,
  spc: number,
  rootDirSectors: number,
  bits: 12 | 16,
): { sectorsPerFat: number; clusterCount: number } {
  let sectorsPerFat = 1;
  for (;;) {
    const dataSectors =
      totalSectors - RESERVED_SECTORS - FAT_COUNT * sectorsPerFat - rootDirSectors;
    const clusterCount = Math.max(0, Math.floor(dataSectors / spc));
    const needed = Math.ceil(((clusterCount + 2) * bits) / 8 / SECTOR_SIZE);
    if (needed <= sectorsPerFat) return { sectorsPerFat, clusterCount };
    sectorsPerFat = needed;
  }
}
