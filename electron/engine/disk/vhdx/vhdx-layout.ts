/**
 * The structures that say where everything is: the two headers, the region table and the
 * metadata region. Each is validated against the file size before anything sized by it is
 * allocated; errors name the structure and what is wrong with it.
 */
import { DiskError, check } from '../errors.js';
import { crc32cWithZeroedField } from '../io/checksum.js';
import { readBytes, type FileReader } from '../io/file.js';
import { isNullGuid, normaliseGuid, readGuid } from '../io/guid.js';
import type { ErrorCode } from '../../../../shared/errors.js';
import {
  ALIGNMENT_1M,
  HEADER_OFFSETS,
  HEADER_SECTION_SIZE,
  HEADER_SIZE,
  HEADER_VERSION,
  MAX_BLOCK_SIZE,
  MAX_METADATA_ITEM,
  MAX_TABLE_ENTRIES,
  MAX_VIRTUAL_SIZE,
  METADATA,
  METADATA_TABLE_SIZE,
  MIN_BLOCK_SIZE,
  PARENT_LOCATOR_TYPE_VHDX,
  REGION,
  REGION_TABLE_OFFSETS,
  REGION_TABLE_SIZE,
  SIGNATURE,
} from './vhdx-constants.js';
import {
  CHECKSUM_OFFSET,
  fileParametersCodec,
  headerCodec,
  metadataTableCodec,
  parentLocatorCodec,
  regionTableCodec,
  type RegionEntry,
  type VhdxHeader,
} from './vhdx-structs.js';

/** A byte range of the file that holds a structure, for overlap checks. */
export interface FileRange {
  readonly name: string;
  readonly offset: number;
  readonly length: number;
}

export interface VhdxMetadata {
  readonly blockSize: number;
  readonly leaveBlockAllocated: boolean;
  readonly hasParent: boolean;
  readonly virtualSize: number;
  readonly virtualDiskId: string;
  readonly logicalSectorSize: number;
  readonly physicalSectorSize: number;
  /** Parent locator keys and values (differencing disks only). */
  readonly parentLocator: ReadonlyMap<string, string> | null;
}

export interface VhdxLayout {
  readonly header: VhdxHeader;
  readonly bat: FileRange;
  readonly metadataRegion: FileRange;
  /** Header section, log, BAT, metadata and any other region: nothing else may overlap them. */
  readonly reserved: readonly FileRange[];
  readonly metadata: VhdxMetadata;
}

/** Picks the current header ([MS-VHDX] 2.2.2.1; qemu vhdx_parse_header). */
export async function readCurrentHeader(file: FileReader): Promise<VhdxHeader> {
  const candidates: Array<{ header: VhdxHeader; problem: ErrorCode | null }> = [];
  for (const offset of HEADER_OFFSETS) {
    const bytes = await readBytes(file, offset, HEADER_SIZE);
    const header = headerCodec.get(bytes);
    let problem: ErrorCode | null = null;
    if (header.signature !== SIGNATURE.header) problem = 'DISK_BAD_SIGNATURE';
    else if (crc32cWithZeroedField(bytes, CHECKSUM_OFFSET) !== header.checksum)
      problem = 'DISK_BAD_CHECKSUM';
    else if (header.version !== HEADER_VERSION) problem = 'DISK_UNSUPPORTED';
    candidates.push({ header, problem });
  }
  const valid = candidates.filter((c) => c.problem === null).map((c) => c.header);
  if (valid.length === 0) {
    const problems = candidates.map((c) => c.problem!);
    const code = problems.includes('DISK_BAD_CHECKSUM')
      ? 'DISK_BAD_CHECKSUM'
      : problems.includes('DISK_UNSUPPORTED')
        ? 'DISK_UNSUPPORTED'
        : 'DISK_BAD_SIGNATURE';
    throw new DiskError(
      code,
      file.path,
      `neither VHDX header is valid (at 64 KiB: ${describe(problems[0]!)}; at 128 KiB: ${describe(problems[1]!)})`,
    );
  }
  if (valid.length === 1) return valid[0]!;
  const [first, second] = valid as [VhdxHeader, VhdxHeader];
  // qemu refuses two valid headers with the same sequence number: which is current is unknown.
  check(
    first.sequenceNumber !== second.sequenceNumber,
    file.path,
    `both VHDX headers have sequence number ${first.sequenceNumber}`,
  );
  return first.sequenceNumber > second.sequenceNumber ? first : second;
}

function describe(problem: ErrorCode): string {
  return problem === 'DISK_BAD_SIGNATURE'
    ? 'no "head" signature'
    : problem === 'DISK_BAD_CHECKSUM'
      ? 'checksum mismatch'
      : 'version is not 1';
}

