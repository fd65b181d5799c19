import { check, DiskError } from '../errors.js';
import { readBytes, type ImageFile } from '../io/file.js';
import type { ParentReference } from '../layer.js';
import {
  DISK_TYPE,
  DYNAMIC_HEADER_COOKIE,
  DYNAMIC_HEADER_SIZE,
  FOOTER_SIZE,
  HEADER_CHECKSUM_OFFSET,
  MAX_VIRTUAL_SIZE,
  PLATFORM,
  SECTOR_SIZE,
  UNALLOCATED,
  bitmapSizeOf,
  decodeUtf16,
  dynamicHeaderCodec,
  vhdChecksum,
  type DynamicHeader,
  type ParentLocatorEntry,
  type VhdFooter,
} from './vhd-structs.js';

/**
 * The dynamic header, BAT and parent locators of a dynamic or differencing VHD, validated
 * against the file: nothing sized by a field is allocated before that field is checked
 * against the file's length, and no block may overlap metadata or another block.
 */
export interface DynamicParts {
  readonly header: DynamicHeader;
  readonly blockSize: number;
  readonly bitmapSize: number;
  /** Sector number of each block's bitmap, or UNALLOCATED. */
  readonly bat: Uint32Array;
  readonly allocatedBlocks: number;
  readonly parent: ParentReference | null;
}

/** Largest block size accepted: far above any tool's (Hyper-V: 512 KiB and 2 MiB). */
export const MAX_BLOCK_SIZE = 256 * 1024 * 1024;
/** Longest parent locator accepted: a 32767-character UTF-16 path and its terminator. */
const MAX_LOCATOR_BYTES = 65536;

interface Range {
  readonly start: number;
  readonly end: number;
  readonly what: string;
}

export async function openDynamicParts(
  file: ImageFile,
  footer: VhdFooter,
  virtualSize: number,
  footerAtEnd: boolean,
): Promise<DynamicParts> {
  const path = file.path;
  // Blocks and metadata end where the footer at the end begins (when it is really there).
  const limit = footerAtEnd ? file.size - FOOTER_SIZE : file.size;
  const headerOffset = toOffset(path, footer.dataOffset, 'dynamic header offset');
  check(
    headerOffset >= FOOTER_SIZE,
    path,
    `dynamic header offset ${headerOffset} overlaps the footer copy at 0`,
  );
  check(
    headerOffset + DYNAMIC_HEADER_SIZE <= limit,
    path,
    `dynamic header at ${headerOffset} runs past the end of the data (${limit})`,
    'DISK_TRUNCATED',
  );
  const raw = await readBytes(file, headerOffset, DYNAMIC_HEADER_SIZE);
  const header = dynamicHeaderCodec.get(raw);
  check(
    header.cookie === DYNAMIC_HEADER_COOKIE,
    path,
    `no "${DYNAMIC_HEADER_COOKIE}" dynamic header at ${headerOffset}`,
    'DISK_BAD_SIGNATURE',
  );
  check(
    vhdChecksum(raw, HEADER_CHECKSUM_OFFSET) === header.checksum,
    path,
    `the dynamic header at ${headerOffset} fails its checksum`,
    'DISK_BAD_CHECKSUM',
  );

  const blockSize = header.blockSize;
  check(
    blockSize >= SECTOR_SIZE && blockSize <= MAX_BLOCK_SIZE && (blockSize & (blockSize - 1)) === 0,
    path,
    `block size ${blockSize} is not a power of two between 512 bytes and 256 MiB`,
  );
  const bitmapSize = bitmapSizeOf(blockSize);
  const entries = header.maxTableEntries;
  const needed = Math.ceil(virtualSize / blockSize);
  check(
    entries >= needed,
    path,
    `the BAT has ${entries} entries but ${needed} blocks of ${blockSize} bytes are needed for ${virtualSize} bytes`,
  );
  check(
    entries <= Math.ceil(MAX_VIRTUAL_SIZE / blockSize),
    path,
    `the BAT has ${entries} entries, more than a 2040 GiB disk of ${blockSize}-byte blocks needs`,
  );
  const tableOffset = toOffset(path, header.tableOffset, 'BAT offset');
  const tableBytes = entries * 4;
  check(
    tableOffset + tableBytes <= limit,
    path,
    `the ${tableBytes}-byte BAT at ${tableOffset} runs past the end of the data (${limit})`,
    'DISK_TRUNCATED',
  );
  const batBytes = await readBytes(file, tableOffset, tableBytes);
  const bat = new Uint32Array(entries);
  for (let i = 0; i < entries; i++) bat[i] = batBytes.readUInt32BE(i * 4);

  const differencing = footer.diskType === DISK_TYPE.differencing;
  const locators = differencing ? locatorRanges(path, header.parentLocators, limit) : [];
  const metadata: Range[] = [
    { start: 0, end: FOOTER_SIZE, what: 'the footer copy' },
    { start: headerOffset, end: headerOffset + DYNAMIC_HEADER_SIZE, what: 'the dynamic header' },
    { start: tableOffset, end: tableOffset + tableBytes, what: 'the BAT' },
    ...locators,
  ];
  const allocatedBlocks = checkBlocks(path, bat, bitmapSize + blockSize, limit, metadata);
  const parent = differencing ? await parentReference(file, header, header.parentLocators) : null;
  return { header, blockSize, bitmapSize, bat, allocatedBlocks, parent };
}

