/**
 * Builds FAT12/16 volume images in memory, with no external tools (the user's machine has no
 * mkfs), following the Microsoft FAT specification ("fatgen103"). Meant for small images such
 * as the sample VM's disk: the whole volume is one Buffer.
 */
import {
  ATTR,
  DIR_ENTRY_SIZE,
  DOT_DOT_NAME,
  DOT_NAME,
  dosTimestamp,
  volumeLabel,
  writeDirEntry,
  type DosTimestamp,
} from './fat-dirent.js';
import { fatGeometry, SECTOR_SIZE, type FatGeometry } from './fat-geometry.js';
import { allocateClusters, buildTree, type DirNode, type FatFile } from './fat-tree.js';

export type { FatFile } from './fat-tree.js';
export type { FatGeometry } from './fat-geometry.js';

export interface FatVolumeOptions {
  /** Up to 11 characters; none gives the conventional "NO NAME". */
  readonly label?: string;
  readonly files: readonly FatFile[];
  readonly totalSectors: number;
  readonly sectorsPerCluster?: number;
  readonly rootEntries?: number;
  /** Sectors before the volume on its disk (the partition's start); 0 for a bare volume. */
  readonly hiddenSectors?: number;
  /** Serial number; derived from `time` when absent, as DOS's format does. */
  readonly volumeId?: number;
  /** Timestamp of every file and folder; now when absent. */
  readonly time?: Date;
}

export interface FatVolume {
  readonly image: Buffer;
  readonly geometry: FatGeometry;
}

export function buildFatVolume(options: FatVolumeOptions): FatVolume {
  const image = Buffer.alloc(options.totalSectors * SECTOR_SIZE);
  return { image, geometry: writeFatVolume(image, options) };
}

/** Writes the volume into `target` (zero-filled, totalSectors × 512 bytes long). */
export function writeFatVolume(target: Buffer, options: FatVolumeOptions): FatGeometry {
  const geometry = fatGeometry(options.totalSectors, options);
  if (target.byteLength !== geometry.totalSectors * SECTOR_SIZE)
    throw new RangeError(`the target holds ${target.byteLength} bytes, not the volume's size`);
  const label = volumeLabel(options.label);
  const hasLabel = options.label !== undefined && options.label !== '';
  const root = buildTree(options.files);
  allocateClusters(root, geometry, hasLabel);
  const time = options.time ?? new Date();
  const stamp = dosTimestamp(time);

  writeBootSector(target, geometry, {
    label,
    hiddenSectors: options.hiddenSectors ?? 0,
    volumeId: options.volumeId ?? volumeIdFrom(time),
  });
  const fat = target.subarray(SECTOR_SIZE, SECTOR_SIZE * (1 + geometry.sectorsPerFat));
  writeFat(fat, geometry, root);
  for (let copy = 1; copy < geometry.fatCount; copy++)
    fat.copy(target, SECTOR_SIZE * (1 + copy * geometry.sectorsPerFat));

  const rootArea = target.subarray(
    geometry.firstRootSector * SECTOR_SIZE,
    geometry.firstDataSector * SECTOR_SIZE,
  );
  let at = 0;
  if (hasLabel) {
    writeDirEntry(rootArea, 0, {
      name: label,
      attributes: ATTR.volumeId,
      firstCluster: 0,
      size: 0,
      stamp,
    });
    at = DIR_ENTRY_SIZE;
  }
  writeDirectory(target, geometry, root, rootArea, at, stamp);
  return geometry;
}

interface BootFields {
  readonly label: Buffer;
  readonly hiddenSectors: number;
  readonly volumeId: number;
}

function writeBootSector(target: Buffer, geometry: FatGeometry, fields: BootFields): void {
  const total = geometry.totalSectors;
  Buffer.from([0xeb, 0x3c, 0x90]).copy(target, 0); // jump over the BPB to the boot code
  Buffer.from('TESSERA ', 'latin1').copy(target, 3);
  target.writeUInt16LE(SECTOR_SIZE, 11);
  target[13] = geometry.sectorsPerCluster;
  target.writeUInt16LE(geometry.reservedSectors, 14);
  target[16] = geometry.fatCount;
  target.writeUInt16LE(geometry.rootEntries, 17);
  target.writeUInt16LE(total < 0x10000 ? total : 0, 19);
  target[21] = MEDIA_FIXED_DISK;
  target.writeUInt16LE(geometry.sectorsPerFat, 22);
  target.writeUInt16LE(SECTORS_PER_TRACK, 24);
  target.writeUInt16LE(HEADS, 26);
  target.writeUInt32LE(fields.hiddenSectors, 28);
  target.writeUInt32LE(total < 0x10000 ? 0 : total, 32);
  target[36] = 0x80; // BIOS drive number of a hard disk
  target[38] = 0x29; // extended boot signature: the next three fields are present
  target.writeUInt32LE(fields.volumeId >>> 0, 39);
  fields.label.copy(target, 43);
  Buffer.from(geometry.type === 12 ? 'FAT12   ' : 'FAT16   ', 'latin1').copy(target, 54);
  // A guest that tries to boot the volume halts quietly instead of running zeros as code.
  Buffer.from([0xfa, 0xf4, 0xeb, 0xfd]).copy(target, 0x3e); // cli; hlt; jmp back to hlt
  target[510] = 0x55;
  target[511] = 0xaa;
}

