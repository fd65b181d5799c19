import type { ImageFile } from '../io/file.js';
import type { DiskLayer, LayerRun } from '../layer.js';

/**
 * A raw image is the disk byte for byte. It has no allocation map of its own: where the file
 * system knows the file's holes, they are zero runs (never read), and the rest is data, which
 * LayeredDisk scans for zeros when asked for extents. The last partial sector of a file whose
 * size is not a multiple of 512 is part of the disk, as with qemu-img.
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
      if (length <= 0) return [];
      const data = file.dataRanges?.(offset, length) ?? [[offset, offset + length]];
      const runs: LayerRun[] = [];
      let at = offset;
      for (const [start, end] of data) {
        if (start > at) runs.push({ kind: 'zero', offset: at, length: start - at });
        runs.push({ kind: 'data', offset: start, length: end - start, fileOffset: start });
        at = end;
      }
      if (at < offset + length)
        runs.push({ kind: 'zero', offset: at, length: offset + length - at });
      return runs;
    },
    close: () => file.close(),
  };
}
