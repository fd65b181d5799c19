/**
 * Streams a dynamic VHDX. The layout is fixed up front, so nothing already written moves:
 *
 *   0       file identifier, headers, region tables (the 1 MiB header section)
 *   1 MiB   log (1 MiB, empty: LogGuid is null; qemu refuses a header without a log region)
 *   2 MiB   metadata region (1 MiB: table and the five required items)
 *   3 MiB   BAT (8 bytes per entry, rounded up to 1 MiB)
 *   then    payload blocks, 1 MiB-aligned, in the order their first non-zero byte arrives
 *
 * A block whose data is all zeros is never allocated (NOT_PRESENT). Inside an allocated block
 * only non-zero 4 KiB runs are written; the rest stays a hole that reads as zeros. The BAT is
 * kept in memory and written, with the headers, only at finish(); the file is written under a
 * temporary name and renamed into place, so no log is needed to make the update safe.
 */
import { DiskError } from '../errors.js';
import { crc32cWithZeroedField } from '../io/checksum.js';
import { NULL_GUID, normaliseGuid, randomGuid, writeGuid } from '../io/guid.js';
import { ImageOutput } from '../io/output.js';
import type { DiskWriter, DiskWriterOptions } from '../types.js';
import { StreamingOrder } from '../writer-order.js';
import { isZero, nonZeroRuns } from '../zero.js';
import { batGeometry, payloadEntryIndex } from './vhdx-bat.js';
import {
  CREATOR,
  DEFAULT_BLOCK_SIZE,
  HEADER_OFFSETS,
  HEADER_SIZE,
  HEADER_VERSION,
  LOG_VERSION,
  MAX_BLOCK_SIZE,
  MAX_VIRTUAL_SIZE,
  METADATA,
  METADATA_TABLE_SIZE,
  MIN_BLOCK_SIZE,
  MiB,
  PAYLOAD_STATE,
  REGION,
  REGION_TABLE_OFFSETS,
  REGION_TABLE_SIZE,
  SIGNATURE,
} from './vhdx-constants.js';
import {
  CHECKSUM_OFFSET,
  batEntryCodec,
  fileIdentifierCodec,
  fileParametersCodec,
  headerCodec,
  metadataTableCodec,
  regionTableCodec,
  type MetadataEntry,
} from './vhdx-structs.js';

const LOG_OFFSET = MiB;
const LOG_LENGTH = MiB;
const METADATA_OFFSET = 2 * MiB;
const METADATA_LENGTH = MiB;
const BAT_OFFSET = 3 * MiB;
/** Zero runs shorter than this inside an allocated block are written rather than skipped. */
const HOLE_GRANULARITY = 4096;

export async function createVhdxWriter(
  target: string,
  options: DiskWriterOptions,
): Promise<DiskWriter> {
  const logicalSectorSize = options.logicalSectorSize ?? 512;
  const physicalSectorSize = options.physicalSectorSize ?? 4096;
  const blockSize = options.blockSize ?? DEFAULT_BLOCK_SIZE;
  const bad = (detail: string): DiskError => new DiskError('BAD_REQUEST', target, detail);
  if (logicalSectorSize !== 512 && logicalSectorSize !== 4096)
    throw bad(`logical sector size ${logicalSectorSize} is not 512 or 4096`);
  if (physicalSectorSize !== 512 && physicalSectorSize !== 4096)
    throw bad(`physical sector size ${physicalSectorSize} is not 512 or 4096`);
  if (
    !Number.isSafeInteger(blockSize) ||
    blockSize < MIN_BLOCK_SIZE ||
    blockSize > MAX_BLOCK_SIZE ||
    (blockSize & (blockSize - 1)) !== 0
  )
    throw bad(`VHDX block size ${blockSize} is not a power of two from 1 MiB to 256 MiB`);
  const virtualSize = Math.ceil(options.virtualSize / logicalSectorSize) * logicalSectorSize;
  if (!(virtualSize > 0) || virtualSize > MAX_VIRTUAL_SIZE)
    throw bad(`virtual size ${options.virtualSize} is outside 1 byte..64 TiB`);
  const identity = normaliseGuid(options.identity ?? randomGuid());
  if (!identity) throw bad(`identity ${options.identity} is not a GUID`);

  const geometry = batGeometry(virtualSize, blockSize, logicalSectorSize, false);
  const batLength = Math.ceil((geometry.totalEntries * 8) / MiB) * MiB;
  const bat = Buffer.alloc(geometry.totalEntries * 8);
  let nextFree = BAT_OFFSET + batLength;

  const output = await ImageOutput.create(target, { durable: options.durable });
  const order = new StreamingOrder(target, virtualSize);

  const isAllocated = (block: number): boolean =>
    batEntryCodec.get(bat, payloadEntryIndex(block, geometry.chunkRatio) * 8).state ===
    PAYLOAD_STATE.fullyPresent;

  /** File offset of `block`, allocating it at the end of the file on first use. */
  const blockOffset = (block: number): number => {
    const at = payloadEntryIndex(block, geometry.chunkRatio) * 8;
    const entry = batEntryCodec.get(bat, at);
    if (entry.state === PAYLOAD_STATE.fullyPresent) return Number(entry.fileOffsetMB) * MiB;
    const offset = nextFree;
    nextFree += blockSize;
    batEntryCodec.put(bat, at, {
      state: PAYLOAD_STATE.fullyPresent,
      fileOffsetMB: BigInt(offset / MiB),
    });
    return offset;
  };

  return {
    path: target,
    format: 'vhdx',
    virtualSize,
    // Bookkeeping happens synchronously at the call, so overlapping write() calls made in
    // offset order allocate blocks exactly as sequential ones would.
    async write(offset: number, data: Uint8Array): Promise<void> {
      order.accept(offset, data.byteLength);
      const pieces: Array<[Uint8Array, number]> = [];
      for (const [start, end] of nonZeroRuns(data, HOLE_GRANULARITY)) {
        // A run may cross block boundaries: split it.
        for (let at = offset + start; at < offset + end;) {
          const block = Math.floor(at / blockSize);
          const pieceEnd = Math.min((block + 1) * blockSize, offset + end);
          const piece = data.subarray(at - offset, pieceEnd - offset);
          // A run's last granule may spill zeros into the next block: never allocate for them.
          if (isAllocated(block) || !isZero(piece)) {
            pieces.push([piece, blockOffset(block) + (at - block * blockSize)]);
          }
          at = pieceEnd;
        }
      }
      await output.writeAll(pieces);
    },
    async finish(): Promise<void> {
      try {
        await output.write(bat, BAT_OFFSET);
        await output.write(
          metadataRegion(virtualSize, blockSize, logicalSectorSize, physicalSectorSize, identity),
          METADATA_OFFSET,
        );
        await output.write(headerSection(batLength), 0);
        await output.truncate(nextFree);
      } catch (error) {
        await output.discard();
        throw error;
      }
      await output.commit();
    },
    abort: () => output.discard(),
  };
}

