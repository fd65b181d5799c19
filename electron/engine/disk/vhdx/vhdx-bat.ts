/**
 * The block allocation table and what it says about each range of the disk. Payload entries
 * and sector bitmap entries are interleaved: after every `chunkRatio` payload entries comes the
 * entry of the 1 MiB sector bitmap block that covers those payload blocks ([MS-VHDX] 2.5).
 *
 * The whole BAT is read and checked at open (8 bytes per entry, bounded by the BAT region,
 * which lies inside the file): every allocated block must lie inside the file, past the header
 * section and clear of the log, the regions and every other block. Sector bitmaps are read
 * lazily, only the part for one payload block at a time, through a small LRU cache.
 */
import { DiskError, check } from '../errors.js';
import type { FileReader } from '../io/file.js';
import type { LayerRun } from '../layer.js';
import {
  MiB,
  PAYLOAD_STATE,
  SECTOR_BITMAP_BLOCK_SIZE,
  SECTOR_BITMAP_STATE,
  SECTORS_PER_BITMAP,
} from './vhdx-constants.js';
import type { FileRange, VhdxLayout } from './vhdx-layout.js';

/** Piece size for reading a large BAT. */
const BAT_READ_PIECE = 8 * MiB;
/** Block bitmaps kept in memory (each blockSize / sectorSize / 8 bytes, at most 64 KiB). */
const BITMAP_CACHE_BLOCKS = 64;

export interface BatGeometry {
  readonly blockSize: number;
  readonly logicalSectorSize: number;
  readonly virtualSize: number;
  readonly chunkRatio: number;
  readonly dataBlocks: number;
  readonly totalEntries: number;
  readonly hasParent: boolean;
}

/** Chunk ratio and entry counts ([MS-VHDX] 2.5; qemu vhdx_calc_bat_entries). */
export function batGeometry(
  virtualSize: number,
  blockSize: number,
  logicalSectorSize: number,
  hasParent: boolean,
): BatGeometry {
  const chunkRatio = (SECTORS_PER_BITMAP * logicalSectorSize) / blockSize;
  const dataBlocks = Math.ceil(virtualSize / blockSize);
  const bitmapBlocks = Math.ceil(dataBlocks / chunkRatio);
  const totalEntries = hasParent
    ? bitmapBlocks * (chunkRatio + 1)
    : dataBlocks + Math.floor((dataBlocks - 1) / chunkRatio);
  return {
    blockSize,
    logicalSectorSize,
    virtualSize,
    chunkRatio,
    dataBlocks,
    totalEntries,
    hasParent,
  };
}

export const payloadEntryIndex = (block: number, chunkRatio: number): number =>
  block + Math.floor(block / chunkRatio);
export const bitmapEntryIndex = (chunk: number, chunkRatio: number): number =>
  chunk * (chunkRatio + 1) + chunkRatio;

const VALID_PAYLOAD_STATES = new Set<number>(Object.values(PAYLOAD_STATE));

export class VhdxBat {
  private readonly bitmaps = new Map<number, Buffer>();

  private constructor(
    private readonly file: FileReader,
    readonly geometry: BatGeometry,
    private readonly entries: Buffer,
    /**
     * Bytes of the virtual disk whose blocks are stored in this file (fully or partially
     * present), counting the last block only up to the end of the disk.
     */
    readonly presentBytes: number,
  ) {}

