/**
 * On-disk structures of VHDX, one codec each over a DataView: `get` decodes, `put` encodes,
 * and an encode → decode round trip gives back the same value (tested). All fields are
 * little-endian; 64-bit fields are bigint until the reader has range-checked them.
 */
import { readGuid, writeGuid } from '../io/guid.js';
import {
  FILE_IDENTIFIER_SIZE,
  HEADER_SIZE,
  LOG_DATA_PAYLOAD,
  LOG_DESCRIPTOR_SIZE,
  LOG_ENTRY_HEADER_SIZE,
  LOG_SECTOR_SIZE,
  MAX_TABLE_ENTRIES,
  METADATA_TABLE_SIZE,
  REGION_TABLE_SIZE,
} from './vhdx-constants.js';

function viewOf(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function ascii(bytes: Uint8Array, offset: number, length: number): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset + offset, length).toString('latin1');
}

function putAscii(bytes: Uint8Array, offset: number, text: string): void {
  bytes.set(Buffer.from(text, 'latin1'), offset);
}

/** UTF-16LE text up to the first NUL (or the end of the field). */
export function utf16(bytes: Uint8Array, offset: number, length: number): string {
  const text = Buffer.from(bytes.buffer, bytes.byteOffset + offset, length & ~1).toString(
    'utf16le',
  );
  const nul = text.indexOf('\0');
  return nul < 0 ? text : text.slice(0, nul);
}

export interface FileIdentifier {
  readonly signature: string;
  readonly creator: string;
}

export const fileIdentifierCodec = {
  len: FILE_IDENTIFIER_SIZE,
  get(bytes: Uint8Array, offset = 0): FileIdentifier {
    return { signature: ascii(bytes, offset, 8), creator: utf16(bytes, offset + 8, 512) };
  },
  put(bytes: Uint8Array, offset: number, value: FileIdentifier): void {
    bytes.fill(0, offset, offset + FILE_IDENTIFIER_SIZE);
    putAscii(bytes, offset, value.signature);
    bytes.set(Buffer.from(value.creator.slice(0, 255), 'utf16le'), offset + 8);
  },
};

export interface VhdxHeader {
  readonly signature: string;
  readonly checksum: number;
  readonly sequenceNumber: bigint;
  readonly fileWriteGuid: string;
  readonly dataWriteGuid: string;
  readonly logGuid: string;
  readonly logVersion: number;
  readonly version: number;
  readonly logLength: number;
  readonly logOffset: bigint;
}

/** Offset of the checksum field in the header, region table and log entry header alike. */
export const CHECKSUM_OFFSET = 4;

export const headerCodec = {
  len: HEADER_SIZE,
  get(bytes: Uint8Array, offset = 0): VhdxHeader {
    const b = bytes.subarray(offset, offset + HEADER_SIZE);
    const v = viewOf(b);
    return {
      signature: ascii(b, 0, 4),
      checksum: v.getUint32(4, true),
      sequenceNumber: v.getBigUint64(8, true),
      fileWriteGuid: readGuid(b, 16),
      dataWriteGuid: readGuid(b, 32),
      logGuid: readGuid(b, 48),
      logVersion: v.getUint16(64, true),
      version: v.getUint16(66, true),
      logLength: v.getUint32(68, true),
      logOffset: v.getBigUint64(72, true),
    };
  },
  put(bytes: Uint8Array, offset: number, h: VhdxHeader): void {
    const b = bytes.subarray(offset, offset + HEADER_SIZE);
    const v = viewOf(b);
    b.fill(0);
    putAscii(b, 0, h.signature);
    v.setUint32(4, h.checksum, true);
    v.setBigUint64(8, h.sequenceNumber, true);
    writeGuid(b, 16, h.fileWriteGuid);
    writeGuid(b, 32, h.dataWriteGuid);
    writeGuid(b, 48, h.logGuid);
    v.setUint16(64, h.logVersion, true);
    v.setUint16(66, h.version, true);
    v.setUint32(68, h.logLength, true);
    v.setBigUint64(72, h.logOffset, true);
  },
};

export interface RegionEntry {
  readonly guid: string;
  readonly fileOffset: bigint;
  readonly length: number;
  readonly required: boolean;
}

export interface RegionTable {
  readonly signature: string;
  readonly checksum: number;
  /** As stored; `entries` holds at most MAX_TABLE_ENTRIES of them. */
  readonly entryCount: number;
  readonly entries: readonly RegionEntry[];
}

const REGION_ENTRY_SIZE = 32;

