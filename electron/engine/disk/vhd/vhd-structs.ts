/**
 * On-disk structures of the VHD format (Microsoft "Virtual Hard Disk Image Format
 * Specification" v1.0): the 512-byte footer and the 1024-byte dynamic disk header, one codec
 * each over a DataView. Every field is big-endian; 64-bit fields are bigint.
 */

export const SECTOR_SIZE = 512;
export const FOOTER_SIZE = 512;
export const DYNAMIC_HEADER_SIZE = 1024;
export const FOOTER_COOKIE = 'conectix';
export const DYNAMIC_HEADER_COOKIE = 'cxsparse';
/** Format version of both structures (1.0). */
export const VHD_VERSION = 0x0001_0000;
/** Footer `features`: bit 1 is reserved and the specification says it is always set. */
export const FEATURES_RESERVED = 0x2;
/** "No next structure" as Hyper-V and qemu write it (the specification shows 32 bits set). */
export const NO_DATA_OFFSET = 0xffff_ffff_ffff_ffffn;
export const UNALLOCATED = 0xffff_ffff;

export const DISK_TYPE = { fixed: 2, dynamic: 3, differencing: 4 } as const;

/** The size qemu refuses to go beyond (0xff000000 sectors, 2040 GiB); Hyper-V stops there too. */
export const MAX_VIRTUAL_SIZE = 0xff00_0000 * SECTOR_SIZE;
/** Cylinders × heads × sectors of the largest CHS geometry (65535/16/255). */
export const MAX_CHS_SECTORS = 65535 * 16 * 255;
/** VHD timestamps count seconds from 2000-01-01T00:00:00Z. */
export const VHD_EPOCH_SECONDS = 946_684_800;

/** Parent locator platform codes (four ASCII characters stored as a u32). */
export const PLATFORM = {
  none: 0,
  /** Windows relative path, UTF-16LE. */
  W2ru: 0x5732_7275,
  /** Windows absolute path, UTF-16LE. */
  W2ku: 0x5732_6b75,
  /** Deprecated Windows relative and absolute paths, single-byte text. */
  Wi2r: 0x5769_3272,
  Wi2k: 0x5769_326b,
  /** Mac OS alias record (a binary blob, not a path). */
  Mac: 0x4d61_6320,
  /** Mac OS X file URL, UTF-8. */
  MacX: 0x4d61_6358,
} as const;

export interface VhdFooter {
  readonly cookie: string;
  readonly features: number;
  readonly formatVersion: number;
  readonly dataOffset: bigint;
  readonly timestamp: number;
  /** Four bytes, kept as latin1 text so "tap\0" and "wa\0\0" survive. */
  readonly creatorApplication: string;
  readonly creatorVersion: number;
  readonly creatorHostOs: string;
  readonly originalSize: bigint;
  readonly currentSize: bigint;
  readonly cylinders: number;
  readonly heads: number;
  readonly sectorsPerTrack: number;
  readonly diskType: number;
  readonly checksum: number;
  readonly uniqueId: string;
  readonly savedState: number;
}

export interface ParentLocatorEntry {
  readonly platformCode: number;
  readonly platformDataSpace: number;
  readonly platformDataLength: number;
  readonly platformDataOffset: bigint;
}

export interface DynamicHeader {
  readonly cookie: string;
  readonly dataOffset: bigint;
  readonly tableOffset: bigint;
  readonly headerVersion: number;
  readonly maxTableEntries: number;
  readonly blockSize: number;
  readonly checksum: number;
  readonly parentUniqueId: string;
  readonly parentTimestamp: number;
  /** UTF-16BE on disk, at most 256 characters. */
  readonly parentUnicodeName: string;
  /** Always eight entries. */
  readonly parentLocators: readonly ParentLocatorEntry[];
}

function viewOf(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function ascii(bytes: Uint8Array, offset: number, length: number): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset + offset, length).toString('latin1');
}

function putAscii(bytes: Uint8Array, offset: number, length: number, text: string): void {
  const encoded = Buffer.from(text, 'latin1');
  bytes.fill(0, offset, offset + length);
  bytes.set(encoded.subarray(0, length), offset);
}

/**
 * VHD unique ids are 16 bytes shown in stored order (RFC 4122 big-endian), as libvhdi and qemu
 * show them; unlike VHDX, the Windows little-endian GUID layout does not apply.
 */
