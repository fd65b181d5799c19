/**
 * Image manifests: what a committed backup image is. Every image is a full image: its
 * manifest names, for every block of every disk, the digest of the block's content, so it
 * restores without any other image. What the Accelerator backup stream carries (the previous
 * backup ID, the changed blocks, the extents of the unchanged ones) is recorded beside it.
 */
import type { DiskFormat } from '../disk/types.js';

/** `<client>_<unix seconds>`, as NetBackup names backup IDs. */
export const BACKUP_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9.-]{0,127}_\d{1,12}$/;

/** A client (VM) name as it may appear in a backup ID. */
export const CLIENT_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9.-]{0,127}$/;

export type Extent = readonly [offset: number, length: number];

export interface DiskImageStats {
  /** Bytes of the source disk read and hashed (allocated space only). */
  readonly bytesRead: number;
  /** Blocks whose digest differs from the track log (all data blocks on a full backup). */
  readonly blocksChanged: number;
  /** Blocks whose digest equals the track log's: linked, not sent. */
  readonly blocksUnchanged: number;
  /** Blocks that are unallocated or all zero: recorded as zero, never stored. */
  readonly blocksZero: number;
  /** Bytes this backup added to the store (compressed, after deduplication). */
  readonly bytesStored: number;
  /** Logical bytes of changed blocks that were already in the store (deduplicated). */
  readonly bytesDeduplicated: number;
  /** Logical bytes of the unchanged blocks linked from earlier images. */
  readonly bytesLinked: number;
}

/** The counts of a disk before its backup has read anything. */
export const EMPTY_DISK_STATS: DiskImageStats = {
  bytesRead: 0,
  blocksChanged: 0,
  blocksUnchanged: 0,
  blocksZero: 0,
  bytesStored: 0,
  bytesDeduplicated: 0,
  bytesLinked: 0,
};

export interface DiskImageManifest {
  /** Position of the disk in the VM (0 = boot disk). */
  readonly position: number;
  /** Stable key of the source disk across backups (see diskKeyOf in the backup module). */
  readonly diskKey: string;
  /** The disk's file name, for display and for restore to the original place. */
  readonly name: string;
  readonly sourcePath: string;
  readonly sourceFormat: DiskFormat;
  readonly virtualSize: number;
  readonly logicalSectorSize: number;
  readonly physicalSectorSize: number;
  /** The format's disk identity (VHDX DataWriteGuid/VHD unique id), when it has one. */
  readonly identity: string | null;
  readonly blockSize: number;
  readonly blockCount: number;
  /** Backup ID whose track log this backup compared against; null for a full backup. */
  readonly previousBackupId: string | null;
  readonly forcedRescan: boolean;
  /** Name of the digest list file beside the manifest, and the SHA-256 of its bytes. */
  readonly blocksFile: string;
  readonly blocksSha256: string;
  /** Extents (offset, length) of blocks that changed since the previous image. */
  readonly changedExtents: readonly Extent[];
  /** Extents (offset, length) of blocks linked unchanged from the previous image. */
  readonly unchangedExtents: readonly Extent[];
  readonly stats: DiskImageStats;
}

import type { VmMetadata } from '../../../shared/images.js';

/** Where a restore to the original location puts things, and what the VM was. */
export type { VmMetadata };

export interface ImageManifest {
  readonly format: 'tessera-image';
  readonly version: 1;
  readonly backupId: string;
  readonly client: string;
  /** Unix seconds. */
  readonly createdAt: number;
  /** 'full' when no disk had a previous image to compare with, else 'accelerator'. */
  readonly kind: 'full' | 'accelerator';
  readonly previousBackupId: string | null;
  /** Unix seconds after which the image may be expired; null keeps it until deleted. */
  readonly expiresAt: number | null;
  readonly vm: VmMetadata | null;
  readonly disks: readonly DiskImageManifest[];
}

export function backupIdOf(client: string, createdAt: number): string {
  return `${client}_${createdAt}`;
}
