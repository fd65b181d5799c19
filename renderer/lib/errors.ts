import { ApiCallError } from '../../shared/api';

/** Any thrown value as an ApiCallError, so every screen shows errors the same way. */
export function asApiError(error: unknown): ApiCallError {
  if (error instanceof ApiCallError) return error;
  return new ApiCallError({
    code: 'INTERNAL',
    message: error instanceof Error ? error.message : String(error),
  });
}
