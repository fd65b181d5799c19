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
  /** Interrupted by the user. */
  INTERRUPTED: 130,
} as const;

export function exitCodeFor(error: unknown): number {
  if (!isTesseraError(error)) return EXIT.INTERNAL;
  const code: ErrorCode = error.code;
  if (code === 'BAD_REQUEST') return EXIT.USAGE;
  if (code === 'DISK_IO') return EXIT.IO;
  return EXIT.BAD_IMAGE;
}
