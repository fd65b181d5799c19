/**
 * Damaged and hostile VHDX files: each test mutates a valid qemu-made image (resealing the
 * checksums where the mutation is meant to get past them) and expects the specific DiskError.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { openDisk } from '../../../../electron/engine/disk/open.js';
import { crc32cWithZeroedField } from '../../../../electron/engine/disk/io/checksum.js';
import { ImageFile } from '../../../../electron/engine/disk/io/file.js';
import { randomGuid } from '../../../../electron/engine/disk/io/guid.js';
import {
  HEADER_OFFSETS,
  HEADER_SIZE,
  METADATA,
  REGION,
  REGION_TABLE_OFFSETS,
  REGION_TABLE_SIZE,
} from '../../../../electron/engine/disk/vhdx/vhdx-constants.js';
import {
  readCurrentHeader,
  readLayout,
  type VhdxLayout,
} from '../../../../electron/engine/disk/vhdx/vhdx-layout.js';
import {
  CHECKSUM_OFFSET,
  batEntryCodec,
  headerCodec,
  metadataTableCodec,
  regionTableCodec,
  type MetadataEntry,
  type RegionEntry,
  type VhdxHeader,
} from '../../../../electron/engine/disk/vhdx/vhdx-structs.js';
import type { ErrorCode } from '../../../../shared/errors.js';
import { sha256OfDisk } from '../../../helpers/disk.js';
import { scratchDir } from '../../../helpers/scratch.js';
import { createDifferencingVhdx } from '../../../fixtures/vhdx-differencing.js';
import { MiB, qemuVhdx, seededWrites } from '../../../fixtures/vhdx-images.js';

let dir: string;
let cleanup: () => Promise<void>;
let valid: string;
let image: Buffer;
let layout: VhdxLayout;

beforeAll(async () => {
  ({ dir, cleanup } = await scratchDir('tessera-vhdx-bad-'));
  valid = await qemuVhdx(
    dir,
    'valid.vhdx',
    8 * MiB,
    seededWrites([
      [0, 4096, 1],
      [3 * MiB, 4096, 2],
      [8 * MiB - 4096, 4096, 3],
    ]),
    ['block_size=1M'],
  );
  image = await readFile(valid);
  const file = await ImageFile.open(valid);
  layout = await readLayout(file, await readCurrentHeader(file));
  await file.close();
});
afterAll(() => cleanup());

let count = 0;
async function mutated(change: (bytes: Buffer) => void, reseal = true): Promise<string> {
  const bytes = Buffer.from(image);
  change(bytes);
  if (reseal) {
    for (const offset of [...HEADER_OFFSETS]) seal(bytes.subarray(offset, offset + HEADER_SIZE));
    for (const offset of REGION_TABLE_OFFSETS)
      seal(bytes.subarray(offset, offset + REGION_TABLE_SIZE));
  }
  const file = path.join(dir, `bad-${count++}.vhdx`);
  await writeFile(file, bytes);
  return file;
}

function seal(structure: Buffer): void {
  structure.writeUInt32LE(crc32cWithZeroedField(structure, CHECKSUM_OFFSET), CHECKSUM_OFFSET);
}

async function expectError(file: string, code: ErrorCode, detail?: RegExp): Promise<void> {
  const error = await openDisk(file).then(
    async (disk) => {
      await disk.close();
      return null;
    },
    (e: unknown) => e,
  );
  expect(error, `expected ${code}`).toMatchObject({ code, path: file });
  if (detail) expect((error as Error).message).toMatch(detail);
}

async function expectReadable(file: string): Promise<void> {
  const disk = await openDisk(file);
  await sha256OfDisk(disk);
  await disk.close();
}

const editHeaders = (bytes: Buffer, edit: (h: VhdxHeader, i: number) => VhdxHeader): void =>
  HEADER_OFFSETS.forEach((offset, i) =>
    headerCodec.put(bytes, offset, edit(headerCodec.get(bytes, offset), i)),
  );

const editRegions = (bytes: Buffer, edit: (entries: RegionEntry[]) => RegionEntry[]): void => {
  for (const offset of REGION_TABLE_OFFSETS) {
    const table = regionTableCodec.get(bytes, offset);
    const entries = edit([...table.entries]);
    regionTableCodec.put(bytes, offset, { ...table, entryCount: entries.length, entries });
  }
};

const editMetadata = (bytes: Buffer, edit: (entries: MetadataEntry[]) => MetadataEntry[]): void => {
  const at = layout.metadataRegion.offset;
  const table = metadataTableCodec.get(bytes, at);
  const entries = edit([...table.entries]);
  metadataTableCodec.put(bytes, at, { ...table, entryCount: entries.length, entries });
};

const itemOffset = (id: string): number =>
  layout.metadataRegion.offset +
  metadataTableCodec.get(image, layout.metadataRegion.offset).entries.find((e) => e.itemId === id)!
    .offset;

/** The BAT entry of payload block `block` (1 MiB blocks, chunk ratio 4096: no bitmap entries here). */
const batAt = (block: number): number => layout.bat.offset + block * 8;

