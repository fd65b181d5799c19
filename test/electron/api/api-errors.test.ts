/**
 * How errors cross the API boundary: a TesseraError keeps its code and message and gains the
 * remedy of its status code (none for a bad request or where the status would be INTERNAL's),
 * a VM query error keeps the span to mark, and anything else is a bug: INTERNAL, logged.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { TesseraError } from '../../../shared/errors.js';
import { STATUS } from '../../../shared/status-codes.js';
import { parseVmQuery, VmQueryError } from '../../../shared/vm-query.js';
import { toApiError } from '../../../electron/api/api-errors.js';

const noLog = () => {
  throw new Error('nothing should be logged for an engine error');
};

afterEach(() => {
  vi.restoreAllMocks();
});

describe('toApiError', () => {
  it('maps STORE_FULL to its code, message and the remedy of status 129', () => {
    const body = toApiError(new TesseraError('STORE_FULL', 'no space left on /backups'), noLog);
    expect(STATUS.STORE_FULL.code).toBe(129);
    expect(body).toEqual({
      code: 'STORE_FULL',
      message: 'no space left on /backups',
      remedy: STATUS.STORE_FULL.remedy,
    });
  });

  it('gives each engine error the remedy of its status code', () => {
    const cases: [TesseraError['code'], string][] = [
      ['DISK_CORRUPT', STATUS.DISK_BAD_IMAGE.remedy],
      ['BLOCK_DAMAGED', STATUS.STORE_DAMAGED.remedy],
      ['CATALOG_CONFLICT', STATUS.CATALOG_FAILED.remedy],
      ['CANCELLED', STATUS.CANCELLED.remedy],
    ];
    for (const [code, remedy] of cases) {
      expect(toApiError(new TesseraError(code, 'x'), noLog), code).toEqual({
        code,
        message: 'x',
        remedy,
      });
    }
  });

  it('gives BAD_REQUEST no remedy (its message is the remedy)', () => {
    const body = toApiError(new TesseraError('BAD_REQUEST', 'hosts: too big'), noLog);
    expect(body).toEqual({ code: 'BAD_REQUEST', message: 'hosts: too big' });
    expect('remedy' in body).toBe(false);
  });

  it("gives a code whose status would be INTERNAL no remedy (INTERNAL's would mislead)", () => {
    for (const code of ['CATALOG_NOT_FOUND', 'IMAGE_NOT_FOUND', 'IMAGE_EXISTS'] as const) {
      const body = toApiError(new TesseraError(code, 'no job 7'), noLog);
      expect(body, code).toEqual({ code, message: 'no job 7' });
    }
  });

  it('keeps a VM query error’s position and length', () => {
    let thrown: unknown;
    try {
      parseVmQuery('name = "a" and sise > 3');
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(VmQueryError);
    const body = toApiError(thrown, noLog);
    expect(body).toEqual({
      code: 'BAD_REQUEST',
      message: (thrown as VmQueryError).message,
      position: 15,
      length: 4,
    });
    expect(body.message).toMatch(/unknown field "sise"/);

    const made = toApiError(new VmQueryError('expected a value', 9, 0, 'name is  '), noLog);
    expect(made).toMatchObject({ code: 'BAD_REQUEST', position: 9, length: 0 });
    expect(made.remedy).toBeUndefined();
  });

  it('maps anything else to INTERNAL with its remedy, logged through the given function', () => {
    const consoleError = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const logged: unknown[] = [];
    const log = (error: unknown) => logged.push(error);
    const bug = new TypeError("Cannot read properties of undefined (reading 'id')");
    expect(toApiError(bug, log)).toEqual({
      code: 'INTERNAL',
      message: "internal error: Cannot read properties of undefined (reading 'id')",
      remedy: STATUS.INTERNAL.remedy,
    });
    expect(toApiError('a string', log)).toEqual({
      code: 'INTERNAL',
      message: 'internal error: a string',
      remedy: STATUS.INTERNAL.remedy,
    });
    expect(toApiError(undefined, log).message).toBe('internal error: undefined');
    // Something that only looks like a TesseraError is not one.
    const lookalike = { name: 'TesseraError', code: 'STORE_FULL', message: 'x' };
    expect(toApiError(lookalike, log).code).toBe('INTERNAL');
    expect(logged).toEqual([bug, 'a string', undefined, lookalike]);
    expect(consoleError).not.toHaveBeenCalled();
  });

  it('logs to console.error when no log function is given', () => {
    const consoleError = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const bug = new Error('boom');
    expect(toApiError(bug).code).toBe('INTERNAL');
    expect(consoleError).toHaveBeenCalledWith(bug);
  });
});
