/**
 * Writes fixed and dynamic VHDs in one streaming pass.
 *
 * Fixed (Azure's format): the virtual size is rounded up to a whole MiB, current size =
 * original size = that, the file is sized first (a hole) and only non-zero data is written,
 * then the footer. Dynamic: footer copy at 0, dynamic header at 512, BAT at 1536 (padded to a
 * sector), then blocks appended as the first non-zero data of each arrives; the BAT, header and
 * footers are written at finish. Allocated blocks get an all-ones sector bitmap, as Hyper-V and
 * qemu write them, and their unwritten parts stay holes in the host file.
 *
 * Creator application "tess". Hyper-V, Azure and qemu ≥ 10 size a VHD by current_size; qemu
 * before 10 sizes unknown creators by CHS geometry. Dynamic disks are sized so both agree (see
 * coveringGeometry). A fixed disk's size is set by Azure (whole MiB), so it cannot grow to
 * suit the geometry: it gets the specification's geometry when that covers the size exactly,
 * and otherwise the maximum geometry, which every qemu reads as "use current_size" (as
 * qemu-img's force_size does). Either way every reader sees the same size. Memory is the BAT
 * (4 bytes per block) and nothing else; data is never buffered beyond the current write.
 */
import { randomUUID } from 'node:crypto';
import { DiskError } from '../errors.js';
import { ImageOutput } from '../io/output.js';
import type { DiskWriter, DiskWriterOptions } from '../types.js';
import { StreamingOrder } from '../writer-order.js';
import { isZero, nonZeroPieces } from '../zero.js';
import { MAX_BLOCK_SIZE } from './vhd-dynamic.js';
import {
  DISK_TYPE,
  DYNAMIC_HEADER_COOKIE,
  DYNAMIC_HEADER_SIZE,
  FEATURES_RESERVED,
  FOOTER_COOKIE,
  FOOTER_SIZE,
  LOCATOR_COUNT,
  MAX_CHS_SECTORS,
  MAX_VIRTUAL_SIZE,
  NO_DATA_OFFSET,
  SECTOR_SIZE,
  UNALLOCATED,
  VHD_EPOCH_SECONDS,
  VHD_VERSION,
  bitmapSizeOf,
  chsGeometry,
  encodeDynamicHeader,
  encodeFooter,
  type ChsGeometry,
  type VhdFooter,
} from './vhd-structs.js';

const MiB = 1024 * 1024;
export const DEFAULT_BLOCK_SIZE = 2 * MiB;
/** Smallest block size written: Hyper-V's smaller choice; smaller blocks only bloat the BAT. */
export const MIN_WRITER_BLOCK_SIZE = 512 * 1024;
/** Holes in the host file are made at this granularity. */
const HOLE_GRANULARITY = 4096;
const HEADER_OFFSET = FOOTER_SIZE;
const BAT_OFFSET = HEADER_OFFSET + DYNAMIC_HEADER_SIZE;

export type VhdWriterOptions = DiskWriterOptions & { subformat: 'fixed' | 'dynamic' };

export async function createVhdWriter(
  target: string,
  options: VhdWriterOptions,
): Promise<DiskWriter> {
  const requested = checkedSize(target, options);
  const uniqueId = checkedIdentity(target, options.identity);
  const { size, geometry } =
    options.subformat === 'fixed'
      ? { size: requested, geometry: fixedGeometry(requested) }
      : coveringGeometry(requested);
  const footer = footerFor(size, geometry, uniqueId, options.subformat);
  const output = await ImageOutput.create(target, { durable: options.durable });
  try {
    return options.subformat === 'fixed'
      ? await fixedWriter(target, output, size, footer)
      : dynamicWriter(target, output, size, footer, checkedBlockSize(target, options.blockSize));
  } catch (error) {
    await output.discard();
    throw error;
  }
}

function checkedSize(target: string, options: VhdWriterOptions): number {
  for (const sectorSize of [options.logicalSectorSize, options.physicalSectorSize]) {
    if (sectorSize !== undefined && sectorSize !== SECTOR_SIZE) {
      throw new DiskError('BAD_REQUEST', target, `VHD sectors are 512 bytes, not ${sectorSize}`);
    }
  }
  const unit = options.subformat === 'fixed' ? MiB : SECTOR_SIZE;
  const size = Math.ceil(options.virtualSize / unit) * unit;
  if (!Number.isSafeInteger(size) || size <= 0) {
    throw new DiskError('BAD_REQUEST', target, `virtual size ${options.virtualSize} is not valid`);
  }
  if (size > MAX_VIRTUAL_SIZE) {
    throw new DiskError(
      'DISK_TOO_LARGE',
      target,
      `a VHD holds at most ${MAX_VIRTUAL_SIZE} bytes (2040 GiB); ${size} were asked for`,
    );
  }
  return size;
}

