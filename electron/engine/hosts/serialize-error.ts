import { TesseraError, type SerializedError } from '../../../shared/errors.js';

/** An error as it crosses from a host to the engine: TesseraErrors keep their code. */
export function serializeError(error: unknown): SerializedError {
  if (error instanceof TesseraError) return error.toJSON();
  const message = error instanceof Error ? error.message : String(error);
  return { name: 'Error', code: 'HOST_FAILED', message };
}