export const regionTableCodec = {
  len: REGION_TABLE_SIZE,
  get(bytes: Uint8Array, offset = 0): RegionTable {
    const b = bytes.subarray(offset, offset + REGION_TABLE_SIZE);
    const v = viewOf(b);
    const entryCount = v.getUint32(8, true);
    const entries: RegionEntry[] = [];
    for (let i = 0; i < Math.min(entryCount, MAX_TABLE_ENTRIES); i++) {
      const at = 16 + i * REGION_ENTRY_SIZE;
      entries.push({
        guid: readGuid(b, at),
        fileOffset: v.getBigUint64(at + 16, true),
        length: v.getUint32(at + 24, true),
        required: (v.getUint32(at + 28, true) & 1) === 1,
      });
    }
    return { signature: ascii(b, 0, 4), checksum: v.getUint32(4, true), entryCount, entries };
  },
  put(bytes: Uint8Array, offset: number, t: RegionTable): void {
    const b = bytes.subarray(offset, offset + REGION_TABLE_SIZE);
    const v = viewOf(b);
    b.fill(0);
    putAscii(b, 0, t.signature);
    v.setUint32(4, t.checksum, true);
    v.setUint32(8, t.entryCount, true);
    t.entries.forEach((e, i) => {
      const at = 16 + i * REGION_ENTRY_SIZE;
      writeGuid(b, at, e.guid);
      v.setBigUint64(at + 16, e.fileOffset, true);
      v.setUint32(at + 24, e.length, true);
      v.setUint32(at + 28, e.required ? 1 : 0, true);
    });
  },
};

export interface MetadataEntry {
  readonly itemId: string;
  /** From the start of the metadata region. */
  readonly offset: number;
  readonly length: number;
  readonly isUser: boolean;
  readonly isVirtualDisk: boolean;
  readonly isRequired: boolean;
}

export interface MetadataTable {
  readonly signature: string;
  readonly entryCount: number;
  readonly entries: readonly MetadataEntry[];
}

const METADATA_ENTRY_SIZE = 32;

export const metadataTableCodec = {
  len: METADATA_TABLE_SIZE,
  get(bytes: Uint8Array, offset = 0): MetadataTable {
    const b = bytes.subarray(offset, offset + METADATA_TABLE_SIZE);
    const v = viewOf(b);
    const entryCount = v.getUint16(10, true);
    const entries: MetadataEntry[] = [];
    for (let i = 0; i < Math.min(entryCount, MAX_TABLE_ENTRIES); i++) {
      const at = 32 + i * METADATA_ENTRY_SIZE;
      const flags = v.getUint32(at + 24, true);
      entries.push({
        itemId: readGuid(b, at),
        offset: v.getUint32(at + 16, true),
        length: v.getUint32(at + 20, true),
        isUser: (flags & 1) !== 0,
        isVirtualDisk: (flags & 2) !== 0,
        isRequired: (flags & 4) !== 0,
      });
    }
    return { signature: ascii(b, 0, 8), entryCount, entries };
  },
  put(bytes: Uint8Array, offset: number, t: MetadataTable): void {
    const b = bytes.subarray(offset, offset + METADATA_TABLE_SIZE);
    const v = viewOf(b);
    b.fill(0);
    putAscii(b, 0, t.signature);
    v.setUint16(10, t.entryCount, true);
    t.entries.forEach((e, i) => {
      const at = 32 + i * METADATA_ENTRY_SIZE;
      writeGuid(b, at, e.itemId);
      v.setUint32(at + 16, e.offset, true);
      v.setUint32(at + 20, e.length, true);
      const flags = (e.isUser ? 1 : 0) | (e.isVirtualDisk ? 2 : 0) | (e.isRequired ? 4 : 0);
      v.setUint32(at + 24, flags, true);
    });
  },
};

export interface FileParameters {
  readonly blockSize: number;
  readonly leaveBlockAllocated: boolean;
  readonly hasParent: boolean;
}

export const fileParametersCodec = {
  len: 8,
  get(bytes: Uint8Array, offset = 0): FileParameters {
    const v = viewOf(bytes.subarray(offset, offset + 8));
    const flags = v.getUint32(4, true);
    return {
      blockSize: v.getUint32(0, true),
      leaveBlockAllocated: (flags & 1) !== 0,
      hasParent: (flags & 2) !== 0,
    };
  },
  put(bytes: Uint8Array, offset: number, p: FileParameters): void {
    const v = viewOf(bytes.subarray(offset, offset + 8));
    v.setUint32(0, p.blockSize, true);
    v.setUint32(4, (p.leaveBlockAllocated ? 1 : 0) | (p.hasParent ? 2 : 0), true);
  },
};