function checkedIdentity(target: string, identity: string | undefined): string {
  if (identity === undefined) return randomUUID();
  const hex = identity.replace(/^\{|\}$/g, '');
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(hex)) {
    throw new DiskError('BAD_REQUEST', target, `identity ${identity} is not a GUID`);
  }
  return hex.toLowerCase();
}

/**
 * Powers of two from 512 KiB to 256 MiB. Hyper-V itself writes only 512 KiB and 2 MiB; larger
 * blocks are valid by the specification and read by qemu and libvhdi.
 */
function checkedBlockSize(target: string, blockSize: number | undefined): number {
  const size = blockSize ?? DEFAULT_BLOCK_SIZE;
  const powerOfTwo = Number.isSafeInteger(size) && size > 0 && (size & (size - 1)) === 0;
  if (!powerOfTwo || size < MIN_WRITER_BLOCK_SIZE || size > MAX_BLOCK_SIZE) {
    throw new DiskError(
      'BAD_REQUEST',
      target,
      `VHD block size ${size} must be a power of two from 512 KiB to 256 MiB`,
    );
  }
  return size;
}

const MAX_GEOMETRY: ChsGeometry = { cylinders: 65535, heads: 16, sectorsPerTrack: 255 };

/** The specification's geometry if it describes exactly `size`, else the maximum geometry. */
export function fixedGeometry(size: number): ChsGeometry {
  const geometry = chsGeometry(size / SECTOR_SIZE);
  const covered = geometry.cylinders * geometry.heads * geometry.sectorsPerTrack * SECTOR_SIZE;
  return covered === size ? geometry : MAX_GEOMETRY;
}

/**
 * Dynamic disks take qemu-img's approach: grow the size until the CHS geometry covers it and
 * store exactly that size, so readers that trust the geometry (Virtual PC, qemu < 10 for any
 * creator it does not know) and readers that trust current_size (Hyper-V, qemu ≥ 10) agree.
 * Past what CHS can express, the maximum geometry tells every qemu to use current_size.
 */
export function coveringGeometry(size: number): { size: number; geometry: ChsGeometry } {
  const sectors = size / SECTOR_SIZE;
  if (sectors > MAX_CHS_SECTORS) return { size, geometry: MAX_GEOMETRY };
  for (let extra = 0; ; extra++) {
    const geometry = chsGeometry(sectors + extra);
    const covered = geometry.cylinders * geometry.heads * geometry.sectorsPerTrack;
    if (covered >= sectors) return { size: covered * SECTOR_SIZE, geometry };
  }
}

function footerFor(
  size: number,
  geometry: ChsGeometry,
  uniqueId: string,
  subformat: 'fixed' | 'dynamic',
): VhdFooter {
  return {
    cookie: FOOTER_COOKIE,
    features: FEATURES_RESERVED,
    formatVersion: VHD_VERSION,
    dataOffset: subformat === 'fixed' ? NO_DATA_OFFSET : BigInt(HEADER_OFFSET),
    timestamp: vhdTimestamp(),
    creatorApplication: 'tess',
    creatorVersion: VHD_VERSION,
    // The specification defines only Windows ("Wi2k") and Macintosh; qemu also writes Wi2k.
    creatorHostOs: 'Wi2k',
    originalSize: BigInt(size),
    currentSize: BigInt(size),
    ...geometry,
    diskType: subformat === 'fixed' ? DISK_TYPE.fixed : DISK_TYPE.dynamic,
    checksum: 0,
    uniqueId,
    savedState: 0,
  };
}

export function vhdTimestamp(date = new Date()): number {
  return Math.max(0, Math.floor(date.getTime() / 1000) - VHD_EPOCH_SECONDS) >>> 0;
}

