/**
 * How an error crosses the API boundary: the engine's code and message, the remedy its status
 * code gives, and for a VM query the span to mark. Anything that is not a TesseraError is a bug
 * in Tessera: it crosses as INTERNAL, and the main process logs its stack.
 */
import type { ApiErrorBody } from '../../shared/api.js';
import { isTesseraError } from '../../shared/errors.js';
import { STATUS, statusForError } from '../../shared/status-codes.js';
import { VmQueryError } from '../../shared/vm-query.js';

export function toApiError(
  error: unknown,
  log: (error: unknown) => void = console.error,
): ApiErrorBody {
  if (error instanceof VmQueryError) {
    return {
      code: error.code,
      message: error.message,
      position: error.position,
      length: error.length,
    };
  }
  if (isTesseraError(error)) {
    const status = statusForError(error.code);
    // A bad request's remedy is in its message; INTERNAL's remedy would only mislead here.
    const remedy =
      error.code === 'BAD_REQUEST' || status === STATUS.INTERNAL ? undefined : status.remedy;
    return { code: error.code, message: error.message, ...(remedy ? { remedy } : {}) };
  }
  log(error);
  return {
    code: 'INTERNAL',
    message: `internal error: ${error instanceof Error ? error.message : String(error)}`,
    remedy: STATUS.INTERNAL.remedy,
  };
}
