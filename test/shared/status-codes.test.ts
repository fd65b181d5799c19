import { describe, expect, it } from 'vitest';
import { ERROR_CODES, type ErrorCode } from '../../shared/errors.js';
import {
  STATUS,
  statusForError,
  statusOf,
  worseStatus,
  type StatusName,
} from '../../shared/status-codes.js';

const entries = Object.entries(STATUS) as Array<[StatusName, (typeof STATUS)[StatusName]]>;

describe('the status table', () => {
  it('gives every status a unique whole number, a severity, a message and a remedy', () => {
    const numbers = entries.map(([, status]) => status.code);
    expect(new Set(numbers).size).toBe(numbers.length);
    for (const [name, status] of entries) {
      expect(Number.isInteger(status.code) && status.code >= 0, name).toBe(true);
      expect(['ok', 'partial', 'failed'], name).toContain(status.severity);
      expect(status.message.trim().length, name).toBeGreaterThan(10);
      // A remedy is a sentence (or more) a person can act on.
      expect(status.remedy, name).toMatch(/^[A-Z`].{8,}\.$/s);
      expect(statusOf(status.code), name).toBe(status);
    }
  });

  it("uses NetBackup's numbers where there is an equivalent, and only 0 is ok", () => {
    expect({
      SUCCESS: STATUS.SUCCESS.code,
      PARTIAL: STATUS.PARTIAL.code,
      DISK_READ_FAILED: STATUS.DISK_READ_FAILED.code,
      HOST_FAILED: STATUS.HOST_FAILED.code,
      STORE_WRITE_FAILED: STATUS.STORE_WRITE_FAILED.code,
      STORE_FULL: STATUS.STORE_FULL.code,
      CANCELLED: STATUS.CANCELLED.code,
      WINDOW_CLOSED: STATUS.WINDOW_CLOSED.code,
      NO_VMS_SELECTED: STATUS.NO_VMS_SELECTED.code,
    }).toEqual({
      SUCCESS: 0,
      PARTIAL: 1,
      DISK_READ_FAILED: 13,
      HOST_FAILED: 50,
      STORE_WRITE_FAILED: 84,
      STORE_FULL: 129,
      CANCELLED: 150,
      WINDOW_CLOSED: 196,
      NO_VMS_SELECTED: 227,
    });
    expect(entries.filter(([, s]) => s.severity === 'ok').map(([name]) => name)).toEqual([
      'SUCCESS',
    ]);
    expect(
      entries
        .filter(([, s]) => s.severity === 'partial')
        .map(([name]) => name)
        .sort(),
    ).toEqual(['DISK_CHANGED', 'PARTIAL']);
  });

  it('reads an unknown number as an internal error that keeps the number', () => {
    expect(statusOf(12345)).toEqual({ ...STATUS.INTERNAL, code: 12345 });
    expect(statusOf(-1).severity).toBe('failed');
  });
});

describe('worseStatus', () => {
  const { SUCCESS, PARTIAL, DISK_CHANGED, DISK_READ_FAILED, STORE_FULL, CANCELLED } = STATUS;

  it('orders ok < partial < failed, whichever comes first', () => {
    expect(worseStatus(SUCCESS.code, PARTIAL.code)).toBe(PARTIAL.code);
    expect(worseStatus(PARTIAL.code, SUCCESS.code)).toBe(PARTIAL.code);
    expect(worseStatus(PARTIAL.code, DISK_READ_FAILED.code)).toBe(DISK_READ_FAILED.code);
    expect(worseStatus(DISK_READ_FAILED.code, DISK_CHANGED.code)).toBe(DISK_READ_FAILED.code);
    expect(worseStatus(SUCCESS.code, SUCCESS.code)).toBe(SUCCESS.code);
    // An unknown number counts as a failure.
    expect(worseStatus(PARTIAL.code, 12345)).toBe(12345);
  });

  it('keeps the first of two statuses of the same severity', () => {
    expect(worseStatus(DISK_READ_FAILED.code, STORE_FULL.code)).toBe(DISK_READ_FAILED.code);
    expect(worseStatus(STORE_FULL.code, DISK_READ_FAILED.code)).toBe(STORE_FULL.code);
    expect(worseStatus(CANCELLED.code, STORE_FULL.code)).toBe(CANCELLED.code);
    expect(worseStatus(DISK_CHANGED.code, PARTIAL.code)).toBe(DISK_CHANGED.code);
    expect(worseStatus(PARTIAL.code, DISK_CHANGED.code)).toBe(PARTIAL.code);
  });

  it('folds a list to its first worst status, in any grouping', () => {
    const codes = [0, 1, 2, 13, 0, 84, 1, 129];
    expect(codes.reduce(worseStatus)).toBe(13);
    expect(
      worseStatus(codes.slice(0, 4).reduce(worseStatus), codes.slice(4).reduce(worseStatus)),
    ).toBe(13);
  });
});

describe('statusForError', () => {
  /** What each error code of shared/errors.ts ends a job with. */
  const EXPECTED = {
    DISK_TRUNCATED: 'DISK_BAD_IMAGE',
    DISK_BAD_SIGNATURE: 'DISK_BAD_IMAGE',
    DISK_BAD_CHECKSUM: 'DISK_BAD_IMAGE',
    DISK_CORRUPT: 'DISK_BAD_IMAGE',
    DISK_UNSUPPORTED: 'DISK_BAD_IMAGE',
    DISK_TOO_LARGE: 'DISK_BAD_IMAGE',
    DISK_PARENT_MISSING: 'DISK_OPEN_FAILED',
    DISK_PARENT_CYCLE: 'DISK_BAD_IMAGE',
    DISK_PARENT_MISMATCH: 'DISK_BAD_IMAGE',
    DISK_LOG_UNREPLAYABLE: 'DISK_BAD_IMAGE',
    DISK_UNKNOWN_FORMAT: 'DISK_BAD_IMAGE',
    DISK_CHANGED: 'DISK_READ_FAILED',
    DISK_IO: 'DISK_READ_FAILED',
    BAD_REQUEST: 'BAD_POLICY',
    CATALOG_CORRUPT: 'CATALOG_FAILED',
    CATALOG_TOO_NEW: 'CATALOG_FAILED',
    CATALOG_CONFLICT: 'CATALOG_FAILED',
    CATALOG_NOT_FOUND: 'INTERNAL',
    CATALOG_IO: 'CATALOG_FAILED',
    STORE_NOT_FOUND: 'STORE_WRITE_FAILED',
    STORE_CORRUPT: 'STORE_DAMAGED',
    STORE_FULL: 'STORE_FULL',
    STORE_IO: 'STORE_WRITE_FAILED',
    BLOCK_MISSING: 'STORE_DAMAGED',
    BLOCK_DAMAGED: 'STORE_DAMAGED',
    IMAGE_NOT_FOUND: 'INTERNAL',
    IMAGE_EXISTS: 'INTERNAL',
    CANCELLED: 'CANCELLED',
    HOST_FAILED: 'HOST_FAILED',
  } as const satisfies Record<ErrorCode, StatusName>;

  /**
   * The only error codes allowed to end a job as an internal error (99). A job meets them
   * only through a bug or a race with another process: the policy is looked up before the job
   * starts, a previous image is checked before it is read, and a backup ID is claimed before
   * its image is committed.
   */
  const INTERNAL_BY_DESIGN: readonly ErrorCode[] = [
    'CATALOG_NOT_FOUND',
    'IMAGE_NOT_FOUND',
    'IMAGE_EXISTS',
  ];

  it('maps every error code to its status (a new code needs a line here)', () => {
    const codes = Object.keys(ERROR_CODES) as ErrorCode[];
    expect(codes.sort()).toEqual((Object.keys(EXPECTED) as ErrorCode[]).sort());
    for (const code of codes) {
      expect(statusForError(code), code).toBe(STATUS[EXPECTED[code]]);
    }
  });

  it('maps no error code to INTERNAL except those listed', () => {
    const internal = (Object.keys(ERROR_CODES) as ErrorCode[]).filter(
      (code) => statusForError(code).code === STATUS.INTERNAL.code,
    );
    expect(internal.sort()).toEqual([...INTERNAL_BY_DESIGN].sort());
  });

  it('ends a job as failed for every error, and as internal for a non-Tessera one', () => {
    for (const code of Object.keys(ERROR_CODES) as ErrorCode[]) {
      expect(statusForError(code).severity, code).toBe('failed');
    }
    expect(statusForError(undefined)).toBe(STATUS.INTERNAL);
  });
});