async function fixedWriter(
  target: string,
  output: ImageOutput,
  size: number,
  footer: VhdFooter,
): Promise<DiskWriter> {
  const order = new StreamingOrder(target, size);
  await output.truncate(size);
  return {
    path: target,
    format: 'vhd-fixed',
    virtualSize: size,
    async write(offset: number, data: Uint8Array): Promise<void> {
      order.accept(offset, data.byteLength);
      await output.writeAll(nonZeroPieces(data, offset, HOLE_GRANULARITY));
    },
    finish: () => finishWith(output, [[encodeFooter(footer), size]]),
    abort: () => output.discard(),
  };
}

function dynamicWriter(
  target: string,
  output: ImageOutput,
  size: number,
  footer: VhdFooter,
  blockSize: number,
): DiskWriter {
  const order = new StreamingOrder(target, size);
  const entries = Math.ceil(size / blockSize);
  const bat = new Uint32Array(entries).fill(UNALLOCATED);
  const bitmapSize = bitmapSizeOf(blockSize);
  const batBytes = Math.ceil((entries * 4) / SECTOR_SIZE) * SECTOR_SIZE;
  let nextBlock = BAT_OFFSET + batBytes;
  const fullBitmap = Buffer.alloc(bitmapSize, 0xff);

  /** Claims the next block; its all-ones bitmap becomes one of the pieces to write. */
  function allocate(block: number, pieces: Array<[Uint8Array, number]>): number {
    const at = nextBlock;
    // A BAT entry is a u32 sector number; 2040 GiB plus bitmaps stays below it.
    bat[block] = at / SECTOR_SIZE;
    nextBlock += bitmapSize + blockSize;
    pieces.push([fullBitmap, at]);
    return at + bitmapSize;
  }

  // Bookkeeping happens synchronously at the call, so overlapping write() calls made in
  // offset order allocate blocks exactly as sequential ones would.
  async function write(offset: number, data: Uint8Array): Promise<void> {
    order.accept(offset, data.byteLength);
    const end = offset + data.byteLength;
    const pieces: Array<[Uint8Array, number]> = [];
    for (let pos = offset; pos < end;) {
      const block = Math.floor(pos / blockSize);
      const pieceEnd = Math.min(end, (block + 1) * blockSize);
      const piece = data.subarray(pos - offset, pieceEnd - offset);
      const inBlock = pos - block * blockSize;
      pos = pieceEnd;
      if (bat[block] === UNALLOCATED && isZero(piece)) continue;
      const dataStart =
        bat[block] === UNALLOCATED
          ? allocate(block, pieces)
          : bat[block]! * SECTOR_SIZE + bitmapSize;
      pieces.push(...nonZeroPieces(piece, dataStart + inBlock, HOLE_GRANULARITY));
    }
    await output.writeAll(pieces);
  }

  function metadata(): Array<[Uint8Array, number]> {
    const table = Buffer.alloc(batBytes, 0xff);
    for (let i = 0; i < entries; i++) table.writeUInt32BE(bat[i]!, i * 4);
    const header = encodeDynamicHeader({
      cookie: DYNAMIC_HEADER_COOKIE,
      dataOffset: NO_DATA_OFFSET,
      tableOffset: BigInt(BAT_OFFSET),
      headerVersion: VHD_VERSION,
      maxTableEntries: entries,
      blockSize,
      parentUniqueId: '00000000-0000-0000-0000-000000000000',
      parentTimestamp: 0,
      parentUnicodeName: '',
      parentLocators: Array.from({ length: LOCATOR_COUNT }, () => ({
        platformCode: 0,
        platformDataSpace: 0,
        platformDataLength: 0,
        platformDataOffset: 0n,
      })),
    });
    const foot = encodeFooter(footer);
    return [
      [table, BAT_OFFSET],
      [header, HEADER_OFFSET],
      [foot, 0],
      // Written last: the footer at the end is what makes the file a VHD.
      [foot, nextBlock],
    ];
  }

  return {
    path: target,
    format: 'vhd',
    virtualSize: size,
    write,
    finish: () => finishWith(output, metadata()),
    abort: () => output.discard(),
  };
}

async function finishWith(
  output: ImageOutput,
  pieces: ReadonlyArray<readonly [Uint8Array, number]>,
): Promise<void> {
  try {
    for (const [bytes, at] of pieces) await output.write(bytes, at);
  } catch (error) {
    await output.discard();
    throw error;
  }
  await output.commit();
}