/** A BAT entry: state in bits 0..2, FileOffsetMB in bits 20..63. */
export interface BatEntry {
  readonly state: number;
  readonly fileOffsetMB: bigint;
}

export const batEntryCodec = {
  len: 8,
  get(bytes: Uint8Array, offset = 0): BatEntry {
    const raw = viewOf(bytes).getBigUint64(offset, true);
    return { state: Number(raw & 7n), fileOffsetMB: raw >> 20n };
  },
  put(bytes: Uint8Array, offset: number, e: BatEntry): void {
    viewOf(bytes).setBigUint64(offset, (e.fileOffsetMB << 20n) | BigInt(e.state & 7), true);
  },
};

export interface ParentLocator {
  readonly locatorType: string;
  /** Keys and values in stored order (a key may in theory repeat; the reader rejects that). */
  readonly entries: ReadonlyArray<readonly [key: string, value: string]>;
}

const LOCATOR_HEADER_SIZE = 20;
const LOCATOR_ENTRY_SIZE = 12;

export const parentLocatorCodec = {
  /**
   * Decodes a whole parent locator item. Key and value offsets are relative to the item;
   * null when an entry points outside it (the reader turns that into DISK_CORRUPT).
   */
  get(item: Uint8Array): ParentLocator | null {
    if (item.byteLength < LOCATOR_HEADER_SIZE) return null;
    const v = viewOf(item);
    const count = v.getUint16(18, true);
    if (LOCATOR_HEADER_SIZE + count * LOCATOR_ENTRY_SIZE > item.byteLength) return null;
    const entries: Array<[string, string]> = [];
    for (let i = 0; i < count; i++) {
      const at = LOCATOR_HEADER_SIZE + i * LOCATOR_ENTRY_SIZE;
      const keyOffset = v.getUint32(at, true);
      const valueOffset = v.getUint32(at + 4, true);
      const keyLength = v.getUint16(at + 8, true);
      const valueLength = v.getUint16(at + 10, true);
      if (keyOffset + keyLength > item.byteLength || valueOffset + valueLength > item.byteLength)
        return null;
      entries.push([utf16(item, keyOffset, keyLength), utf16(item, valueOffset, valueLength)]);
    }
    return { locatorType: readGuid(item, 0), entries };
  },
  /** Encodes a parent locator item: header, entry table, then the UTF-16LE strings. */
  put(locator: ParentLocator): Buffer {
    const strings: Buffer[] = [];
    let at = LOCATOR_HEADER_SIZE + locator.entries.length * LOCATOR_ENTRY_SIZE;
    const table = Buffer.alloc(at);
    writeGuid(table, 0, locator.locatorType);
    table.writeUInt16LE(locator.entries.length, 18);
    locator.entries.forEach(([key, value], i) => {
      const k = Buffer.from(key, 'utf16le');
      const val = Buffer.from(value, 'utf16le');
      const e = LOCATOR_HEADER_SIZE + i * LOCATOR_ENTRY_SIZE;
      table.writeUInt32LE(at, e);
      table.writeUInt32LE(at + k.byteLength, e + 4);
      table.writeUInt16LE(k.byteLength, e + 8);
      table.writeUInt16LE(val.byteLength, e + 10);
      strings.push(k, val);
      at += k.byteLength + val.byteLength;
    });
    return Buffer.concat([table, ...strings]);
  },
};

export interface LogEntryHeader {
  readonly signature: string;
  readonly checksum: number;
  readonly entryLength: number;
  readonly tail: number;
  readonly sequenceNumber: bigint;
  readonly descriptorCount: number;
  readonly logGuid: string;
  readonly flushedFileOffset: bigint;
  readonly lastFileOffset: bigint;
}