  static async read(file: FileReader, layout: VhdxLayout): Promise<VhdxBat> {
    const path = file.path;
    const meta = layout.metadata;
    const geometry = batGeometry(
      meta.virtualSize,
      meta.blockSize,
      meta.logicalSectorSize,
      meta.hasParent,
    );
    const { chunkRatio, dataBlocks, totalEntries, blockSize } = geometry;
    check(
      totalEntries * 8 <= layout.bat.length,
      path,
      `the ${layout.bat.length}-byte BAT region cannot hold the ${totalEntries} entries a ${meta.virtualSize}-byte disk needs`,
    );
    // Safe: the BAT region was checked to lie inside the file.
    const entries = Buffer.alloc(totalEntries * 8);
    for (let at = 0; at < entries.byteLength; at += BAT_READ_PIECE) {
      const piece = entries.subarray(at, Math.min(at + BAT_READ_PIECE, entries.byteLength));
      await file.read(piece, layout.bat.offset + at);
    }

    // Allocated blocks as (offset in MiB) * 2 + (1 for a sector bitmap), sorted for the overlap walk.
    const allocated: number[] = [];
    let presentBytes = 0;
    const place = (what: string, mb: bigint, length: number): void => {
      const offset = mb * BigInt(MiB);
      check(
        offset >= BigInt(MiB),
        path,
        `${what} is placed at ${offset}, inside the header section`,
      );
      if (offset + BigInt(length) > BigInt(file.size)) {
        throw new DiskError(
          'DISK_TRUNCATED',
          path,
          `${what} at ${offset} (${length} bytes) ends past the end of the ${file.size}-byte file`,
        );
      }
    };
    for (let block = 0; block < dataBlocks; block++) {
      const raw = entries.readBigUInt64LE(payloadEntryIndex(block, chunkRatio) * 8);
      const state = Number(raw & 7n);
      const mb = raw >> 20n;
      check(
        VALID_PAYLOAD_STATES.has(state),
        path,
        () => `block ${block} has invalid BAT state ${state}`,
      );
      if (state !== PAYLOAD_STATE.fullyPresent && state !== PAYLOAD_STATE.partiallyPresent)
        continue;
      check(
        state !== PAYLOAD_STATE.partiallyPresent || meta.hasParent,
        path,
        () => `block ${block} is PARTIALLY_PRESENT in a disk without a parent`,
      );
      // Only the part of the last block inside the disk needs to be in the file.
      const used = Math.min(blockSize, meta.virtualSize - block * blockSize);
      place(`payload block ${block}`, mb, used);
      allocated.push(Number(mb) * 2);
      presentBytes += used;
    }
    if (meta.hasParent) {
      const chunks = Math.ceil(dataBlocks / chunkRatio);
      for (let chunk = 0; chunk < chunks; chunk++) {
        const raw = entries.readBigUInt64LE(bitmapEntryIndex(chunk, chunkRatio) * 8);
        const state = Number(raw & 7n);
        check(
          state === SECTOR_BITMAP_STATE.notPresent || state === SECTOR_BITMAP_STATE.present,
          path,
          () => `sector bitmap ${chunk} has invalid BAT state ${state}`,
        );
        if (state === SECTOR_BITMAP_STATE.notPresent) {
          for (
            let b = chunk * chunkRatio;
            b < Math.min(dataBlocks, (chunk + 1) * chunkRatio);
            b++
          ) {
            const s = Number(entries.readBigUInt64LE(payloadEntryIndex(b, chunkRatio) * 8) & 7n);
            check(
              s !== PAYLOAD_STATE.partiallyPresent,
              path,
              () => `block ${b} is PARTIALLY_PRESENT but its sector bitmap block is not present`,
            );
          }
          continue;
        }
        const mb = raw >> 20n;
        place(`sector bitmap block ${chunk}`, mb, SECTOR_BITMAP_BLOCK_SIZE);
        allocated.push(Number(mb) * 2 + 1);
      }
    }
    checkBlocksApart(path, allocated, blockSize, meta.virtualSize, layout.reserved);
    return new VhdxBat(file, geometry, entries, presentBytes);
  }

  /** Describes [offset, offset + length) of the virtual disk (see DiskLayer.map). */
  async map(offset: number, length: number): Promise<LayerRun[]> {
    const runs: LayerRun[] = [];
    const { blockSize, chunkRatio, logicalSectorSize } = this.geometry;
    const end = offset + length;
    for (let at = offset; at < end;) {
      const block = Math.floor(at / blockSize);
      const blockStart = block * blockSize;
      const pieceEnd = Math.min(blockStart + blockSize, end);
      const raw = this.entries.readBigUInt64LE(payloadEntryIndex(block, chunkRatio) * 8);
      const state = Number(raw & 7n);
      const fileBlock = Number(raw >> 20n) * MiB;
      if (state === PAYLOAD_STATE.fullyPresent) {
        push(runs, {
          kind: 'data',
          offset: at,
          length: pieceEnd - at,
          fileOffset: fileBlock + at - blockStart,
        });
      } else if (state === PAYLOAD_STATE.zero) {
        push(runs, { kind: 'zero', offset: at, length: pieceEnd - at });
      } else if (state === PAYLOAD_STATE.partiallyPresent) {
        const bitmap = await this.blockBitmap(block);
        for (let sectorAt = at; sectorAt < pieceEnd;) {
          const sector = (sectorAt - blockStart) / logicalSectorSize;
          const present = ((bitmap[sector >> 3]! >> (sector & 7)) & 1) === 1;
          let runEnd = sectorAt + logicalSectorSize;
          // Extend over whole bytes of the same value, then sector by sector.
          for (let s = sector + 1; runEnd < pieceEnd; s++) {
            if ((s & 7) === 0 && runEnd + 8 * logicalSectorSize <= pieceEnd) {
              const byte = bitmap[s >> 3]!;
              if (byte === (present ? 0xff : 0)) {
                runEnd += 8 * logicalSectorSize;
                s += 7;
                continue;
              }
            }
            if ((((bitmap[s >> 3]! >> (s & 7)) & 1) === 1) !== present) break;
            runEnd += logicalSectorSize;
          }
          runEnd = Math.min(runEnd, pieceEnd);
          push(
            runs,
            present
              ? {
                  kind: 'data',
                  offset: sectorAt,
                  length: runEnd - sectorAt,
                  fileOffset: fileBlock + sectorAt - blockStart,
                }
              : { kind: 'absent', offset: sectorAt, length: runEnd - sectorAt },
          );
          sectorAt = runEnd;
        }
      } else {
        // NOT_PRESENT, UNDEFINED, UNMAPPED: nothing of this block is in this file. [MS-VHDX]
        // leaves UNDEFINED and UNMAPPED content undefined, so any content conforms; reading
        // through to the parent (zeros without one, as qemu does) gives what the chain held.
        push(runs, { kind: 'absent', offset: at, length: pieceEnd - at });
      }
      at = pieceEnd;
    }
    return runs;
  }

