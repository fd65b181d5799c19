/**
 * Values to and from columns, shared by every table: JSON objects read back from the file
 * (damage is CATALOG_CORRUPT) and whole numbers given by callers (bad ones are BAD_REQUEST).
 */
import { TesseraError } from '../../../shared/errors.js';

/** Parses a JSON column that must hold an object; `what` names it in the error. */
export function objectOf(what: string, json: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (error) {
    throw new TesseraError('CATALOG_CORRUPT', `The ${what} in the catalog is not valid JSON`, {
      cause: error,
    });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new TesseraError('CATALOG_CORRUPT', `The ${what} in the catalog is not a JSON object`);
  return value as Record<string, unknown>;
}

export function checkCount(what: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0)
    throw new TesseraError(
      'BAD_REQUEST',
      `The ${what} must be a whole number from 0 up, not ${String(value)}`,
    );
}