/** The first 1 MiB: identifier, both headers, both region tables. */
function headerSection(batLength: number): Buffer {
  const section = Buffer.alloc(MiB);
  fileIdentifierCodec.put(section, 0, { signature: SIGNATURE.file, creator: CREATOR });
  const fileWriteGuid = randomGuid();
  const dataWriteGuid = randomGuid();
  HEADER_OFFSETS.forEach((offset, i) => {
    headerCodec.put(section, offset, {
      signature: SIGNATURE.header,
      checksum: 0,
      sequenceNumber: BigInt(i),
      fileWriteGuid,
      dataWriteGuid,
      logGuid: NULL_GUID,
      logVersion: LOG_VERSION,
      version: HEADER_VERSION,
      logLength: LOG_LENGTH,
      logOffset: BigInt(LOG_OFFSET),
    });
    seal(section.subarray(offset, offset + HEADER_SIZE));
  });
  for (const offset of REGION_TABLE_OFFSETS) {
    regionTableCodec.put(section, offset, {
      signature: SIGNATURE.regionTable,
      checksum: 0,
      entryCount: 2,
      entries: [
        { guid: REGION.bat, fileOffset: BigInt(BAT_OFFSET), length: batLength, required: true },
        {
          guid: REGION.metadata,
          fileOffset: BigInt(METADATA_OFFSET),
          length: METADATA_LENGTH,
          required: true,
        },
      ],
    });
    seal(section.subarray(offset, offset + REGION_TABLE_SIZE));
  }
  return section;
}

/** Sets a structure's CRC-32C, computed with its checksum field as zero. */
function seal(structure: Buffer): void {
  structure.writeUInt32LE(crc32cWithZeroedField(structure, CHECKSUM_OFFSET), CHECKSUM_OFFSET);
}

/** The metadata table and its items, each item in its own 4 KiB slot after the table. */
function metadataRegion(
  virtualSize: number,
  blockSize: number,
  logicalSectorSize: number,
  physicalSectorSize: number,
  identity: string,
): Buffer {
  const region = Buffer.alloc(METADATA_TABLE_SIZE + 5 * 4096);
  const items: Array<{
    id: string;
    length: number;
    virtualDisk: boolean;
    fill: (at: number) => void;
  }> = [
    {
      id: METADATA.fileParameters,
      length: 8,
      virtualDisk: false,
      fill: (at) =>
        fileParametersCodec.put(region, at, {
          blockSize,
          leaveBlockAllocated: false,
          hasParent: false,
        }),
    },
    {
      id: METADATA.virtualDiskSize,
      length: 8,
      virtualDisk: true,
      fill: (at) => region.writeBigUInt64LE(BigInt(virtualSize), at),
    },
    {
      id: METADATA.virtualDiskId,
      length: 16,
      virtualDisk: true,
      fill: (at) => writeGuid(region, at, identity),
    },
    {
      id: METADATA.logicalSectorSize,
      length: 4,
      virtualDisk: true,
      fill: (at) => region.writeUInt32LE(logicalSectorSize, at),
    },
    {
      id: METADATA.physicalSectorSize,
      length: 4,
      virtualDisk: true,
      fill: (at) => region.writeUInt32LE(physicalSectorSize, at),
    },
  ];
  const entries: MetadataEntry[] = items.map((item, i) => {
    const offset = METADATA_TABLE_SIZE + i * 4096;
    item.fill(offset);
    return {
      itemId: item.id,
      offset,
      length: item.length,
      isUser: false,
      isVirtualDisk: item.virtualDisk,
      isRequired: true,
    };
  });
  metadataTableCodec.put(region, 0, {
    signature: SIGNATURE.metadataTable,
    entryCount: entries.length,
    entries,
  });
  return region;
}
