/**
 * The data ranges of [offset, offset + length) of the open file `fd`, flattened as
 * [start0, end0, start1, end1, ...]; null where the platform or file system cannot say.
 */
export function dataRanges(fd: number, offset: number, length: number): number[] | null;

/**
 * Allocates [offset, offset + length) of the open file `fd` (fallocate, mode 0: the file grows
 * to cover it), on a thread-pool thread. Resolves false where the platform or file system
 * cannot; rejects with an errno-style Error (code ENOSPC, EDQUOT, ...) when allocation failed.
 */
export function allocate(fd: number, offset: number, length: number): Promise<boolean>;
