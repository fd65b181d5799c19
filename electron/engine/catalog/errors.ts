/** Maps SQLite's errors onto the catalog's TesseraError codes. */
import Database from 'better-sqlite3';
import { TesseraError } from '../../../shared/errors.js';
import type { ErrorCode } from '../../../shared/errors.js';

/** SQLite result codes (primary part) that mean the file could not be reached, locked or written. */
const IO_CODES = new Set([
  'SQLITE_BUSY',
  'SQLITE_LOCKED',
  'SQLITE_CANTOPEN',
  'SQLITE_IOERR',
  'SQLITE_FULL',
  'SQLITE_READONLY',
  'SQLITE_PERM',
  'SQLITE_NOLFS',
  'SQLITE_AUTH',
]);

export function sqliteCode(error: unknown): string | null {
  return error instanceof Database.SqliteError ? error.code : null;
}

/** The catalog code for a SQLite failure: I/O and locking, or a damaged/unreadable database. */
export function catalogCodeOf(error: unknown): ErrorCode {
  const code = sqliteCode(error);
  if (code === null) return 'CATALOG_IO'; // file system errors (mkdir) and the like
  const primary = code.split('_').slice(0, 2).join('_'); // SQLITE_IOERR_WRITE -> SQLITE_IOERR
  return IO_CODES.has(primary) ? 'CATALOG_IO' : 'CATALOG_CORRUPT';
}

/** Wraps a SQLite failure in a TesseraError; passes TesseraErrors through unchanged. */
export function toCatalogError(error: unknown, what: string): TesseraError {
  if (error instanceof TesseraError) return error;
  const detail = error instanceof Error ? error.message : String(error);
  return new TesseraError(catalogCodeOf(error), `${what}: ${detail}`, { cause: error });
}
