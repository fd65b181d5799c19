import { describe, expect, it } from 'vitest';
import {
  DISK_TYPE,
  FOOTER_CHECKSUM_OFFSET,
  HEADER_CHECKSUM_OFFSET,
  PLATFORM,
  bitmapSizeOf,
  chsGeometry,
  dynamicHeaderCodec,
  encodeDynamicHeader,
  encodeFooter,
  footerCodec,
  vhdChecksum,
  type DynamicHeader,
  type VhdFooter,
} from '../../../../electron/engine/disk/vhd/vhd-structs.js';
import { virtualSizeOf } from '../../../../electron/engine/disk/vhd/vhd-format.js';
import { coveringGeometry } from '../../../../electron/engine/disk/vhd/vhd-writer.js';

const footer: VhdFooter = {
  cookie: 'conectix',
  features: 2,
  formatVersion: 0x10000,
  dataOffset: 0x1234_5678_9abc_def0n,
  timestamp: 0xfedc_ba98,
  creatorApplication: 'tap\0',
  creatorVersion: 0x0005_0003,
  creatorHostOs: 'Wi2k',
  originalSize: 0x0000_01ff_0000_0200n,
  currentSize: 0x0000_01fe_0000_0400n,
  cylinders: 65535,
  heads: 16,
  sectorsPerTrack: 255,
  diskType: DISK_TYPE.differencing,
  checksum: 0xdead_beef,
  uniqueId: '00112233-4455-6677-8899-aabbccddeeff',
  savedState: 1,
};

const header: DynamicHeader = {
  cookie: 'cxsparse',
  dataOffset: 0xffff_ffff_ffff_ffffn,
  tableOffset: 1536n,
  headerVersion: 0x10000,
  maxTableEntries: 0x8000_0001,
  blockSize: 2 * 1024 * 1024,
  checksum: 0x0102_0304,
  parentUniqueId: 'ffeeddcc-bbaa-9988-7766-554433221100',
  parentTimestamp: 0x8000_0000,
  parentUnicodeName: 'Disque père ✓.vhd',
  parentLocators: Array.from({ length: 8 }, (_, i) => ({
    platformCode: i === 0 ? PLATFORM.W2ru : i === 1 ? PLATFORM.W2ku : 0,
    platformDataSpace: i * 512,
    platformDataLength: 0xffff_fff0 + i,
    platformDataOffset: BigInt(i) << 40n,
  })),
};

describe('VHD structure codecs', () => {
  it('round-trips the footer field by field', () => {
    const bytes = Buffer.alloc(600, 0xaa);
    footerCodec.put(bytes, 40, footer);
    expect(footerCodec.get(bytes, 40)).toEqual(footer);
    expect(bytes.toString('latin1', 40, 48)).toBe('conectix');
    expect(bytes.readUInt32BE(40 + 60)).toBe(4); // big-endian disk type
  });

  it('round-trips the dynamic header, with the parent name in UTF-16BE', () => {
    const bytes = Buffer.alloc(1024);
    dynamicHeaderCodec.put(bytes, 0, header);
    expect(dynamicHeaderCodec.get(bytes)).toEqual(header);
    expect(bytes.readUInt16BE(64)).toBe('D'.charCodeAt(0));
  });

  it('seals each structure with a checksum that verifies, and a changed byte breaks it', () => {
    const sealedFooter = encodeFooter(footer);
    const storedF = sealedFooter.readUInt32BE(FOOTER_CHECKSUM_OFFSET);
    expect(vhdChecksum(sealedFooter, FOOTER_CHECKSUM_OFFSET)).toBe(storedF);
    sealedFooter[20]! ^= 1;
    expect(vhdChecksum(sealedFooter, FOOTER_CHECKSUM_OFFSET)).not.toBe(storedF);

    const sealedHeader = encodeDynamicHeader(header);
    const storedH = sealedHeader.readUInt32BE(HEADER_CHECKSUM_OFFSET);
    expect(vhdChecksum(sealedHeader, HEADER_CHECKSUM_OFFSET)).toBe(storedH);
  });

  it('computes the checksum as qemu does (one’s complement of the byte sum)', () => {
    const bytes = Buffer.alloc(512);
    bytes[0] = 1;
    bytes[511] = 2;
    expect(vhdChecksum(bytes, 64)).toBe(~3 >>> 0);
  });

  it('computes the specification’s CHS geometry', () => {
    // Values qemu-img writes (qemu uses the same algorithm).
    expect(chsGeometry(20536)).toEqual({ cylinders: 302, heads: 4, sectorsPerTrack: 17 });
    expect(chsGeometry(64 * 2048)).toEqual({ cylinders: 963, heads: 8, sectorsPerTrack: 17 });
    expect(chsGeometry(2 ** 40)).toEqual({ cylinders: 65535, heads: 16, sectorsPerTrack: 255 });
    const g = chsGeometry(100 * 1024 * 2048);
    expect(g.cylinders * g.heads * g.sectorsPerTrack).toBeLessThanOrEqual(100 * 1024 * 2048);
  });

  it('sizes sector bitmaps to whole sectors', () => {
    expect(bitmapSizeOf(2 * 1024 * 1024)).toBe(512);
    expect(bitmapSizeOf(512 * 1024)).toBe(512);
    expect(bitmapSizeOf(32 * 1024 * 1024)).toBe(8192);
  });

  it('sizes the disk by CHS for "vpc " and "qemu", by current_size otherwise', () => {
    const chs = {
      ...footer,
      cylinders: 302,
      heads: 4,
      sectorsPerTrack: 17,
      currentSize: 10n << 20n,
    };
    expect(virtualSizeOf('x', { ...chs, creatorApplication: 'qemu' })).toBe(20536 * 512);
    expect(virtualSizeOf('x', { ...chs, creatorApplication: 'vpc ' })).toBe(20536 * 512);
    expect(virtualSizeOf('x', { ...chs, creatorApplication: 'win ' })).toBe(10 << 20);
    expect(virtualSizeOf('x', { ...chs, creatorApplication: 'tess' })).toBe(10 << 20);
    // The maximum geometry means "look at current_size" for every creator.
    const max = { ...footer, creatorApplication: 'qemu' };
    expect(virtualSizeOf('x', { ...max, currentSize: 1n << 40n })).toBe(2 ** 40);
    expect(virtualSizeOf('x', { ...max, currentSize: 2040n << 30n })).toBe(2040 * 2 ** 30);
    expect(() => virtualSizeOf('x', { ...max, currentSize: (2040n << 30n) + 512n })).toThrow(
      expect.objectContaining({ code: 'DISK_TOO_LARGE' }),
    );
  });

  it('rounds dynamic sizes up to what CHS covers, as qemu-img does', () => {
    // qemu-img create -f vpc x.vhd 10M writes 302/4/17 and 20536 sectors.
    expect(coveringGeometry(10 * 1024 * 1024)).toEqual({
      size: 20536 * 512,
      geometry: { cylinders: 302, heads: 4, sectorsPerTrack: 17 },
    });
    const big = 200 * 2 ** 30;
    expect(coveringGeometry(big)).toEqual({
      size: big,
      geometry: { cylinders: 65535, heads: 16, sectorsPerTrack: 255 },
    });
  });
});
