import { DiskError } from '../errors.js';
import type { DiskWriter, DiskWriterOptions } from '../types.js';

export async function createVhdWriter(
  target: string,
  _options: DiskWriterOptions & { subformat: 'fixed' | 'dynamic' },
): Promise<DiskWriter> {
  throw new DiskError('DISK_UNSUPPORTED', target, 'VHD writing is not available yet');
}
