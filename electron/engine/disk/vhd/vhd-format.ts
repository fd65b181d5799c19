/**
 * VHD (Microsoft Virtual Hard Disk, spec v1.0): design note.
 *
 * Layout. Every VHD ends with a 512-byte footer (cookie "conectix", big-endian fields, a
 * one's-complement checksum). A fixed disk is the raw disk followed by that footer. A dynamic
 * or differencing disk has a copy of the footer at offset 0, a 1024-byte dynamic header
 * ("cxsparse") where the footer's data offset points, a block allocation table (BAT: one
 * big-endian u32 sector number per block, 0xFFFFFFFF when unallocated), then blocks, each a
 * sector bitmap (one bit per sector, most significant bit first) followed by the block's data.
 *
 * Which footer. The footer at the end is authoritative (the specification). If it is damaged
 * (wrong cookie or checksum) a dynamic disk falls back to its copy at offset 0, which is how
 * the specification intends the copy to be used and what qemu reads anyway. A fixed disk has
 * no copy, so a damaged footer there is fatal.
 *
 * Virtual size follows qemu's block/vpc.c (so Tessera reads what `qemu-img convert` writes):
 * images whose creator is "vpc " or "qemu" are sized by their CHS geometry unless it is the
 * maximum 65535/16/255; every other creator by current_size. qemu before 10.0 also uses CHS for
 * creators it does not know (such as Tessera's "tess"); there `force_size_calc=current_size`
 * gives the same answer.
 *
 * Content. Dynamic disks: allocated blocks are data whole, as qemu reads them (it ignores the
 * bitmap), unallocated blocks are absent. Differencing disks: a sector whose bitmap bit is 0
 * is absent (read from the parent), 1 is data. Bitmaps are read on demand and kept in a small
 * LRU cache.
 *
 * Every offset and count is checked against the file before anything sized by it is
 * allocated; see vhd-dynamic.ts. Old Virtual PC files with 511-byte footers are not supported.
 */
import { check, DiskError } from '../errors.js';
import type { FormatReader } from '../formats.js';
import type { ImageFile } from '../io/file.js';
import { readBytes } from '../io/file.js';
import type { DiskLayer } from '../layer.js';
import { openDynamicParts } from './vhd-dynamic.js';
import { dynamicLayer, fixedLayer } from './vhd-layer.js';
import {
  DISK_TYPE,
  FOOTER_CHECKSUM_OFFSET,
  FOOTER_COOKIE,
  FOOTER_SIZE,
  MAX_CHS_SECTORS,
  MAX_VIRTUAL_SIZE,
  SECTOR_SIZE,
  footerCodec,
  vhdChecksum,
  type VhdFooter,
} from './vhd-structs.js';

export const vhdFormat: FormatReader = {
  format: 'vhd',
  extensions: ['vhd'],
  async probe(file: ImageFile): Promise<boolean> {
    if (file.size < FOOTER_SIZE) return false;
    const cookie = Buffer.alloc(8);
    await file.read(cookie, file.size - FOOTER_SIZE);
    if (cookie.toString('latin1') === FOOTER_COOKIE) return true;
    // A dynamic disk whose tail footer is damaged still carries the copy at offset 0.
    await file.read(cookie, 0);
    return cookie.toString('latin1') === FOOTER_COOKIE;
  },
  open: openVhdLayer,
};

/** The footer that describes the file, and whether it is really the one at the end. */
export interface ChosenFooter {
  readonly footer: VhdFooter;
  readonly atEnd: boolean;
}

export async function openVhdLayer(file: ImageFile): Promise<DiskLayer> {
  const { footer, atEnd } = await chooseFooter(file);
  const virtualSize = virtualSizeOf(file.path, footer);
  if (footer.diskType === DISK_TYPE.fixed) {
    check(
      file.size - FOOTER_SIZE >= virtualSize,
      file.path,
      `a fixed VHD of ${virtualSize} bytes needs ${virtualSize + FOOTER_SIZE} bytes but the file has ${file.size}`,
      'DISK_TRUNCATED',
    );
    return fixedLayer(file, footer, virtualSize);
  }
  const parts = await openDynamicParts(file, footer, virtualSize, atEnd);
  return dynamicLayer(file, footer, virtualSize, parts);
}