export function readUuid(bytes: Uint8Array, offset: number): string {
  const hex = Buffer.from(bytes.buffer, bytes.byteOffset + offset, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export function writeUuid(bytes: Uint8Array, offset: number, uuid: string): void {
  const hex = uuid.replace(/[{}-]/g, '');
  if (!/^[0-9a-f]{32}$/i.test(hex)) throw new TypeError(`not a UUID: ${uuid}`);
  bytes.set(Buffer.from(hex, 'hex'), offset);
}

/** The VHD checksum: one's complement of the byte sum, with the checksum field counted as 0. */
export function vhdChecksum(structure: Uint8Array, checksumOffset: number): number {
  let sum = 0;
  for (let i = 0; i < structure.byteLength; i++) {
    if (i < checksumOffset || i >= checksumOffset + 4) sum += structure[i]!;
  }
  return ~sum >>> 0;
}

export const FOOTER_CHECKSUM_OFFSET = 64;
export const HEADER_CHECKSUM_OFFSET = 36;

export const footerCodec = {
  len: FOOTER_SIZE,
  get(bytes: Uint8Array, offset = 0): VhdFooter {
    const b = bytes.subarray(offset, offset + FOOTER_SIZE);
    const v = viewOf(b);
    return {
      cookie: ascii(b, 0, 8),
      features: v.getUint32(8),
      formatVersion: v.getUint32(12),
      dataOffset: v.getBigUint64(16),
      timestamp: v.getUint32(24),
      creatorApplication: ascii(b, 28, 4),
      creatorVersion: v.getUint32(32),
      creatorHostOs: ascii(b, 36, 4),
      originalSize: v.getBigUint64(40),
      currentSize: v.getBigUint64(48),
      cylinders: v.getUint16(56),
      heads: v.getUint8(58),
      sectorsPerTrack: v.getUint8(59),
      diskType: v.getUint32(60),
      checksum: v.getUint32(64),
      uniqueId: readUuid(b, 68),
      savedState: v.getUint8(84),
    };
  },
  put(bytes: Uint8Array, offset: number, f: VhdFooter): void {
    const b = bytes.subarray(offset, offset + FOOTER_SIZE);
    const v = viewOf(b);
    b.fill(0);
    putAscii(b, 0, 8, f.cookie);
    v.setUint32(8, f.features);
    v.setUint32(12, f.formatVersion);
    v.setBigUint64(16, f.dataOffset);
    v.setUint32(24, f.timestamp);
    putAscii(b, 28, 4, f.creatorApplication);
    v.setUint32(32, f.creatorVersion);
    putAscii(b, 36, 4, f.creatorHostOs);
    v.setBigUint64(40, f.originalSize);
    v.setBigUint64(48, f.currentSize);
    v.setUint16(56, f.cylinders);
    v.setUint8(58, f.heads);
    v.setUint8(59, f.sectorsPerTrack);
    v.setUint32(60, f.diskType);
    v.setUint32(64, f.checksum);
    writeUuid(b, 68, f.uniqueId);
    v.setUint8(84, f.savedState);
  },
};

const PARENT_NAME_OFFSET = 64;
const PARENT_NAME_BYTES = 512;
const LOCATORS_OFFSET = 576;
const LOCATOR_SIZE = 24;
export const LOCATOR_COUNT = 8;

export const dynamicHeaderCodec = {
  len: DYNAMIC_HEADER_SIZE,
  get(bytes: Uint8Array, offset = 0): DynamicHeader {
    const b = bytes.subarray(offset, offset + DYNAMIC_HEADER_SIZE);
    const v = viewOf(b);
    const parentLocators: ParentLocatorEntry[] = [];
    for (let i = 0; i < LOCATOR_COUNT; i++) {
      const at = LOCATORS_OFFSET + i * LOCATOR_SIZE;
      parentLocators.push({
        platformCode: v.getUint32(at),
        platformDataSpace: v.getUint32(at + 4),
        platformDataLength: v.getUint32(at + 8),
        platformDataOffset: v.getBigUint64(at + 16),
      });
    }
    return {
      cookie: ascii(b, 0, 8),
      dataOffset: v.getBigUint64(8),
      tableOffset: v.getBigUint64(16),
      headerVersion: v.getUint32(24),
      maxTableEntries: v.getUint32(28),
      blockSize: v.getUint32(32),
      checksum: v.getUint32(36),
      parentUniqueId: readUuid(b, 40),
      parentTimestamp: v.getUint32(56),
      parentUnicodeName: decodeUtf16(
        b.subarray(PARENT_NAME_OFFSET, PARENT_NAME_OFFSET + PARENT_NAME_BYTES),
        'be',
      ),
      parentLocators,
    };
  },
  put(bytes: Uint8Array, offset: number, h: DynamicHeader): void {
    const b = bytes.subarray(offset, offset + DYNAMIC_HEADER_SIZE);
    const v = viewOf(b);
    b.fill(0);
    putAscii(b, 0, 8, h.cookie);
    v.setBigUint64(8, h.dataOffset);
    v.setBigUint64(16, h.tableOffset);
    v.setUint32(24, h.headerVersion);
    v.setUint32(28, h.maxTableEntries);
    v.setUint32(32, h.blockSize);
    v.setUint32(36, h.checksum);
    writeUuid(b, 40, h.parentUniqueId);
    v.setUint32(56, h.parentTimestamp);
    const name = encodeUtf16(h.parentUnicodeName, 'be');
    if (name.byteLength > PARENT_NAME_BYTES) {
      throw new RangeError(`parent name is longer than ${PARENT_NAME_BYTES / 2} UTF-16 units`);
    }
    b.set(name, PARENT_NAME_OFFSET);
    if (h.parentLocators.length > LOCATOR_COUNT) throw new RangeError('at most 8 parent locators');
    h.parentLocators.forEach((locator, i) => {
      const at = LOCATORS_OFFSET + i * LOCATOR_SIZE;
      v.setUint32(at, locator.platformCode);
      v.setUint32(at + 4, locator.platformDataSpace);
      v.setUint32(at + 8, locator.platformDataLength);
      v.setBigUint64(at + 16, locator.platformDataOffset);
    });
  },
};

/** Encodes a structure and stores its checksum, so what is written always verifies. */
export function encodeFooter(footer: Omit<VhdFooter, 'checksum'>): Buffer {
  const bytes = Buffer.alloc(FOOTER_SIZE);
  footerCodec.put(bytes, 0, { ...footer, checksum: 0 });
  bytes.writeUInt32BE(vhdChecksum(bytes, FOOTER_CHECKSUM_OFFSET), FOOTER_CHECKSUM_OFFSET);
  return bytes;
}

export function encodeDynamicHeader(header: Omit<DynamicHeader, 'checksum'>): Buffer {
  const bytes = Buffer.alloc(DYNAMIC_HEADER_SIZE);
  dynamicHeaderCodec.put(bytes, 0, { ...header, checksum: 0 });
  bytes.writeUInt32BE(vhdChecksum(bytes, HEADER_CHECKSUM_OFFSET), HEADER_CHECKSUM_OFFSET);
  return bytes;
}

/** UTF-16 text up to the first NUL. */
export function decodeUtf16(bytes: Uint8Array, endian: 'le' | 'be'): string {
  const copy = Buffer.from(bytes.subarray(0, bytes.byteLength & ~1));
  if (endian === 'be') copy.swap16();
  const text = copy.toString('utf16le');
  const nul = text.indexOf('\0');
  return nul < 0 ? text : text.slice(0, nul);
}

export function encodeUtf16(text: string, endian: 'le' | 'be'): Buffer {
  const bytes = Buffer.from(text, 'utf16le');
  return endian === 'be' ? bytes.swap16() : bytes;
}

/** Bytes of the sector bitmap in front of each block: one bit per sector, padded to a sector. */
export function bitmapSizeOf(blockSize: number): number {
  return Math.ceil(blockSize / SECTOR_SIZE / 8 / SECTOR_SIZE) * SECTOR_SIZE;
}

export interface ChsGeometry {
  readonly cylinders: number;
  readonly heads: number;
  readonly sectorsPerTrack: number;
}

/**
 * The specification's CHS algorithm (appendix "CHS Calculation"). The product may fall short
 * of the size: readers that trust the geometry ("vpc ", "qemu") see a slightly smaller disk.
 */
export function chsGeometry(totalSectors: number): ChsGeometry {
  const total = Math.min(totalSectors, MAX_CHS_SECTORS);
  let sectorsPerTrack: number;
  let heads: number;
  let cylinderTimesHeads: number;
  if (total >= 65535 * 16 * 63) {
    sectorsPerTrack = 255;
    heads = 16;
    cylinderTimesHeads = Math.floor(total / sectorsPerTrack);
  } else {
    sectorsPerTrack = 17;
    cylinderTimesHeads = Math.floor(total / sectorsPerTrack);
    heads = Math.max(4, Math.floor((cylinderTimesHeads + 1023) / 1024));
    if (cylinderTimesHeads >= heads * 1024 || heads > 16) {
      sectorsPerTrack = 31;
      heads = 16;
      cylinderTimesHeads = Math.floor(total / sectorsPerTrack);
    }
    if (cylinderTimesHeads >= heads * 1024) {
      sectorsPerTrack = 63;
      heads = 16;
      cylinderTimesHeads = Math.floor(total / sectorsPerTrack);
    }
  }
  return { cylinders: Math.floor(cylinderTimesHeads / heads), heads, sectorsPerTrack };
}
