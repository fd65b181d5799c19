import { DiskError } from './errors.js';
import { createRawWriter } from './raw/raw-writer.js';
import type { DiskWriter, DiskWriterOptions, WritableFormat } from './types.js';
import { createVhdWriter } from './vhd/vhd-writer.js';
import { createVhdxWriter } from './vhdx/vhdx-writer.js';

export const WRITABLE_FORMATS: readonly WritableFormat[] = ['raw', 'vhd', 'vhd-fixed', 'vhdx'];

export function isWritableFormat(value: string): value is WritableFormat {
  return (WRITABLE_FORMATS as readonly string[]).includes(value);
}

/** Creates a writer for a new image at `target` (written under a temporary name until finish). */
export async function createDiskWriter(
  target: string,
  format: WritableFormat,
  options: DiskWriterOptions,
): Promise<DiskWriter> {
  if (!Number.isSafeInteger(options.virtualSize) || options.virtualSize <= 0) {
    throw new DiskError(
      'BAD_REQUEST',
      target,
      `virtual size ${options.virtualSize} is not a positive byte count`,
    );
  }
  switch (format) {
    case 'raw':
      return createRawWriter(target, options);
    case 'vhd':
      return createVhdWriter(target, { ...options, subformat: 'dynamic' });
    case 'vhd-fixed':
      return createVhdWriter(target, { ...options, subformat: 'fixed' });
    case 'vhdx':
      return createVhdxWriter(target, options);
  }
}