export const logEntryHeaderCodec = {
  len: LOG_ENTRY_HEADER_SIZE,
  get(bytes: Uint8Array, offset = 0): LogEntryHeader {
    const b = bytes.subarray(offset, offset + LOG_ENTRY_HEADER_SIZE);
    const v = viewOf(b);
    return {
      signature: ascii(b, 0, 4),
      checksum: v.getUint32(4, true),
      entryLength: v.getUint32(8, true),
      tail: v.getUint32(12, true),
      sequenceNumber: v.getBigUint64(16, true),
      descriptorCount: v.getUint32(24, true),
      logGuid: readGuid(b, 32),
      flushedFileOffset: v.getBigUint64(48, true),
      lastFileOffset: v.getBigUint64(56, true),
    };
  },
  put(bytes: Uint8Array, offset: number, h: LogEntryHeader): void {
    const b = bytes.subarray(offset, offset + LOG_ENTRY_HEADER_SIZE);
    const v = viewOf(b);
    b.fill(0);
    putAscii(b, 0, h.signature);
    v.setUint32(4, h.checksum, true);
    v.setUint32(8, h.entryLength, true);
    v.setUint32(12, h.tail, true);
    v.setBigUint64(16, h.sequenceNumber, true);
    v.setUint32(24, h.descriptorCount, true);
    writeGuid(b, 32, h.logGuid);
    v.setBigUint64(48, h.flushedFileOffset, true);
    v.setBigUint64(56, h.lastFileOffset, true);
  },
};

/** A zero descriptor ("zero") or a data descriptor ("desc"), as one shape. */
export interface LogDescriptor {
  readonly signature: string;
  /** Data descriptor: the last 4 bytes of the 4 KiB sector. */
  readonly trailingBytes: number;
  /** Data descriptor: the first 8 bytes of the sector, as stored. */
  readonly leadingBytes: bigint;
  /** Zero descriptor: how many bytes to zero. */
  readonly zeroLength: bigint;
  readonly fileOffset: bigint;
  readonly sequenceNumber: bigint;
}

export const logDescriptorCodec = {
  len: LOG_DESCRIPTOR_SIZE,
  get(bytes: Uint8Array, offset = 0): LogDescriptor {
    const b = bytes.subarray(offset, offset + LOG_DESCRIPTOR_SIZE);
    const v = viewOf(b);
    const signature = ascii(b, 0, 4);
    const isZero = signature === 'zero';
    return {
      signature,
      trailingBytes: isZero ? 0 : v.getUint32(4, true),
      leadingBytes: isZero ? 0n : v.getBigUint64(8, true),
      zeroLength: isZero ? v.getBigUint64(8, true) : 0n,
      fileOffset: v.getBigUint64(16, true),
      sequenceNumber: v.getBigUint64(24, true),
    };
  },
  put(bytes: Uint8Array, offset: number, d: LogDescriptor): void {
    const b = bytes.subarray(offset, offset + LOG_DESCRIPTOR_SIZE);
    const v = viewOf(b);
    b.fill(0);
    putAscii(b, 0, d.signature);
    if (d.signature === 'zero') {
      v.setBigUint64(8, d.zeroLength, true);
    } else {
      v.setUint32(4, d.trailingBytes, true);
      v.setBigUint64(8, d.leadingBytes, true);
    }
    v.setBigUint64(16, d.fileOffset, true);
    v.setBigUint64(24, d.sequenceNumber, true);
  },
};

export interface LogDataSector {
  readonly signature: string;
  readonly sequenceNumber: bigint;
  /** The 4084 middle bytes of the 4 KiB sector being logged. */
  readonly data: Uint8Array;
}

export const logDataSectorCodec = {
  len: LOG_SECTOR_SIZE,
  get(bytes: Uint8Array, offset = 0): LogDataSector {
    const b = bytes.subarray(offset, offset + LOG_SECTOR_SIZE);
    const v = viewOf(b);
    const high = BigInt(v.getUint32(4, true));
    const low = BigInt(v.getUint32(LOG_SECTOR_SIZE - 4, true));
    return {
      signature: ascii(b, 0, 4),
      sequenceNumber: (high << 32n) | low,
      data: b.subarray(8, 8 + LOG_DATA_PAYLOAD),
    };
  },
  put(bytes: Uint8Array, offset: number, s: LogDataSector): void {
    const b = bytes.subarray(offset, offset + LOG_SECTOR_SIZE);
    const v = viewOf(b);
    putAscii(b, 0, s.signature);
    v.setUint32(4, Number(s.sequenceNumber >> 32n), true);
    b.set(s.data.subarray(0, LOG_DATA_PAYLOAD), 8);
    v.setUint32(LOG_SECTOR_SIZE - 4, Number(s.sequenceNumber & 0xffff_ffffn), true);
  },
};

/** The 4 KiB sector a data descriptor and its data sector describe together. */
export function logSectorContent(descriptor: LogDescriptor, sector: LogDataSector): Buffer {
  const page = Buffer.alloc(LOG_SECTOR_SIZE);
  page.writeBigUInt64LE(descriptor.leadingBytes, 0);
  page.set(sector.data, 8);
  page.writeUInt32LE(descriptor.trailingBytes, LOG_SECTOR_SIZE - 4);
  return page;
}
