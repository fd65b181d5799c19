import { describe, expect, it } from 'vitest';
import {
  batEntryCodec,
  fileIdentifierCodec,
  fileParametersCodec,
  headerCodec,
  logDataSectorCodec,
  logDescriptorCodec,
  logEntryHeaderCodec,
  metadataTableCodec,
  parentLocatorCodec,
  regionTableCodec,
  logSectorContent,
} from '../../../../electron/engine/disk/vhdx/vhdx-structs.js';
import { descriptorSectors } from '../../../../electron/engine/disk/vhdx/vhdx-log.js';
import {
  batGeometry,
  bitmapEntryIndex,
  payloadEntryIndex,
} from '../../../../electron/engine/disk/vhdx/vhdx-bat.js';
import { seededBytes } from '../../../helpers/scratch.js';

const G1 = '0123abcd-4567-89ef-0123-456789abcdef';
const G2 = 'fedcba98-7654-3210-fedc-ba9876543210';

/** Encodes into a buffer with junk around it, then decodes from the same offset. */
function roundTrip<T>(
  codec: {
    len: number;
    get(b: Uint8Array, o?: number): T;
    put(b: Uint8Array, o: number, v: T): void;
  },
  value: T,
): T {
  const buffer = Buffer.alloc(codec.len + 24, 0xee);
  codec.put(buffer, 8, value);
  expect(buffer.subarray(0, 8).every((b) => b === 0xee)).toBe(true);
  return codec.get(buffer, 8);
}

describe('VHDX codecs round-trip', () => {
  it('file identifier', () => {
    const value = { signature: 'vhdxfile', creator: 'Tessera ✓ 1.0' };
    expect(roundTrip(fileIdentifierCodec, value)).toEqual(value);
  });

  it('header, with 64-bit fields beyond 2^53', () => {
    const value = {
      signature: 'head',
      checksum: 0xdeadbeef,
      sequenceNumber: 0xfedc_ba98_7654_3210n,
      fileWriteGuid: G1,
      dataWriteGuid: G2,
      logGuid: G1,
      logVersion: 0,
      version: 1,
      logLength: 1 << 20,
      logOffset: 0x1_0000_0000_0000n,
    };
    expect(roundTrip(headerCodec, value)).toEqual(value);
  });

  it('region table', () => {
    const value = {
      signature: 'regi',
      checksum: 7,
      entryCount: 2,
      entries: [
        { guid: G1, fileOffset: 3n << 20n, length: 1 << 20, required: true },
        { guid: G2, fileOffset: 1n << 45n, length: 64 << 20, required: false },
      ],
    };
    expect(roundTrip(regionTableCodec, value)).toEqual(value);
  });

  it('metadata table', () => {
    const value = {
      signature: 'metadata',
      entryCount: 2,
      entries: [
        {
          itemId: G1,
          offset: 65536,
          length: 8,
          isUser: false,
          isVirtualDisk: true,
          isRequired: true,
        },
        {
          itemId: G2,
          offset: 69632,
          length: 300,
          isUser: true,
          isVirtualDisk: false,
          isRequired: false,
        },
      ],
    };
    expect(roundTrip(metadataTableCodec, value)).toEqual(value);
  });

  it('file parameters', () => {
    const value = { blockSize: 32 << 20, leaveBlockAllocated: true, hasParent: true };
    expect(roundTrip(fileParametersCodec, value)).toEqual(value);
  });

  it('BAT entry: state in bits 0..2, FileOffsetMB in bits 20..63', () => {
    for (const value of [
      { state: 6, fileOffsetMB: 0xfff_ffff_ffffn },
      { state: 7, fileOffsetMB: 3n },
      { state: 0, fileOffsetMB: 0n },
    ]) {
      expect(roundTrip(batEntryCodec, value)).toEqual(value);
    }
    const bytes = Buffer.alloc(8);
    batEntryCodec.put(bytes, 0, { state: 6, fileOffsetMB: 5n });
    expect(bytes.readBigUInt64LE(0)).toBe((5n << 20n) | 6n);
  });

  it('parent locator', () => {
    const value = {
      locatorType: G1,
      entries: [
        ['parent_linkage', `{${G2}}`],
        ['relative_path', '.\\base.vhdx'],
        ['absolute_win32_path', 'C:\\VMs\\ünïcode\\base.vhdx'],
      ] as Array<[string, string]>,
    };
    expect(parentLocatorCodec.get(parentLocatorCodec.put(value))).toEqual(value);
    // An entry pointing past the item is reported, not read out of bounds.
    const broken = parentLocatorCodec.put(value);
    broken.writeUInt32LE(broken.byteLength, 20 + 4);
    expect(parentLocatorCodec.get(broken)).toBeNull();
  });

  it('log entry header, descriptors and data sector', () => {
    const header = {
      signature: 'loge',
      checksum: 1,
      entryLength: 8192,
      tail: 4096,
      sequenceNumber: 0x1_0000_0001n,
      descriptorCount: 2,
      logGuid: G2,
      flushedFileOffset: 5n << 20n,
      lastFileOffset: 6n << 20n,
    };
    expect(roundTrip(logEntryHeaderCodec, header)).toEqual(header);
    const data = {
      signature: 'desc',
      trailingBytes: 0xaabbccdd,
      leadingBytes: 0x1122_3344_5566_7788n,
      zeroLength: 0n,
      fileOffset: 3n << 20n,
      sequenceNumber: 9n,
    };
    expect(roundTrip(logDescriptorCodec, data)).toEqual(data);
    const zero = {
      ...data,
      signature: 'zero',
      trailingBytes: 0,
      leadingBytes: 0n,
      zeroLength: 1n << 33n,
    };
    expect(roundTrip(logDescriptorCodec, zero)).toEqual(zero);
    const page = seededBytes(4, 4096);
    const sector = {
      signature: 'data',
      sequenceNumber: 0xabcd_0000_1234n,
      data: page.subarray(8, 4092),
    };
    const decoded = roundTrip(logDataSectorCodec, sector);
    expect({ ...decoded, data: Buffer.from(decoded.data) }).toEqual({
      ...sector,
      data: Buffer.from(sector.data),
    });
    // Leading 8 bytes and trailing 4 live in the descriptor: together they rebuild the page.
    const descriptor = {
      ...data,
      leadingBytes: page.readBigUInt64LE(0),
      trailingBytes: page.readUInt32LE(4092),
    };
    expect(logSectorContent(descriptor, decoded)).toEqual(page);
  });

  it('geometry: chunk ratio, interleaving and BAT size follow the spec', () => {
    const g = batGeometry(10 * 2 ** 30, 32 << 20, 512, false);
    expect(g.chunkRatio).toBe(128);
    expect(g.dataBlocks).toBe(320);
    expect(g.totalEntries).toBe(320 + 2);
    expect(payloadEntryIndex(128, 128)).toBe(129);
    expect(bitmapEntryIndex(0, 128)).toBe(128);
    const d = batGeometry(10 * 2 ** 30, 32 << 20, 512, true);
    expect(d.totalEntries).toBe(3 * 129);
    expect(batGeometry(2 ** 30, 1 << 20, 4096, false).chunkRatio).toBe(32768);
    expect(descriptorSectors(0)).toBe(1);
    expect(descriptorSectors(126)).toBe(1);
    expect(descriptorSectors(127)).toBe(2);
  });
});
