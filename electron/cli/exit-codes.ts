import { isTesseraError, type ErrorCode } from '../../shared/errors.js';

/**
 * Exit codes scripts can rely on. They group error codes by what a script would do next:
 * fix the command line, look at the image, look at the machine.
 */
export const EXIT = {
  OK: 0,
  /** A bug or an error Tessera did not foresee. */
  INTERNAL: 1,
  /** The command line or request is wrong. */
  USAGE: 2,
  /** An image is damaged, unsupported, or its chain is broken. */
  BAD_IMAGE: 3,
  /** The operating system refused (missing file, permissions, full disk). */
  IO: 4,
  /** The storage unit or catalog holds damaged or missing data. */
  STORE_DAMAGED: 5,
  /** `tessera verify` found missing or damaged blocks. */
  VERIFY_FAILED: 6,
  /** A job (`tessera run`) ended with partial success: some VMs or disks need a look. */
  PARTIAL: 7,
  /** A job (`tessera run`) failed; `tessera job show` gives the status and what to do. */
  JOB_FAILED: 8,
  /** Interrupted by the user. */
  INTERRUPTED: 130,
} as const;

export function exitCodeFor(error: unknown): number {
  if (!isTesseraError(error)) return EXIT.INTERNAL;
  return BY_CODE[error.code] ?? EXIT.BAD_IMAGE;
}

const BY_CODE: Partial<Record<ErrorCode, number>> = {
  BAD_REQUEST: EXIT.USAGE,
  IMAGE_NOT_FOUND: EXIT.USAGE,
  IMAGE_EXISTS: EXIT.USAGE,
  STORE_NOT_FOUND: EXIT.USAGE,
  CATALOG_NOT_FOUND: EXIT.USAGE,
  DISK_IO: EXIT.IO,
  DISK_CHANGED: EXIT.IO,
  STORE_IO: EXIT.IO,
  STORE_FULL: EXIT.IO,
  CATALOG_IO: EXIT.IO,
  STORE_CORRUPT: EXIT.STORE_DAMAGED,
  BLOCK_MISSING: EXIT.STORE_DAMAGED,
  BLOCK_DAMAGED: EXIT.STORE_DAMAGED,
  CATALOG_CORRUPT: EXIT.STORE_DAMAGED,
  CATALOG_TOO_NEW: EXIT.STORE_DAMAGED,
  CATALOG_CONFLICT: EXIT.STORE_DAMAGED,
  CANCELLED: EXIT.INTERRUPTED,
  HOST_FAILED: EXIT.INTERNAL,
};
