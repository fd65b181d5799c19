import { DiskError } from '../errors.js';
import type { ImageFile } from '../io/file.js';
import type { DiskLayer, LayerRun } from '../layer.js';
import type { DynamicParts } from './vhd-dynamic.js';
import { SECTOR_SIZE, UNALLOCATED, type VhdFooter } from './vhd-structs.js';

/** Sector bitmaps kept in memory at once; at 2 MiB blocks that is 128 KiB for 512 GiB of disk. */
export const BITMAP_CACHE_ENTRIES = 256;

const LAYER_BASE = {
  format: 'vhd',
  logicalSectorSize: SECTOR_SIZE,
  physicalSectorSize: SECTOR_SIZE,
} as const;

/** A fixed VHD is its data followed by the footer: no map, so extents scan for zeros. */
export function fixedLayer(file: ImageFile, footer: VhdFooter, virtualSize: number): DiskLayer {
  return {
    ...LAYER_BASE,
    file,
    subformat: 'fixed',
    virtualSize,
    blockSize: null,
    identity: footer.uniqueId,
    linkIdentity: footer.uniqueId,
    parent: null,
    allocatedBytes: virtualSize,
    scanForZeros: true,
    async map(offset: number, length: number): Promise<readonly LayerRun[]> {
      checkRange(file.path, offset, length, virtualSize);
      return length > 0 ? [{ kind: 'data', offset, length, fileOffset: offset }] : [];
    },
    close: () => file.close(),
  };
}

export function dynamicLayer(
  file: ImageFile,
  footer: VhdFooter,
  virtualSize: number,
  parts: DynamicParts,
): DiskLayer {
  const differencing = parts.parent !== null;
  const { blockSize, bitmapSize, bat } = parts;
  const bitmaps = new BitmapCache(file, bitmapSize);

  async function map(offset: number, length: number): Promise<readonly LayerRun[]> {
    checkRange(file.path, offset, length, virtualSize);
    const runs = new RunBuilder();
    const end = offset + length;
    for (let pos = offset; pos < end;) {
      const block = Math.floor(pos / blockSize);
      const blockStart = block * blockSize;
      const pieceEnd = Math.min(end, blockStart + blockSize);
      const entry = bat[block]!;
      if (entry === UNALLOCATED) {
        runs.push('absent', pos, pieceEnd, 0);
      } else {
        const dataStart = entry * SECTOR_SIZE + bitmapSize - blockStart;
        if (!differencing) runs.push('data', pos, pieceEnd, dataStart);
        else {
          const bitmap = await bitmaps.get(entry);
          pushSectorRuns(runs, bitmap, blockStart, pos, pieceEnd, dataStart);
        }
      }
      pos = pieceEnd;
    }
    return runs.runs;
  }

  const allocatedBytes = Math.min(parts.allocatedBlocks * blockSize, virtualSize);
  return {
    ...LAYER_BASE,
    file,
    subformat: differencing ? 'differencing' : 'dynamic',
    virtualSize,
    blockSize,
    identity: footer.uniqueId,
    linkIdentity: footer.uniqueId,
    parent: parts.parent,
    allocatedBytes,
    scanForZeros: false,
    map,
    close: () => file.close(),
  };
}

function checkRange(path: string, offset: number, length: number, virtualSize: number): void {
  if (!Number.isSafeInteger(offset) || offset < 0 || length < 0 || offset + length > virtualSize) {
    throw new DiskError('BAD_REQUEST', path, `map of ${offset}+${length} is outside the disk`);
  }
}

/** Splits [pos, end) of one block by its sector bitmap: bit set = data here, clear = absent. */
function pushSectorRuns(
  runs: RunBuilder,
  bitmap: Uint8Array,
  blockStart: number,
  pos: number,
  end: number,
  dataStart: number,
): void {
  let sector = Math.floor((pos - blockStart) / SECTOR_SIZE);
  const lastSector = Math.ceil((end - blockStart) / SECTOR_SIZE);
  while (sector < lastSector) {
    const present = isSet(bitmap, sector);
    let next = sector + 1;
    while (next < lastSector && isSet(bitmap, next) === present) next++;
    const from = Math.max(pos, blockStart + sector * SECTOR_SIZE);
    const to = Math.min(end, blockStart + next * SECTOR_SIZE);
    runs.push(present ? 'data' : 'absent', from, to, dataStart);
    sector = next;
  }
}

function isSet(bitmap: Uint8Array, sector: number): boolean {
  return ((bitmap[sector >> 3]! >> (7 - (sector & 7))) & 1) === 1;
}

/**
 * Collects runs, merging a run into the previous one when they are of the same kind and, for
 * data, continue in the file. `delta` is the file offset minus the virtual offset.
 */
class RunBuilder {
  readonly runs: LayerRun[] = [];

  push(kind: 'data' | 'absent', from: number, to: number, delta: number): void {
    if (to <= from) return;
    const last = this.runs[this.runs.length - 1];
    if (last && last.kind === kind && last.offset + last.length === from) {
      if (kind === 'absent' || (last.kind === 'data' && last.fileOffset - last.offset === delta)) {
        this.runs[this.runs.length - 1] = { ...last, length: to - last.offset };
        return;
      }
    }
    this.runs.push(
      kind === 'data'
        ? { kind, offset: from, length: to - from, fileOffset: from + delta }
        : { kind, offset: from, length: to - from },
    );
  }
}

/** Least-recently-used sector bitmaps by BAT entry, so memory does not grow with the disk. */
class BitmapCache {
  private readonly cache = new Map<number, Uint8Array>();

  constructor(
    private readonly file: ImageFile,
    private readonly size: number,
  ) {}

  async get(entry: number): Promise<Uint8Array> {
    const hit = this.cache.get(entry);
    if (hit) {
      this.cache.delete(entry);
      this.cache.set(entry, hit);
      return hit;
    }
    const bitmap = new Uint8Array(this.size);
    await this.file.read(bitmap, entry * SECTOR_SIZE);
    this.cache.set(entry, bitmap);
    if (this.cache.size > BITMAP_CACHE_ENTRIES) {
      const oldest = this.cache.keys().next().value;
      if (oldest !== undefined) this.cache.delete(oldest);
    }
    return bitmap;
  }
}
