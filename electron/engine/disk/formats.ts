import type { ImageFile } from './io/file.js';
import type { DiskLayer } from './layer.js';
import type { DiskFormat } from './types.js';

/** How open.ts recognises and opens one image format. */
export interface FormatReader {
  readonly format: Exclude<DiskFormat, 'raw'>;
  /**
   * File name extensions that claim this format. A file so named that fails probe() is a
   * damaged image (an error), never silently read as a raw disk.
   */
  readonly extensions: readonly string[];
  /** Cheap signature test on the file's first and last bytes. */
  probe(file: ImageFile): Promise<boolean>;
  /** Parses and validates the file's structures. Must not write to the file. */
  open(file: ImageFile): Promise<DiskLayer>;
}
