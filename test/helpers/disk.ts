import { createHash } from 'node:crypto';
import type { DiskExtent, VirtualDisk } from '../../electron/engine/disk/types.js';

/** sha256 of a virtual disk's whole logical content, read through Tessera in 4 MiB pieces. */
export async function sha256OfDisk(disk: VirtualDisk, chunk = 4 * 1024 * 1024): Promise<string> {
  const hash = createHash('sha256');
  const buffer = Buffer.alloc(chunk);
  for (let offset = 0; offset < disk.virtualSize; offset += chunk) {
    const view = buffer.subarray(0, Math.min(chunk, disk.virtualSize - offset));
    await disk.read(view, offset);
    hash.update(view);
  }
  return hash.digest('hex');
}

export async function collectExtents(disk: VirtualDisk, detectZeros = true): Promise<DiskExtent[]> {
  const extents: DiskExtent[] = [];
  for await (const extent of disk.extents({ detectZeros })) extents.push(extent);
  return extents;
}
