/**
 * A whole disk around one FAT volume: an MBR partition table with a single partition starting
 * at 1 MiB, where every partitioning tool since Windows Vista puts the first one, so the disk
 * looks like one a guest installer made.
 */
import { TesseraError } from '../../../shared/errors.js';
import {
  HEADS,
  SECTORS_PER_TRACK,
  volumeIdFrom,
  writeFatVolume,
  type FatVolumeOptions,
} from './fat-image.js';
import { SECTOR_SIZE, type FatGeometry } from './fat-geometry.js';

export const PARTITION_START_SECTOR = 2048;

/** MBR partition types: FAT12, and FAT16 addressed by LBA (CHS is meaningless here). */
const PARTITION_TYPE = { 12: 0x01, 16: 0x0e } as const;

export interface FatDiskOptions extends Omit<FatVolumeOptions, 'totalSectors' | 'hiddenSectors'> {
  /** Size of the whole disk in bytes, a multiple of 512; the partition fills it after 1 MiB. */
  readonly diskSize: number;
  /** The MBR's disk signature (Windows tells disks apart by it); derived from volumeId. */
  readonly diskSignature?: number;
}

export interface FatDisk {
  readonly image: Buffer;
  readonly geometry: FatGeometry;
  readonly partitionOffset: number;
  readonly partitionSize: number;
}

export function buildFatDisk(options: FatDiskOptions): FatDisk {
  const { diskSize } = options;
  if (!Number.isSafeInteger(diskSize) || diskSize % SECTOR_SIZE !== 0) {
    throw new TesseraError('BAD_REQUEST', `a disk of ${diskSize} bytes is not whole sectors`);
  }
  const diskSectors = diskSize / SECTOR_SIZE;
  const totalSectors = diskSectors - PARTITION_START_SECTOR;
  if (totalSectors <= 0 || diskSectors > 0xffffffff) {
    throw new TesseraError(
      'BAD_REQUEST',
      `a disk of ${diskSize} bytes cannot hold an MBR partition from 1 MiB`,
    );
  }
  const image = Buffer.alloc(diskSize);
  const partitionOffset = PARTITION_START_SECTOR * SECTOR_SIZE;
  const time = options.time ?? new Date();
  const volumeId = options.volumeId ?? volumeIdFrom(time);
  const geometry = writeFatVolume(image.subarray(partitionOffset), {
    ...options,
    time,
    volumeId,
    totalSectors,
    hiddenSectors: PARTITION_START_SECTOR,
  });
  writeMbr(image, {
    type: PARTITION_TYPE[geometry.type],
    start: PARTITION_START_SECTOR,
    sectors: totalSectors,
    signature: options.diskSignature ?? ~volumeId >>> 0,
  });
  return { image, geometry, partitionOffset, partitionSize: totalSectors * SECTOR_SIZE };
}

interface Partition {
  readonly type: number;
  readonly start: number;
  readonly sectors: number;
  readonly signature: number;
}

function writeMbr(disk: Buffer, partition: Partition): void {
  disk.writeUInt32LE(partition.signature, 440);
  const entry = 446;
  disk[entry] = 0x00; // not bootable: there is no operating system on it
  chs(partition.start).copy(disk, entry + 1);
  disk[entry + 4] = partition.type;
  chs(partition.start + partition.sectors - 1).copy(disk, entry + 5);
  disk.writeUInt32LE(partition.start, entry + 8);
  disk.writeUInt32LE(partition.sectors, entry + 12);
  disk[510] = 0x55;
  disk[511] = 0xaa;
}

/** Cylinder/head/sector of an LBA, saturating at 1023/254/63 as LBA-era tools write it. */
function chs(lba: number): Buffer {
  const cylinder = Math.floor(lba / (HEADS * SECTORS_PER_TRACK));
  if (cylinder > 1023) return Buffer.from([0xfe, 0xff, 0xff]);
  const head = Math.floor(lba / SECTORS_PER_TRACK) % HEADS;
  const sector = (lba % SECTORS_PER_TRACK) + 1;
  return Buffer.from([head, sector | ((cylinder >> 2) & 0xc0), cylinder & 0xff]);
}
