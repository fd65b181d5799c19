/**
 * The error contract. Everything the engine reports to a person is a TesseraError: a stable
 * `code` that scripts and the UI can switch on, a message a person can act on, and the cause
 * that explains it. Errors cross process boundaries as {@link SerializedError}.
 */

export const ERROR_CODES = {
  /** The file ends before a structure the format says is there. */
  DISK_TRUNCATED: 'the image file is shorter than its own structures say',
  /** A magic cookie or signature is not the one the format requires. */
  DISK_BAD_SIGNATURE: 'the file does not carry the signature of its format',
  /** A stored checksum does not match the structure it protects. */
  DISK_BAD_CHECKSUM: 'a checksum in the image does not match its contents',
  /** A structure is internally inconsistent (overlaps, offsets past the end, bad counts). */
  DISK_CORRUPT: 'the image structures are inconsistent',
  /** A well-formed feature that Tessera does not handle. */
  DISK_UNSUPPORTED: 'the image uses a feature Tessera does not support',
  /** A size or count field is beyond what the format allows. */
  DISK_TOO_LARGE: 'a size in the image is beyond what the format allows',
  /** A differencing disk's parent cannot be found. */
  DISK_PARENT_MISSING: 'the parent of a differencing disk cannot be found',
  /** A differencing chain refers back to itself. */
  DISK_PARENT_CYCLE: 'the differencing chain loops back on itself',
  /** The parent found does not carry the identity the child expects. */
  DISK_PARENT_MISMATCH: 'the parent disk is not the one the child was made from',
  /** The VHDX log holds updates that cannot be replayed safely. */
  DISK_LOG_UNREPLAYABLE: 'the VHDX log holds updates that cannot be replayed',
  /** The file format is not recognised at all. */
  DISK_UNKNOWN_FORMAT: 'the file is not a disk image Tessera can read',
  /** A disk's content changed between the hosts' read and a later re-read. */
  DISK_CHANGED: 'the disk changed while it was being backed up',
  /** An operating-system error while reading or writing an image. */
  DISK_IO: 'the operating system reported an error on the image file',
  /** A request (CLI arguments, API call) is malformed. */
  BAD_REQUEST: 'the request is not valid',
  /** The catalog database is damaged, or holds rows the code cannot read. */
  CATALOG_CORRUPT: 'the catalog database is damaged',
  /** The catalog was written by a newer Tessera whose schema this one does not know. */
  CATALOG_TOO_NEW: 'the catalog was created by a newer version of Tessera',
  /** A write contradicts what the catalog already holds (same backup ID, different image). */
  CATALOG_CONFLICT: 'the change conflicts with what the catalog already records',
  /** The image, job or other row named does not exist in the catalog. */
  CATALOG_NOT_FOUND: 'the catalog has no such entry',
  /** SQLite could not open, lock or write the catalog file. */
  CATALOG_IO: 'the catalog database could not be opened or written',
  /** The directory is not a Tessera storage unit (or its descriptor is unreadable). */
  STORE_NOT_FOUND: 'no Tessera storage unit at that location',
  /** A storage unit structure (pack, manifest, digest list) is damaged. */
  STORE_CORRUPT: 'the storage unit holds damaged data',
  /** The storage unit's file system has no space left. */
  STORE_FULL: "the storage unit's file system is full",
  /** An operating-system error on a storage unit file. */
  STORE_IO: 'the operating system reported an error on the storage unit',
  /** A block an image names is not in the storage unit. */
  BLOCK_MISSING: 'a block the image needs is missing from the storage unit',
  /** A block's content does not match its digest. */
  BLOCK_DAMAGED: 'a stored block is damaged (its content does not match its digest)',
  /** No image with that backup ID. */
  IMAGE_NOT_FOUND: 'no backup image with that ID',
  /** An image with that backup ID is already committed. */
  IMAGE_EXISTS: 'a backup image with that ID already exists',
  /** The job was cancelled or interrupted. */
  CANCELLED: 'the job was cancelled',
  /** A backup host (worker thread) died or failed. */
  HOST_FAILED: 'a backup host failed',
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export interface SerializedError {
  readonly name: string;
  readonly code: ErrorCode;
  readonly message: string;
}

export class TesseraError extends Error {
  override readonly name: string = 'TesseraError';
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }

  toJSON(): SerializedError {
    return { name: this.name, code: this.code, message: this.message };
  }
}

export function isTesseraError(value: unknown): value is TesseraError {
  return value instanceof TesseraError;
}
