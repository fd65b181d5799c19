import { TesseraError, type ErrorCode } from '../../../shared/errors.js';

/** A storage unit problem: the code says what kind, `path` which file, `detail` what exactly. */
export class StoreError extends TesseraError {
  override readonly name = 'StoreError';

  constructor(
    code: ErrorCode,
    readonly path: string,
    readonly detail: string,
    options?: { cause?: unknown },
  ) {
    super(code, `${path}: ${detail}`, options);
  }
}

/** Turns an operating-system error on a store file into a StoreError a person can act on. */
export function storeIoError(file: string, doing: string, cause: unknown): StoreError {
  if (cause instanceof StoreError) return cause;
  const code = (cause as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOSPC' || code === 'EDQUOT' || code === 'SQLITE_FULL') {
    return new StoreError(
      'STORE_FULL',
      file,
      `${doing}: the storage unit's file system is full; free space or choose another storage unit (earlier images are intact)`,
      { cause },
    );
  }
  const reason = cause instanceof Error ? cause.message : String(cause);
  return new StoreError('STORE_IO', file, `${doing}: ${reason}`, { cause });
}
