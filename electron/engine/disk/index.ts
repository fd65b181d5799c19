/**
 * The disk layer: read and write the virtual disk formats of Hyper-V and Azure Stack.
 *
 * Design: each format turns one image file into a DiskLayer (its own allocation map: which
 * runs are stored where, which are zero, which fall through to the parent). LayeredDisk stacks
 * layers into a VirtualDisk, so differencing chains, zero detection and bounds checks are
 * written once. Writers stream extents in increasing order into a temporary file that is
 * renamed into place only when the image is complete. Every structure read from a file is
 * validated before use; problems are DiskErrors that name the file and what is wrong.
 */
export { openDisk, type OpenDiskOptions } from './open.js';
export { createDiskWriter, isWritableFormat, WRITABLE_FORMATS } from './writers.js';
export {
  convertDisk,
  type ConvertOptions,
  type ConvertProgress,
  type ConvertResult,
} from './convert.js';
export { describeDisk, type DiskChainInfo, type DiskInfo } from './info.js';
export { DiskError } from './errors.js';
export type * from './types.js';