  /** The bits of one payload block's sector bitmap (bit 0 of byte 0 is its first sector). */
  private async blockBitmap(block: number): Promise<Buffer> {
    const cached = this.bitmaps.get(block);
    if (cached) {
      this.bitmaps.delete(block);
      this.bitmaps.set(block, cached);
      return cached;
    }
    const { blockSize, chunkRatio, logicalSectorSize } = this.geometry;
    const chunk = Math.floor(block / chunkRatio);
    const raw = this.entries.readBigUInt64LE(bitmapEntryIndex(chunk, chunkRatio) * 8);
    const bytesPerBlock = blockSize / logicalSectorSize / 8;
    const bitmap = Buffer.alloc(bytesPerBlock);
    await this.file.read(bitmap, Number(raw >> 20n) * MiB + (block % chunkRatio) * bytesPerBlock);
    this.bitmaps.set(block, bitmap);
    if (this.bitmaps.size > BITMAP_CACHE_BLOCKS) {
      this.bitmaps.delete(this.bitmaps.keys().next().value!);
    }
    return bitmap;
  }
}

function push(runs: LayerRun[], run: LayerRun): void {
  const last = runs.at(-1);
  if (last && last.kind === run.kind && last.offset + last.length === run.offset) {
    if (
      last.kind !== 'data' ||
      (run.kind === 'data' && last.fileOffset + last.length === run.fileOffset)
    ) {
      runs[runs.length - 1] = { ...last, length: last.length + run.length };
      return;
    }
  }
  runs.push(run);
}

/**
 * Every allocated block must be clear of the reserved ranges and of every other block. Walks
 * the blocks and reserved ranges in file order, keeping the furthest end seen so far.
 */
function checkBlocksApart(
  path: string,
  allocated: number[],
  blockSize: number,
  virtualSize: number,
  reserved: readonly FileRange[],
): void {
  const keys = Float64Array.from(allocated).sort();
  const fixed = [...reserved].sort((a, b) => a.offset - b.offset);
  let previous: FileRange | null = null;
  let r = 0;
  const visit = (range: FileRange): void => {
    if (previous && previous.offset + previous.length > range.offset) {
      throw new DiskError(
        'DISK_CORRUPT',
        path,
        `${range.name} (${range.offset}+${range.length}) overlaps ${previous.name} (${previous.offset}+${previous.length})`,
      );
    }
    if (!previous || range.offset + range.length > previous.offset + previous.length)
      previous = range;
  };
  for (const key of keys) {
    const isBitmap = key % 2 === 1;
    const offset = Math.floor(key / 2) * MiB;
    while (r < fixed.length && fixed[r]!.offset <= offset) visit(fixed[r++]!);
    visit({
      name: isBitmap ? 'a sector bitmap block' : 'a payload block',
      offset,
      // A disk smaller than one block needs only its own size of the block.
      length: isBitmap
        ? SECTOR_BITMAP_BLOCK_SIZE
        : Math.min(blockSize, Math.ceil(virtualSize / MiB) * MiB),
    });
  }
  while (r < fixed.length) visit(fixed[r++]!);
}
