import { TesseraError, type ErrorCode } from '../../../shared/errors.js';

/**
 * A problem with one image file: the code says what kind, the path says which file, and the
 * detail says what exactly is wrong, so a person can find it and a test can assert on it.
 */
export class DiskError extends TesseraError {
  override readonly name = 'DiskError';
  readonly path: string;
  readonly detail: string;

  constructor(code: ErrorCode, path: string, detail: string, options?: { cause?: unknown }) {
    super(code, `${path}: ${detail}`, options);
    this.path = path;
    this.detail = detail;
  }
}

/** Throws DISK_CORRUPT (or the given code) unless `condition` holds. */
export function check(
  condition: boolean,
  path: string,
  detail: string | (() => string),
  code: ErrorCode = 'DISK_CORRUPT',
): asserts condition {
  if (!condition) throw new DiskError(code, path, typeof detail === 'string' ? detail : detail());
}
