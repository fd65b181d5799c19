import type { ImageFile } from '../io/file.js';
import type { DiskLayer, LayerRun } from '../layer.js';

/**
 * A raw image is the disk byte for byte. It has no allocation map, so the layer reports
 * everything as data and LayeredDisk scans for zeros when asked for extents. The last partial
 * sector of a file whose size is not a multiple of 512 is part of the disk, as with qemu-img.
 */
export function openRawLayer(file: ImageFile): DiskLayer {
  return {
    file,
    format: 'raw',
    subformat: 'fixed',
    virtualSize: file.size,
    logicalSectorSize: 512,
    physicalSectorSize: 512,
    blockSize: null,
    identity: null,
    linkIdentity: null,
    parent: null,
    allocatedBytes: file.size,
    scanForZeros: true,
    async map(offset: number, length: number): Promise<readonly LayerRun[]> {
      return length > 0 ? [{ kind: 'data', offset, length, fileOffset: offset }] : [];
    },
    close: () => file.close(),
  };
}
