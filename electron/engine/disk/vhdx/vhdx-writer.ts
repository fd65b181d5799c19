import { DiskError } from '../errors.js';
import type { DiskWriter, DiskWriterOptions } from '../types.js';

export async function createVhdxWriter(
  target: string,
  _options: DiskWriterOptions,
): Promise<DiskWriter> {
  throw new DiskError('DISK_UNSUPPORTED', target, 'VHDX writing is not available yet');
}