describe('VHDX bad input', () => {
  it('rejects truncated files', async () => {
    const short = path.join(dir, 'short.vhdx');
    await writeFile(short, image.subarray(0, 200 * 1024));
    await expectError(short, 'DISK_TRUNCATED');
    const cut = path.join(dir, 'cut.vhdx');
    await writeFile(cut, image.subarray(0, image.byteLength - 512 * 1024));
    await expectError(cut, 'DISK_TRUNCATED', /payload block|ends past/);
  });

  it('rejects a wrong file identifier', async () => {
    await expectError(await mutated((b) => b.write('vhdxfilX', 0, 'latin1')), 'DISK_BAD_SIGNATURE');
  });

  it('checks the headers: signature, checksum, version, sequence numbers', async () => {
    await expectError(
      await mutated((b) => HEADER_OFFSETS.forEach((o) => b.write('heaX', o, 'latin1')), false),
      'DISK_BAD_SIGNATURE',
    );
    await expectError(
      await mutated((b) => HEADER_OFFSETS.forEach((o) => (b[o + 100]! ^= 1)), false),
      'DISK_BAD_CHECKSUM',
    );
    await expectError(
      await mutated((b) => editHeaders(b, (h) => ({ ...h, version: 2 }))),
      'DISK_UNSUPPORTED',
    );
    await expectError(
      await mutated((b) => editHeaders(b, (h) => ({ ...h, sequenceNumber: 5n }))),
      'DISK_CORRUPT',
      /sequence number/,
    );
    // One damaged header is survivable: the other one is used.
    await expectReadable(await mutated((b) => (b[HEADER_OFFSETS[0] + 100]! ^= 1), false));
    await expectReadable(await mutated((b) => (b[HEADER_OFFSETS[1] + 100]! ^= 1), false));
  });

  it('picks the header with the larger sequence number', async () => {
    // Make the stale header point at a bogus log: only the current one may be used.
    const file = await mutated((b) =>
      editHeaders(b, (h, i) => ({
        ...h,
        sequenceNumber: i === 0 ? 100n : 99n,
        logGuid: i === 1 ? randomGuid() : h.logGuid,
        logOffset: i === 1 ? 12345n : h.logOffset,
      })),
    );
    await expectReadable(file);
  });

  it('checks the region table', async () => {
    await expectError(
      await mutated((b) => REGION_TABLE_OFFSETS.forEach((o) => (b[o + 20]! ^= 1)), false),
      'DISK_BAD_CHECKSUM',
    );
    await expectReadable(await mutated((b) => (b[REGION_TABLE_OFFSETS[0] + 20]! ^= 1), false));
    const region = (guid: string, change: Partial<RegionEntry>) => (entries: RegionEntry[]) =>
      entries.map((e) => (e.guid === guid ? { ...e, ...change } : e));
    await expectError(
      await mutated((b) => editRegions(b, region(REGION.bat, { fileOffset: 1n << 40n }))),
      'DISK_TRUNCATED',
    );
    await expectError(
      await mutated((b) =>
        editRegions(b, region(REGION.bat, { fileOffset: BigInt(layout.bat.offset + 4096) })),
      ),
      'DISK_CORRUPT',
      /aligned/,
    );
    await expectError(
      await mutated((b) =>
        editRegions(b, region(REGION.metadata, { fileOffset: BigInt(layout.bat.offset) })),
      ),
      'DISK_CORRUPT',
      /overlaps/,
    );
    await expectError(
      await mutated((b) => editRegions(b, region(REGION.bat, { fileOffset: 0n }))),
      'DISK_CORRUPT',
      /header section/,
    );
    await expectError(
      await mutated((b) =>
        editRegions(b, region(REGION.bat, { guid: randomGuid(), required: false })),
      ),
      'DISK_CORRUPT',
      /no BAT region/,
    );
    await expectError(
      await mutated((b) =>
        editRegions(b, (entries) => [
          ...entries,
          {
            guid: randomGuid(),
            fileOffset: BigInt(image.byteLength - MiB),
            length: MiB,
            required: true,
          },
        ]),
      ),
      'DISK_UNSUPPORTED',
    );
    await expectError(
      await mutated((b) => REGION_TABLE_OFFSETS.forEach((o) => b.writeUInt32LE(5000, o + 8))),
      'DISK_CORRUPT',
      /entries/,
    );
  });

  it('checks the metadata table and items', async () => {
    const item = (id: string, change: Partial<MetadataEntry>) => (entries: MetadataEntry[]) =>
      entries.map((e) => (e.itemId === id ? { ...e, ...change } : e));
    await expectError(
      await mutated((b) => b.write('metadatX', layout.metadataRegion.offset, 'latin1')),
      'DISK_BAD_SIGNATURE',
    );
    await expectError(
      await mutated((b) =>
        editMetadata(
          b,
          item(METADATA.virtualDiskSize, { offset: layout.metadataRegion.length - 4 }),
        ),
      ),
      'DISK_CORRUPT',
      /outside the metadata region/,
    );
    await expectError(
      await mutated((b) => editMetadata(b, item(METADATA.virtualDiskSize, { offset: 100 }))),
      'DISK_CORRUPT',
      /outside the metadata region/,
    );
    const fileParameters = itemOffset(METADATA.fileParameters) - layout.metadataRegion.offset;
    await expectError(
      await mutated((b) =>
        editMetadata(b, item(METADATA.virtualDiskSize, { offset: fileParameters + 4 })),
      ),
      'DISK_CORRUPT',
      /overlaps/,
    );
    await expectError(
      await mutated((b) =>
        editMetadata(
          b,
          item(METADATA.virtualDiskSize, { itemId: randomGuid(), isRequired: false }),
        ),
      ),
      'DISK_CORRUPT',
      /virtual disk size is missing/,
    );
    await expectError(
      await mutated((b) =>
        editMetadata(b, item(METADATA.virtualDiskSize, { itemId: randomGuid(), isRequired: true })),
      ),
      'DISK_UNSUPPORTED',
    );
  });

  it('rejects absurd sizes', async () => {
    const blockSize = itemOffset(METADATA.fileParameters);
    const size = itemOffset(METADATA.virtualDiskSize);
    const logical = itemOffset(METADATA.logicalSectorSize);
    await expectError(
      await mutated((b) => b.writeUInt32LE(3 * MiB, blockSize)),
      'DISK_TOO_LARGE',
      /block size/,
    );
    await expectError(
      await mutated((b) => b.writeUInt32LE(512 * MiB, blockSize)),
      'DISK_TOO_LARGE',
      /block size/,
    );
    await expectError(
      await mutated((b) => b.writeBigUInt64LE(65n << 40n, size)),
      'DISK_TOO_LARGE',
      /64 TiB/,
    );
    await expectError(
      await mutated((b) => b.writeUInt32LE(1024, logical)),
      'DISK_CORRUPT',
      /sector size/,
    );
    // 1 TiB of 1 MiB blocks needs an 8 MiB BAT; the region is 1 MiB.
    await expectError(
      await mutated((b) => b.writeBigUInt64LE(1n << 40n, size)),
      'DISK_CORRUPT',
      /BAT region cannot hold/,
    );
  });

  it('checks BAT entries', async () => {
    const entry = (block: number, state: number, mb: bigint) => (b: Buffer) =>
      batEntryCodec.put(b, batAt(block), { state, fileOffsetMB: mb });
    const lastMb = BigInt(image.byteLength / MiB);
    await expectError(
      await mutated(entry(1, 6, lastMb + 10n)),
      'DISK_TRUNCATED',
      /payload block 1/,
    );
    await expectError(await mutated(entry(1, 6, 0n)), 'DISK_CORRUPT', /header section/);
    await expectError(
      await mutated(entry(1, 6, BigInt(layout.metadataRegion.offset / MiB))),
      'DISK_CORRUPT',
      /overlaps/,
    );
    await expectError(
      await mutated(entry(1, 6, BigInt(layout.bat.offset / MiB))),
      'DISK_CORRUPT',
      /overlaps/,
    );
    const block0 = batEntryCodec.get(image, batAt(0)).fileOffsetMB;
    await expectError(
      await mutated(entry(1, 6, block0)),
      'DISK_CORRUPT',
      /overlaps a payload block/,
    );
    await expectError(await mutated(entry(1, 4, 0n)), 'DISK_CORRUPT', /invalid BAT state/);
    await expectError(await mutated(entry(0, 7, block0)), 'DISK_CORRUPT', /PARTIALLY_PRESENT/);
  });

  it('checks the parent locator of a differencing disk', async () => {
    const child = path.join(dir, 'child.vhdx');
    await createDifferencingVhdx(child, valid, seededWrites([[512, 512, 4]]));
    const childBytes = await readFile(child);
    const locatorAt = childBytes.indexOf(Buffer.from('parent_linkage', 'utf16le'));
    const broken = path.join(dir, 'child-no-linkage.vhdx');
    await writeFile(broken, Buffer.from(childBytes).fill(0x41, locatorAt, locatorAt + 2));
    await expectError(broken, 'DISK_CORRUPT', /parent_linkage/);
    const orphan = path.join(dir, 'orphan', 'child.vhdx');
    await mkdir(path.dirname(orphan));
    await writeFile(orphan, childBytes);
    await expectError(orphan, 'DISK_PARENT_MISSING');
  });
});