/** The media byte of a fixed disk; FAT[0] repeats it. */
const MEDIA_FIXED_DISK = 0xf8;
/** The geometry BIOSes and Windows assume for LBA disks. */
export const SECTORS_PER_TRACK = 63;
export const HEADS = 255;

function writeFat(fat: Buffer, geometry: FatGeometry, root: DirNode): void {
  const endOfChain = geometry.type === 12 ? 0xfff : 0xffff;
  const set =
    geometry.type === 12
      ? (cluster: number, value: number): void => setFat12(fat, cluster, value)
      : (cluster: number, value: number): void => void fat.writeUInt16LE(value, cluster * 2);
  set(0, (endOfChain & ~0xff) | MEDIA_FIXED_DISK);
  // FAT[1] all ones: on FAT16 its top bits also say "cleanly unmounted, no disk errors".
  set(1, endOfChain);
  const chain = (first: number, count: number): void => {
    for (let cluster = first; cluster < first + count - 1; cluster++) set(cluster, cluster + 1);
    if (count > 0) set(first + count - 1, endOfChain);
  };
  const visit = (dir: DirNode): void => {
    for (const child of dir.children) {
      chain(child.firstCluster, child.clusters);
      if (child.kind === 'dir') visit(child);
    }
  };
  visit(root);
}

/** FAT12 packs two 12-bit entries into three bytes, the even one in the low bits. */
function setFat12(fat: Buffer, cluster: number, value: number): void {
  const at = Math.floor((cluster * 3) / 2);
  if (cluster % 2 === 0) {
    fat[at] = value & 0xff;
    fat[at + 1] = (fat[at + 1]! & 0xf0) | ((value >> 8) & 0x0f);
  } else {
    fat[at] = (fat[at]! & 0x0f) | ((value & 0x0f) << 4);
    fat[at + 1] = (value >> 4) & 0xff;
  }
}

/** Writes `dir`'s entries into `area` from `at`, then its children's contents. */
function writeDirectory(
  target: Buffer,
  geometry: FatGeometry,
  dir: DirNode,
  area: Buffer,
  at: number,
  stamp: DosTimestamp,
): void {
  for (const child of dir.children) {
    writeDirEntry(area, at, {
      name: child.name,
      attributes: child.kind === 'dir' ? ATTR.directory : ATTR.archive,
      firstCluster: child.firstCluster,
      size: child.kind === 'file' ? child.data.byteLength : 0,
      stamp,
    });
    at += DIR_ENTRY_SIZE;
    const start = clusterOffset(geometry, child.firstCluster);
    if (child.kind === 'file') {
      if (child.clusters > 0) target.set(child.data, start);
      continue;
    }
    const own = target.subarray(start, start + child.clusters * geometry.clusterSize);
    const common = { attributes: ATTR.directory, size: 0, stamp };
    writeDirEntry(own, 0, { ...common, name: DOT_NAME, firstCluster: child.firstCluster });
    // ".." of a folder in the root says cluster 0, which stands for the root directory.
    writeDirEntry(own, DIR_ENTRY_SIZE, {
      ...common,
      name: DOT_DOT_NAME,
      firstCluster: dir.firstCluster,
    });
    writeDirectory(target, geometry, child, own, 2 * DIR_ENTRY_SIZE, stamp);
  }
}

function clusterOffset(geometry: FatGeometry, cluster: number): number {
  return (geometry.firstDataSector + (cluster - 2) * geometry.sectorsPerCluster) * SECTOR_SIZE;
}

/** DOS mixes the date and time into the serial number; so do we, so a rebuild is identical. */
export function volumeIdFrom(time: Date): number {
  const stamp = dosTimestamp(time);
  return (((stamp.date << 16) | stamp.time) ^ Math.floor(time.getTime() / 1000)) >>> 0;
}
