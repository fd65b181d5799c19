import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyFile, stat, truncate } from 'node:fs/promises';
import path from 'node:path';
import { ImageFile } from '../../../../electron/engine/disk/io/file.js';
import { openDisk } from '../../../../electron/engine/disk/open.js';
import { vhdFormat } from '../../../../electron/engine/disk/vhd/vhd-format.js';
import type { ErrorCode } from '../../../../shared/errors.js';
import { scratchDir } from '../../../helpers/scratch.js';
import { createDifferencingVhd } from '../../../fixtures/vhd-differencing.js';
import {
  patchFooter,
  patchHeader,
  poke,
  qemuVhd,
  readHeader,
  seededRaw,
} from '../../../fixtures/vhd-images.js';

let dir: string;
let cleanup: () => Promise<void>;
let dynamic: string;
let fixed: string;
let differencing: string;
let tableOffset: number;
const MiB = 1024 * 1024;
let counter = 0;

beforeAll(async () => {
  ({ dir, cleanup } = await scratchDir('tessera-vhd-bad-'));
  // 6 MiB with data in blocks 0 and 2: block 1 is unallocated.
  const raw = await seededRaw(dir, 'good.raw', 6 * MiB, [MiB, 4 * MiB], 31);
  dynamic = await qemuVhd(raw, path.join(dir, 'good.vhd'), 'dynamic');
  fixed = await qemuVhd(raw, path.join(dir, 'good-fixed.vhd'), 'fixed');
  differencing = await createDifferencingVhd({
    parent: dynamic,
    child: path.join(dir, 'good-child.vhd'),
    writes: [{ offset: 512, data: Buffer.alloc(1024, 7) }],
  });
  tableOffset = Number((await readHeader(dynamic)).tableOffset);
});
afterAll(() => cleanup());

/** A fresh copy of a good image to damage. */
async function copyOf(good: string): Promise<string> {
  const file = path.join(dir, `bad-${++counter}.vhd`);
  await copyFile(good, file);
  return file;
}

/** Opening through the VHD reader fails with `code`, naming the file. */
async function expectOpenError(file: string, code: ErrorCode, detail?: RegExp): Promise<void> {
  const image = await ImageFile.open(file);
  try {
    const error = await vhdFormat.open(image).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error, `opening ${file} should fail with ${code}`).toMatchObject({ code, path: file });
    if (detail) expect((error as { detail: string }).detail).toMatch(detail);
  } finally {
    await image.close();
  }
}

const u32 = (value: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(value >>> 0);
  return b;
};