function toOffset(path: string, value: bigint, what: string): number {
  check(
    value <= BigInt(Number.MAX_SAFE_INTEGER),
    path,
    `${what} ${value} is past the end of the file`,
    'DISK_TRUNCATED',
  );
  return Number(value);
}

/**
 * Every allocated block must lie inside the data area and overlap neither metadata nor another
 * block. Block starts are sorted in a typed array so a large BAT costs 8 bytes per block.
 */
function checkBlocks(
  path: string,
  bat: Uint32Array,
  span: number,
  limit: number,
  metadata: readonly Range[],
): number {
  let count = 0;
  for (const entry of bat) if (entry !== UNALLOCATED) count++;
  const starts = new Float64Array(count);
  let n = 0;
  for (let i = 0; i < bat.length; i++) {
    const entry = bat[i]!;
    if (entry === UNALLOCATED) continue;
    const start = entry * SECTOR_SIZE;
    if (start + span > limit) {
      throw new DiskError(
        'DISK_TRUNCATED',
        path,
        `block ${i} at ${start} (${span} bytes with its bitmap) runs past the end of the data (${limit})`,
      );
    }
    starts[n++] = start;
  }
  starts.sort();
  for (const range of metadata) {
    // The last block starting before the range's end is the only one that can overlap it.
    let lo = 0;
    let hi = starts.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (starts[mid]! < range.end) lo = mid + 1;
      else hi = mid;
    }
    const before = lo - 1;
    if (before >= 0 && starts[before]! + span > range.start) {
      throw new DiskError(
        'DISK_CORRUPT',
        path,
        `the block at ${starts[before]} overlaps ${range.what} at ${range.start}..${range.end}`,
      );
    }
  }
  for (let i = 1; i < starts.length; i++) {
    check(
      starts[i]! >= starts[i - 1]! + span,
      path,
      () => `blocks at ${starts[i - 1]} and ${starts[i]} overlap`,
    );
  }
  return count;
}

function locatorRanges(
  path: string,
  locators: readonly ParentLocatorEntry[],
  limit: number,
): Range[] {
  const ranges: Range[] = [];
  locators.forEach((locator, i) => {
    if (locator.platformCode === PLATFORM.none || locator.platformDataLength === 0) return;
    check(
      locator.platformDataLength <= MAX_LOCATOR_BYTES,
      path,
      `parent locator ${i} claims ${locator.platformDataLength} bytes, more than any path needs`,
    );
    const start = toOffset(path, locator.platformDataOffset, `parent locator ${i} offset`);
    check(
      start + locator.platformDataLength <= limit,
      path,
      `parent locator ${i} at ${start} runs past the end of the data (${limit})`,
      'DISK_TRUNCATED',
    );
    ranges.push({ start, end: start + locator.platformDataLength, what: `parent locator ${i}` });
  });
  return ranges;
}

const LOCATOR_ORDER: readonly number[] = [PLATFORM.W2ru, PLATFORM.W2ku];

/** Parent paths, most trusted first: W2ru, W2ku, the other locators, then the parent's name. */
async function parentReference(
  file: ImageFile,
  header: DynamicHeader,
  locators: readonly ParentLocatorEntry[],
): Promise<ParentReference> {
  const ranked = [...locators.entries()]
    .filter(([, l]) => l.platformCode !== PLATFORM.none && l.platformDataLength > 0)
    .sort(([ia, a], [ib, b]) => rank(a) - rank(b) || ia - ib);
  const locations: string[] = [];
  for (const [, locator] of ranked) {
    const data = await readBytes(
      file,
      Number(locator.platformDataOffset),
      locator.platformDataLength,
    );
    const text = decodeLocator(locator.platformCode, data);
    if (text) locations.push(text);
  }
  if (header.parentUnicodeName) locations.push(header.parentUnicodeName);
  const id = header.parentUniqueId;
  return { linkIdentity: /^[0-]+$/.test(id) ? null : id, locations: [...new Set(locations)] };
}

function rank(locator: ParentLocatorEntry): number {
  const at = LOCATOR_ORDER.indexOf(locator.platformCode);
  return at < 0 ? LOCATOR_ORDER.length : at;
}

function decodeLocator(platform: number, data: Buffer): string | null {
  switch (platform) {
    case PLATFORM.W2ru:
    case PLATFORM.W2ku:
      return decodeUtf16(data, 'le');
    case PLATFORM.Wi2r:
    case PLATFORM.Wi2k:
    case PLATFORM.MacX:
      return data.toString('utf8').replace(/\0.*$/s, '');
    default:
      // Mac alias records and unknown platforms hold no path we can use.
      return null;
  }
}
