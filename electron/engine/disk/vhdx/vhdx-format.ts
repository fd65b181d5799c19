import { DiskError } from '../errors.js';
import type { FormatReader } from '../formats.js';

// Placeholder until the VHDX reader lands: recognises nothing, so no file is misread.
export const vhdxFormat: FormatReader = {
  format: 'vhdx',
  extensions: ['vhdx'],
  probe: async () => false,
  open: async (file) => {
    throw new DiskError('DISK_UNSUPPORTED', file.path, 'VHDX is not readable yet');
  },
};
