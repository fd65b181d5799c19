/**
 * Backup images and the storage unit as the CLI and the app see them: what the catalog
 * records of each image and disk, and the reports of verify and garbage collection. The engine
 * returns these shapes; the app's API carries them unchanged.
 */
import type { ErrorCode } from './errors.js';

export type DiskFormat = 'raw' | 'vhd' | 'vhdx';

/** What an image records of its VM, so a restore can recreate it. */
export interface VmMetadata {
  readonly name: string;
  readonly [key: string]: unknown;
}

/** 'full' when no disk had a previous image to compare with, else 'accelerator'. */
export type ImageKind = 'full' | 'accelerator';

/** One disk of one image: what the backup of that disk recorded. */
export interface ImageDiskRow {
  /** Position of the disk in the VM (0 = boot disk). */
  readonly position: number;
  readonly diskKey: string;
  /**
   * The disk's name, path, format and identity as of its newest recorded image (the catalog
   * keeps one row per disk); the image's own manifest holds the values of its day.
   */
  readonly name: string;
  readonly sourcePath: string;
  readonly sourceFormat: DiskFormat;
  readonly identity: string | null;
  /** Backup ID whose track log this disk's backup compared against; null for a full backup. */
  readonly previousBackupId: string | null;
  /** The disk's virtual size in this image. */
  readonly virtualSize: number;
  readonly blockSize: number;
  readonly blockCount: number;
  readonly forcedRescan: boolean;
  readonly bytesRead: number;
  readonly blocksChanged: number;
  readonly blocksUnchanged: number;
  readonly blocksZero: number;
  readonly bytesStored: number;
  readonly bytesDeduplicated: number;
  readonly bytesLinked: number;
}

export interface ImageRow {
  /** `<client>_<unix seconds>`. */
  readonly backupId: string;
  readonly client: string;
  /** Unix seconds. */
  readonly createdAt: number;
  readonly kind: ImageKind;
  readonly previousBackupId: string | null;
  /** Unix seconds after which the image may be expired; null keeps it until deleted. */
  readonly expiresAt: number | null;
  readonly vm: VmMetadata | null;
  readonly diskCount: number;
  /** Sums over the image's disks. */
  readonly bytesRead: number;
  readonly bytesStored: number;
  /** In position order. */
  readonly disks: readonly ImageDiskRow[];
}

export interface VerifyProblem {
  readonly backupId: string;
  /** Disk position and name within the image; null when the image itself is unreadable. */
  readonly position: number | null;
  readonly disk: string | null;
  /** Byte offset of the block in the virtual disk. */
  readonly offset: number | null;
  readonly digest: string | null;
  readonly code: ErrorCode;
  readonly detail: string;
}

export interface VerifyReport {
  readonly backupId: string;
  readonly blocksChecked: number;
  readonly bytesChecked: number;
  readonly problems: readonly VerifyProblem[];
}

export interface GcReport {
  readonly liveImages: number;
  readonly liveBlocks: number;
  readonly packsDeleted: number;
  readonly packsRepacked: number;
  readonly blocksRemoved: number;
  readonly bytesReclaimed: number;
}

export interface StorageSummary {
  readonly images: number;
  readonly clients: number;
  /** Bytes of disk the images cover (sum of virtual sizes). */
  readonly protectedBytes: number;
  /** Bytes read over all backups. */
  readonly readBytes: number;
  /** Compressed bytes the images added to the storage unit. */
  readonly storedBytes: number;
  /** protectedBytes / storedBytes: how much the storage unit saves (1 when empty). */
  readonly deduplicationRatio: number;
}
