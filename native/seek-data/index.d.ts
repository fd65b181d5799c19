/**
 * The data ranges of [offset, offset + length) of the open file `fd`, flattened as
 * [start0, end0, start1, end1, ...]; null where the platform or file system cannot say.
 */
export function dataRanges(fd: number, offset: number, length: number): number[] | null;