/** The first region table that is intact (the second is the spare copy). */
async function readRegionTable(file: FileReader): Promise<readonly RegionEntry[]> {
  const problems: string[] = [];
  let code: ErrorCode = 'DISK_BAD_SIGNATURE';
  for (const offset of REGION_TABLE_OFFSETS) {
    const bytes = await readBytes(file, offset, REGION_TABLE_SIZE);
    const table = regionTableCodec.get(bytes);
    if (table.signature !== SIGNATURE.regionTable) {
      problems.push(`at ${offset / 1024} KiB: no "regi" signature`);
    } else if (crc32cWithZeroedField(bytes, CHECKSUM_OFFSET) !== table.checksum) {
      problems.push(`at ${offset / 1024} KiB: checksum mismatch`);
      code = 'DISK_BAD_CHECKSUM';
    } else if (table.entryCount > MAX_TABLE_ENTRIES) {
      problems.push(`at ${offset / 1024} KiB: ${table.entryCount} entries (at most 2047)`);
      code = code === 'DISK_BAD_CHECKSUM' ? code : 'DISK_CORRUPT';
    } else {
      return table.entries;
    }
  }
  throw new DiskError(code, file.path, `no valid region table (${problems.join('; ')})`);
}

/** Checks a 64-bit offset and a length against the file and returns them as numbers. */
function placeRange(
  file: FileReader,
  name: string,
  offset: bigint,
  length: number,
  alignment: number,
): FileRange {
  check(
    offset % BigInt(alignment) === 0n && length % alignment === 0 && length > 0,
    file.path,
    `${name} at ${offset} (${length} bytes) is not aligned to ${alignment} bytes`,
  );
  check(
    offset >= BigInt(HEADER_SECTION_SIZE),
    file.path,
    `${name} at ${offset} lies inside the 1 MiB header section`,
  );
  if (offset + BigInt(length) > BigInt(file.size)) {
    throw new DiskError(
      'DISK_TRUNCATED',
      file.path,
      `${name} at ${offset} (${length} bytes) ends past the end of the ${file.size}-byte file`,
    );
  }
  return { name, offset: Number(offset), length };
}

/** Throws DISK_CORRUPT if any two ranges overlap. */
export function checkNoOverlap(path: string, ranges: readonly FileRange[]): void {
  const sorted = [...ranges].sort((a, b) => a.offset - b.offset);
  for (let i = 1; i < sorted.length; i++) {
    const a = sorted[i - 1]!;
    const b = sorted[i]!;
    check(
      a.offset + a.length <= b.offset,
      path,
      () => `${a.name} (${a.offset}+${a.length}) overlaps ${b.name} (${b.offset}+${b.length})`,
    );
  }
}

export async function readLayout(file: FileReader, header: VhdxHeader): Promise<VhdxLayout> {
  const path = file.path;
  const reserved: FileRange[] = [
    { name: 'header section', offset: 0, length: HEADER_SECTION_SIZE },
  ];
  if (header.logLength > 0)
    reserved.push(placeRange(file, 'log', header.logOffset, header.logLength, ALIGNMENT_1M));

  let bat: FileRange | null = null;
  let metadataRegion: FileRange | null = null;
  const seen = new Set<string>();
  for (const entry of await readRegionTable(file)) {
    check(!seen.has(entry.guid), path, `region ${entry.guid} is listed twice`);
    seen.add(entry.guid);
    if (entry.guid === REGION.bat) {
      bat = placeRange(file, 'BAT region', entry.fileOffset, entry.length, ALIGNMENT_1M);
      reserved.push(bat);
    } else if (entry.guid === REGION.metadata) {
      metadataRegion = placeRange(
        file,
        'metadata region',
        entry.fileOffset,
        entry.length,
        ALIGNMENT_1M,
      );
      reserved.push(metadataRegion);
    } else if (entry.required) {
      throw new DiskError('DISK_UNSUPPORTED', path, `requires unknown region ${entry.guid}`);
    } else {
      reserved.push(
        placeRange(file, `region ${entry.guid}`, entry.fileOffset, entry.length, ALIGNMENT_1M),
      );
    }
  }
  check(bat !== null, path, 'the region table has no BAT region');
  check(metadataRegion !== null, path, 'the region table has no metadata region');
  checkNoOverlap(path, reserved);
  const metadata = await readMetadata(file, metadataRegion);
  return { header, bat, metadataRegion, reserved, metadata };
}

const KNOWN_ITEMS = new Set<string>(Object.values(METADATA));

