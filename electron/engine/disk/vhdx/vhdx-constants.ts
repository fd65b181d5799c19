/**
 * Constants of the VHDX format ([MS-VHDX] v20160714), in one place: signatures, fixed offsets,
 * the GUIDs that name regions and metadata items, BAT states and the limits the reader
 * enforces. GUIDs are in the lower-case dashed text form io/guid.ts reads and writes.
 */

export const KiB = 1024;
export const MiB = 1024 * KiB;
export const GiB = 1024 * MiB;
export const TiB = 1024 * GiB;

/** Every VHDX structure is placed on a 64 KiB boundary; the first 1 MiB holds the fixed ones. */
export const ALIGNMENT_64K = 64 * KiB;
/** Payload blocks, the BAT, metadata and the log are placed on 1 MiB boundaries. */
export const ALIGNMENT_1M = MiB;

export const FILE_IDENTIFIER_OFFSET = 0;
export const FILE_IDENTIFIER_SIZE = 64 * KiB;
export const HEADER_OFFSETS = [64 * KiB, 128 * KiB] as const;
/** The header's checksum covers 4 KiB; the rest of its 64 KiB slot is reserved. */
export const HEADER_SIZE = 4 * KiB;
export const REGION_TABLE_OFFSETS = [192 * KiB, 256 * KiB] as const;
export const REGION_TABLE_SIZE = 64 * KiB;
/** End of the fixed structures; everything else lies at or after it. */
export const HEADER_SECTION_SIZE = MiB;

export const SIGNATURE = {
  file: 'vhdxfile',
  header: 'head',
  regionTable: 'regi',
  metadataTable: 'metadata',
  logEntry: 'loge',
  logZero: 'zero',
  logDescriptor: 'desc',
  logData: 'data',
} as const;

export const HEADER_VERSION = 1;
export const LOG_VERSION = 0;

export const REGION = {
  bat: '2dc27766-f623-4200-9d64-115e9bfd4a08',
  metadata: '8b7ca206-4790-4b9a-b8fe-575f050f886e',
} as const;

export const METADATA = {
  fileParameters: 'caa16737-fa36-4d43-b3b6-33f0aa44e76b',
  virtualDiskSize: '2fa54224-cd1b-4876-b211-5dbed83bf4b8',
  virtualDiskId: 'beca12ab-b2e6-4523-93ef-c309e000c746',
  logicalSectorSize: '8141bf1d-a96f-4709-ba47-f233a8faab5f',
  physicalSectorSize: 'cda348c7-445d-4471-9cc9-e9885251c556',
  parentLocator: 'a8d35f2d-b30b-454d-abf7-d3d84834ab0c',
} as const;

/** The only parent locator type [MS-VHDX] defines (2.6.2.6.1). */
export const PARENT_LOCATOR_TYPE_VHDX = 'b04aefb7-d19e-4a81-b789-25b8e9445913';

/** Region table and metadata table: at most 2047 entries each (64 KiB minus the header). */
export const MAX_TABLE_ENTRIES = 2047;
export const METADATA_TABLE_SIZE = 64 * KiB;
/** Metadata items start after the 64 KiB table and are at most 1 MiB each. */
export const MAX_METADATA_ITEM = MiB;

export const PAYLOAD_STATE = {
  notPresent: 0,
  undefined: 1,
  zero: 2,
  unmapped: 3,
  fullyPresent: 6,
  partiallyPresent: 7,
} as const;
export const SECTOR_BITMAP_STATE = { notPresent: 0, present: 6 } as const;

export const MIN_BLOCK_SIZE = MiB;
export const MAX_BLOCK_SIZE = 256 * MiB;
export const DEFAULT_BLOCK_SIZE = 32 * MiB;
export const MAX_VIRTUAL_SIZE = 64 * TiB;
/** A sector bitmap block is 1 MiB: one bit for each of 2^23 logical sectors. */
export const SECTOR_BITMAP_BLOCK_SIZE = MiB;
export const SECTORS_PER_BITMAP = 2 ** 23;

export const LOG_SECTOR_SIZE = 4 * KiB;
export const LOG_ENTRY_HEADER_SIZE = 64;
export const LOG_DESCRIPTOR_SIZE = 32;
/** Bytes of a log data sector that carry data (the rest is in its descriptor). */
export const LOG_DATA_PAYLOAD = 4084;
/** Replayed pages are held in memory: refuse logs whose writes would need more than this. */
export const MAX_REPLAY_BYTES = 64 * MiB;

/** What `qemu-img info` shows as the creator of our images. */
export const CREATOR = 'Tessera';
