/**
 * The one interface every virtual disk format is read and written through.
 *
 * Offsets and sizes are plain numbers: JavaScript integers are exact to 2^53 bytes (8 PiB),
 * far past the largest disk any supported format can describe (VHDX: 64 TiB). On-disk 64-bit
 * fields are decoded as bigint and range-checked before they become numbers.
 */

import type { DiskFormat } from '../../../shared/images.js';

export type { DiskFormat };
export type DiskSubformat = 'fixed' | 'dynamic' | 'differencing';

/**
 * What a range of the virtual disk holds.
 * - `data`: bytes that must be read (they may still happen to be zero);
 * - `zero`: known to read as zeros (a VHDX ZERO block, an all-zero range of a raw file);
 * - `unallocated`: no storage behind it anywhere in the chain, so it reads as zeros.
 */
export type ExtentKind = 'data' | 'zero' | 'unallocated';

export interface DiskExtent {
  readonly offset: number;
  readonly length: number;
  readonly kind: ExtentKind;
}

export interface ExtentOptions {
  /** Start of the range to describe; default 0. */
  readonly offset?: number;
  /** Length of the range to describe; default to the end of the disk. */
  readonly length?: number;
  /**
   * For formats without an allocation map (raw, fixed VHD/VHDX), read the data and report
   * all-zero ranges as `zero`. Default true; a caller that reads every data byte anyway
   * (convert, backup) turns it off and checks for zeros itself, so nothing is read twice.
   */
  readonly detectZeros?: boolean;
}

/** A virtual disk opened for reading, with its differencing chain already resolved. */
export interface VirtualDisk {
  readonly path: string;
  readonly format: DiskFormat;
  readonly subformat: DiskSubformat;
  /** Size of the disk as the guest sees it, in bytes. */
  readonly virtualSize: number;
  readonly logicalSectorSize: number;
  readonly physicalSectorSize: number;
  /** The format's allocation unit (VHD/VHDX block size); null for formats without one. */
  readonly blockSize: number | null;
  /** Stable identity of this disk: the format's GUID (lower case, dashed), null for raw. */
  readonly identity: string | null;
  /** The parent of a differencing disk, opened; null otherwise. */
  readonly parent: VirtualDisk | null;
  /** Bytes of guest data this file itself holds (allocated payload), excluding parents. */
  readonly allocatedBytes: number;
  /** Size of the image file on disk (its length, not its allocation). */
  readonly fileSize: number;
  /**
   * Fills `buffer` with the virtual disk's bytes from `offset`. The range must lie inside the
   * disk; differencing chains are resolved, unallocated space reads as zeros.
   */
  read(buffer: Uint8Array, offset: number): Promise<void>;
  /**
   * The disk's ranges in order, contiguous and covering the requested range exactly, with
   * adjacent ranges of the same kind merged. A differencing disk reports the whole chain.
   */
  extents(options?: ExtentOptions): AsyncIterable<DiskExtent>;
  /** Closes this disk and its parents. */
  close(): Promise<void>;
}

/** Formats Tessera can write, as named on the command line. */
export type WritableFormat = 'raw' | 'vhd' | 'vhd-fixed' | 'vhdx';

export interface DiskWriterOptions {
  /** Virtual size in bytes. A format may round it up (VHD fixed: to a whole MiB for Azure). */
  readonly virtualSize: number;
  /** 512 (default) or 4096; VHDX only, other formats are 512. */
  readonly logicalSectorSize?: number;
  readonly physicalSectorSize?: number;
  /** Allocation unit for dynamic formats; the format's default when absent. */
  readonly blockSize?: number;
  /** Identity to give the new disk (GUID); a fresh one when absent. */
  readonly identity?: string;
  /**
   * Flush the image to stable storage before it is renamed into place (default true). A
   * conversion a user can simply rerun may turn it off, as qemu-img convert and cp do.
   */
  readonly durable?: boolean;
}

/**
 * Streams a virtual disk into a new image file. Writes arrive in increasing offset order
 * (each starts at or after the end of the previous one); gaps read as zeros. All-zero data
 * is not stored, so unallocated and zero ranges stay sparse.
 *
 * Calls may overlap: a caller may start the next write() before the previous one settles, so
 * the file system works on several at once. A writer therefore does its bookkeeping (order
 * checks, block allocation) synchronously when called, and the caller leaves `data` untouched
 * until that call's promise settles.
 */
export interface DiskWriter {
  readonly path: string;
  readonly format: WritableFormat;
  /** The virtual size the image will have (after any rounding the format needs). */
  readonly virtualSize: number;
  write(offset: number, data: Uint8Array): Promise<void>;
  /** Writes the remaining metadata, flushes and closes. The image is valid only after this. */
  finish(): Promise<void>;
  /** Closes and deletes the partial image. Safe to call after a failed write or finish. */
  abort(): Promise<void>;
}