async function readMetadata(file: FileReader, region: FileRange): Promise<VhdxMetadata> {
  const path = file.path;
  check(
    region.length >= METADATA_TABLE_SIZE,
    path,
    'the metadata region is smaller than its table',
  );
  const table = metadataTableCodec.get(await readBytes(file, region.offset, METADATA_TABLE_SIZE));
  if (table.signature !== SIGNATURE.metadataTable) {
    throw new DiskError(
      'DISK_BAD_SIGNATURE',
      path,
      'the metadata table has no "metadata" signature',
    );
  }
  check(
    table.entryCount <= MAX_TABLE_ENTRIES,
    path,
    `the metadata table has ${table.entryCount} entries (at most 2047)`,
  );
  const items = new Map<string, Buffer>();
  const ranges: FileRange[] = [{ name: 'metadata table', offset: 0, length: METADATA_TABLE_SIZE }];
  for (const entry of table.entries) {
    const name = `metadata item ${entry.itemId}`;
    check(!items.has(entry.itemId), path, `${name} is listed twice`);
    if (!KNOWN_ITEMS.has(entry.itemId) && entry.isRequired) {
      throw new DiskError('DISK_UNSUPPORTED', path, `requires unknown ${name}`);
    }
    check(
      entry.length <= MAX_METADATA_ITEM,
      path,
      `${name} is ${entry.length} bytes (at most 1 MiB)`,
    );
    if (entry.length === 0) {
      items.set(entry.itemId, Buffer.alloc(0));
      continue;
    }
    check(
      entry.offset >= METADATA_TABLE_SIZE && entry.offset + entry.length <= region.length,
      path,
      `${name} at ${entry.offset} (${entry.length} bytes) lies outside the metadata region`,
    );
    ranges.push({ name, offset: entry.offset, length: entry.length });
    if (KNOWN_ITEMS.has(entry.itemId))
      items.set(entry.itemId, await readBytes(file, region.offset + entry.offset, entry.length));
  }
  checkNoOverlap(path, ranges);

  const item = (id: string, what: string, minLength: number): Buffer => {
    const bytes = items.get(id);
    check(bytes !== undefined, path, `required metadata item ${what} is missing`);
    check(bytes.byteLength >= minLength, path, `metadata item ${what} is too short`);
    return bytes;
  };
  const parameters = fileParametersCodec.get(item(METADATA.fileParameters, 'file parameters', 8));
  const { blockSize, hasParent } = parameters;
  check(
    blockSize >= MIN_BLOCK_SIZE &&
      blockSize <= MAX_BLOCK_SIZE &&
      (blockSize & (blockSize - 1)) === 0,
    path,
    `block size ${blockSize} is not a power of two from 1 MiB to 256 MiB`,
    'DISK_TOO_LARGE',
  );
  const logicalSectorSize = item(METADATA.logicalSectorSize, 'logical sector size', 4).readUInt32LE(
    0,
  );
  const physicalSectorSize = item(
    METADATA.physicalSectorSize,
    'physical sector size',
    4,
  ).readUInt32LE(0);
  for (const [what, size] of [
    ['logical', logicalSectorSize],
    ['physical', physicalSectorSize],
  ] as const) {
    check(size === 512 || size === 4096, path, `${what} sector size ${size} is not 512 or 4096`);
  }
  const sizeField = item(METADATA.virtualDiskSize, 'virtual disk size', 8).readBigUInt64LE(0);
  check(
    sizeField <= BigInt(MAX_VIRTUAL_SIZE),
    path,
    `virtual disk size ${sizeField} is beyond the 64 TiB VHDX allows`,
    'DISK_TOO_LARGE',
  );
  const virtualSize = Number(sizeField);
  check(
    virtualSize > 0 && virtualSize % logicalSectorSize === 0,
    path,
    `virtual disk size ${virtualSize} is not a positive multiple of the ${logicalSectorSize}-byte sector`,
  );
  const virtualDiskId = readGuid(item(METADATA.virtualDiskId, 'virtual disk id', 16), 0);
  const parentLocator = hasParent
    ? readParentLocator(path, items.get(METADATA.parentLocator))
    : null;
  return {
    blockSize,
    leaveBlockAllocated: parameters.leaveBlockAllocated,
    hasParent,
    virtualSize,
    virtualDiskId,
    logicalSectorSize,
    physicalSectorSize,
    parentLocator,
  };
}

function readParentLocator(path: string, bytes: Buffer | undefined): ReadonlyMap<string, string> {
  check(bytes !== undefined, path, 'a differencing disk without a parent locator');
  const locator = parentLocatorCodec.get(bytes);
  check(locator !== null, path, 'the parent locator has entries outside its metadata item');
  if (locator.locatorType !== PARENT_LOCATOR_TYPE_VHDX) {
    throw new DiskError(
      'DISK_UNSUPPORTED',
      path,
      `parent locator type ${locator.locatorType} is not the VHDX one`,
    );
  }
  const map = new Map<string, string>();
  for (const [key, value] of locator.entries) {
    check(!map.has(key), path, `parent locator key ${key} appears twice`);
    map.set(key, value);
  }
  const linkage = map.get('parent_linkage');
  check(
    linkage !== undefined &&
      normaliseGuid(linkage) !== null &&
      !isNullGuid(normaliseGuid(linkage)!),
    path,
    `the parent locator has no valid parent_linkage (${linkage ?? 'missing'})`,
  );
  return map;
}