describe('VHD reader refuses damaged images with a typed error', () => {
  it('opens the undamaged images', async () => {
    for (const file of [dynamic, fixed, differencing]) await (await openDisk(file)).close();
  });

  it('truncated files', async () => {
    const tiny = await copyOf(dynamic);
    await truncate(tiny, 300);
    await expectOpenError(tiny, 'DISK_TRUNCATED');
    // Cut inside the last block: the footer copy at 0 still opens it, the block is missing.
    const cut = await copyOf(dynamic);
    await truncate(cut, (await stat(cut)).size - MiB);
    await expectOpenError(cut, 'DISK_TRUNCATED', /block 2/);
    // A fixed VHD whose footer claims more data than the file has.
    const short = await copyOf(fixed);
    await patchFooter(short, { creatorApplication: 'win ', currentSize: 7n * BigInt(MiB) }, false);
    await expectOpenError(short, 'DISK_TRUNCATED');
  });

  it('wrong cookies', async () => {
    const file = await copyOf(dynamic);
    await patchFooter(file, { cookie: 'notavhd!' }, true);
    await expectOpenError(file, 'DISK_BAD_SIGNATURE');
    await expect(openDisk(file)).rejects.toMatchObject({ code: 'DISK_BAD_SIGNATURE' });
    const header = await copyOf(dynamic);
    await patchHeader(header, { cookie: 'cxspars!' });
    await expectOpenError(header, 'DISK_BAD_SIGNATURE', /dynamic header/);
  });

  it('bad checksums', async () => {
    const both = await copyOf(dynamic);
    const size = (await stat(both)).size;
    await poke(both, 70, Buffer.from([0x5a]));
    await poke(both, size - 512 + 70, Buffer.from([0x5a]));
    await expectOpenError(both, 'DISK_BAD_CHECKSUM');
    const fixedBad = await copyOf(fixed);
    await poke(fixedBad, (await stat(fixedBad)).size - 512 + 70, Buffer.from([0x5a]));
    await expectOpenError(fixedBad, 'DISK_BAD_CHECKSUM');
    const header = await copyOf(dynamic);
    await poke(header, 512 + 100, Buffer.from([0x5a]));
    await expectOpenError(header, 'DISK_BAD_CHECKSUM', /dynamic header/);
  });

  it('block sizes that are not a power of two or are absurd', async () => {
    for (const blockSize of [3 * MiB, 256, 1024 * MiB]) {
      const file = await copyOf(dynamic);
      await patchHeader(file, { blockSize });
      await expectOpenError(file, 'DISK_CORRUPT', /block size/);
    }
  });

  it('max table entries inconsistent with the virtual size or bigger than the file', async () => {
    const few = await copyOf(dynamic);
    await patchHeader(few, { maxTableEntries: 2 });
    await expectOpenError(few, 'DISK_CORRUPT', /BAT has 2 entries/);
    const absurd = await copyOf(dynamic);
    await patchHeader(absurd, { maxTableEntries: 0xffff_ffff });
    await expectOpenError(absurd, 'DISK_CORRUPT');
    const huge = await copyOf(dynamic);
    await patchHeader(huge, { blockSize: 512 * 1024, maxTableEntries: 2_000_000 });
    await expectOpenError(huge, 'DISK_TRUNCATED', /BAT/);
  });

  it('a BAT or header offset past the end of the file', async () => {
    const bat = await copyOf(dynamic);
    await patchHeader(bat, { tableOffset: 1n << 50n });
    await expectOpenError(bat, 'DISK_TRUNCATED', /BAT/);
    const data = await copyOf(dynamic);
    await patchFooter(data, { dataOffset: 1n << 40n }, true);
    await expectOpenError(data, 'DISK_TRUNCATED', /dynamic header/);
    const zero = await copyOf(dynamic);
    await patchFooter(zero, { dataOffset: 0n }, true);
    await expectOpenError(zero, 'DISK_CORRUPT', /overlaps the footer copy/);
  });

  it('BAT entries past the end, over metadata, or over another block', async () => {
    const past = await copyOf(dynamic);
    await poke(past, tableOffset, u32(0x0100_0000));
    await expectOpenError(past, 'DISK_TRUNCATED', /block 0/);
    const overHeader = await copyOf(dynamic);
    await poke(overHeader, tableOffset + 4, u32(1));
    await expectOpenError(overHeader, 'DISK_CORRUPT', /dynamic header/);
    const overBat = await copyOf(dynamic);
    await poke(overBat, tableOffset + 4, u32(tableOffset / 512));
    await expectOpenError(overBat, 'DISK_CORRUPT', /overlaps/);
    const twice = await copyOf(dynamic);
    const first = (await readFileRange(dynamic, tableOffset, 4)).readUInt32BE(0);
    await poke(twice, tableOffset + 4, u32(first + 1));
    await expectOpenError(twice, 'DISK_CORRUPT', /blocks at .* overlap/);
  });

  it('absurd virtual sizes and unknown disk types', async () => {
    const big = await copyOf(dynamic);
    await patchFooter(big, { creatorApplication: 'win ', currentSize: 1n << 50n }, true);
    await expectOpenError(big, 'DISK_TOO_LARGE');
    const type = await copyOf(dynamic);
    await patchFooter(type, { diskType: 5 }, true);
    await expectOpenError(type, 'DISK_UNSUPPORTED');
  });

  it('parent locators past the end of the file or of absurd length', async () => {
    const header = await readHeader(differencing);
    const moved = (patch: object) =>
      header.parentLocators.map((l, i) => (i === 0 ? { ...l, ...patch } : l));
    const past = await copyOf(differencing);
    await patchHeader(past, { parentLocators: moved({ platformDataOffset: 1n << 45n }) });
    await expectOpenError(past, 'DISK_TRUNCATED', /parent locator 0/);
    const long = await copyOf(differencing);
    await patchHeader(long, { parentLocators: moved({ platformDataLength: 0x7fff_ffff }) });
    await expectOpenError(long, 'DISK_CORRUPT', /parent locator 0/);
  });
});

async function readFileRange(file: string, at: number, length: number): Promise<Buffer> {
  const image = await ImageFile.open(file);
  try {
    const bytes = Buffer.alloc(length);
    await image.read(bytes, at);
    return bytes;
  } finally {
    await image.close();
  }
}