/** Reads the footer at the end, falling back to the copy at 0 for dynamic and differencing disks. */
export async function chooseFooter(file: ImageFile): Promise<ChosenFooter> {
  check(
    file.size >= FOOTER_SIZE,
    file.path,
    `is ${file.size} bytes, shorter than a VHD footer`,
    'DISK_TRUNCATED',
  );
  const tail = await readBytes(file, file.size - FOOTER_SIZE, FOOTER_SIZE);
  const tailState = footerState(tail);
  if (tailState === 'valid') return validated(file, footerCodec.get(tail), true);

  const head = file.size >= 2 * FOOTER_SIZE ? await readBytes(file, 0, FOOTER_SIZE) : null;
  const headState = head ? footerState(head) : 'absent';
  if (head && headState === 'valid') {
    const copy = footerCodec.get(head);
    if (copy.diskType === DISK_TYPE.dynamic || copy.diskType === DISK_TYPE.differencing) {
      return validated(file, copy, false);
    }
  }
  if (tailState === 'bad-checksum' || headState === 'bad-checksum') {
    const which = tailState === 'bad-checksum' ? 'at the end of the file' : 'copy at offset 0';
    throw new DiskError(
      'DISK_BAD_CHECKSUM',
      file.path,
      `the VHD footer ${which} fails its checksum, and no other valid footer was found`,
    );
  }
  throw new DiskError(
    'DISK_BAD_SIGNATURE',
    file.path,
    `no "${FOOTER_COOKIE}" footer at the end of the file (${file.size - FOOTER_SIZE}) or at 0`,
  );
}

function footerState(bytes: Buffer): 'valid' | 'bad-checksum' | 'absent' {
  if (bytes.toString('latin1', 0, 8) !== FOOTER_COOKIE) return 'absent';
  const stored = bytes.readUInt32BE(FOOTER_CHECKSUM_OFFSET);
  return vhdChecksum(bytes, FOOTER_CHECKSUM_OFFSET) === stored ? 'valid' : 'bad-checksum';
}

function validated(file: ImageFile, footer: VhdFooter, atEnd: boolean): ChosenFooter {
  const known: number[] = [DISK_TYPE.fixed, DISK_TYPE.dynamic, DISK_TYPE.differencing];
  if (!known.includes(footer.diskType)) {
    throw new DiskError(
      'DISK_UNSUPPORTED',
      file.path,
      `VHD disk type ${footer.diskType} is not fixed (2), dynamic (3) or differencing (4)`,
    );
  }
  return { footer, atEnd };
}

/** qemu's vpc_open rule: CHS geometry for Virtual PC and old qemu images, else current_size. */
export function virtualSizeOf(path: string, footer: VhdFooter): number {
  const chsSectors = footer.cylinders * footer.heads * footer.sectorsPerTrack;
  const trustsGeometry =
    footer.creatorApplication === 'vpc ' || footer.creatorApplication === 'qemu';
  if (trustsGeometry && chsSectors !== MAX_CHS_SECTORS) return chsSectors * SECTOR_SIZE;
  const sectors = footer.currentSize / BigInt(SECTOR_SIZE);
  if (sectors * BigInt(SECTOR_SIZE) > BigInt(MAX_VIRTUAL_SIZE)) {
    throw new DiskError(
      'DISK_TOO_LARGE',
      path,
      `virtual size ${footer.currentSize} is beyond the VHD maximum of ${MAX_VIRTUAL_SIZE} bytes (2040 GiB)`,
    );
  }
  return Number(sectors) * SECTOR_SIZE;
}
