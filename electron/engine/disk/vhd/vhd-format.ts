import { DiskError } from '../errors.js';
import type { FormatReader } from '../formats.js';

// Placeholder until the VHD reader lands: recognises nothing, so no file is misread.
export const vhdFormat: FormatReader = {
  format: 'vhd',
  extensions: ['vhd'],
  probe: async () => false,
  open: async (file) => {
    throw new DiskError('DISK_UNSUPPORTED', file.path, 'VHD is not readable yet');
  },
};
