import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyFile, mkdir, rename } from 'node:fs/promises';
import path from 'node:path';
import { openDisk } from '../../../../electron/engine/disk/open.js';
import { collectExtents, sha256OfDisk } from '../../../helpers/disk.js';
import { scratchDir, sha256File } from '../../../helpers/scratch.js';
import { qemuIo, qemuImg, tool } from '../../../helpers/tools.js';
import { createDifferencingVhd } from '../../../fixtures/vhd-differencing.js';
import { qemuVhd, seededRaw } from '../../../fixtures/vhd-images.js';

let dir: string;
let cleanup: () => Promise<void>;
const MiB = 1024 * 1024;
const KiB = 1024;

/** Pattern writes: each fills its range with one byte, so qemu-io can repeat them exactly. */
interface PatternWrite {
  readonly offset: number;
  readonly length: number;
  readonly pattern: number;
}

const CHILD_WRITES: PatternWrite[] = [
  { offset: 0, length: 4 * KiB, pattern: 0x11 }, // partial block over base data
  { offset: 2 * MiB + 512, length: 512, pattern: 0x22 }, // one sector in an unallocated base block
  { offset: 3 * MiB - 1536, length: 3 * KiB, pattern: 0x33 }, // spans a child block boundary (1 MiB blocks)
  { offset: 9 * MiB, length: 1 * MiB, pattern: 0x44 }, // a whole block
];
const GRANDCHILD_WRITES: PatternWrite[] = [
  { offset: 1024, length: 1024, pattern: 0x55 }, // inside the child's first write
  { offset: 2 * MiB, length: 2 * KiB, pattern: 0x66 }, // overlaps the child's single sector
  { offset: 6 * MiB + 100 * 512, length: 8 * KiB, pattern: 0x77 },
];

const toWrites = (writes: PatternWrite[]) =>
  writes.map((w) => ({ offset: w.offset, data: Buffer.alloc(w.length, w.pattern) }));

/** The same writes widened to whole 4 KiB (one bitmap byte), for the libvhdi cross-check. */
const aligned = (writes: PatternWrite[]): PatternWrite[] =>
  writes.map((w) => {
    const start = Math.floor(w.offset / 4096) * 4096;
    const end = Math.ceil((w.offset + w.length) / 4096) * 4096;
    return { offset: start, length: end - start, pattern: w.pattern };
  });

interface Chain {
  readonly base: string;
  readonly child: string;
  readonly grandchild: string;
  /** The same writes through qcow2 overlays on the base, converted by qemu. */
  readonly truth: string;
}

async function buildChain(name: string, childWrites: PatternWrite[], grandWrites: PatternWrite[]) {
  const at = (file: string) => path.join(dir, name, file);
  await mkdir(path.join(dir, name));
  const raw = await seededRaw(
    path.join(dir, name),
    'base.raw',
    11 * MiB,
    [0, 6 * MiB, 9 * MiB + 4096],
    11,
  );
  const base = await qemuVhd(raw, at('base.vhd'), 'dynamic');
  const child = await createDifferencingVhd({
    parent: base,
    child: at('child.vhd'),
    writes: toWrites(childWrites),
    blockSize: MiB,
  });
  const grandchild = await createDifferencingVhd({
    parent: child,
    child: at('grandchild.vhd'),
    writes: toWrites(grandWrites),
    blockSize: 512 * KiB,
  });
  await qemuImg('create', '-f', 'qcow2', '-b', base, '-F', 'vpc', at('child.qcow2'));
  await qemuImg('create', '-f', 'qcow2', '-b', at('child.qcow2'), '-F', 'qcow2', at('grand.qcow2'));
  const io = (writes: PatternWrite[]) =>
    writes.flatMap((w) => ['-c', `write -P ${w.pattern} ${w.offset} ${w.length}`]);
  await qemuIo('-f', 'qcow2', ...io(childWrites), at('child.qcow2'));
  await qemuIo('-f', 'qcow2', ...io(grandWrites), at('grand.qcow2'));
  const truth = at('truth.raw');
  await qemuImg('convert', '-f', 'qcow2', '-O', 'raw', at('grand.qcow2'), truth);
  return { base, child, grandchild, truth };
}

let exact: Chain;
let whole: Chain;
let base: string;
let child: string;
let grandchild: string;

beforeAll(async () => {
  ({ dir, cleanup } = await scratchDir('tessera-vhd-diff-'));
  exact = await buildChain('exact', CHILD_WRITES, GRANDCHILD_WRITES);
  whole = await buildChain('whole', aligned(CHILD_WRITES), aligned(GRANDCHILD_WRITES));
  ({ base, child, grandchild } = exact);
});
afterAll(() => cleanup());

/** libvhdi (an independent reader) resolves the chain and hashes it. */
async function libvhdiSha(chain: string[]): Promise<string> {
  const script = `
import hashlib, sys, pyvhdi
files = []
for p in sys.argv[1:]:
    f = pyvhdi.file(); f.open(p); files.append(f)
for parent, child in zip(files, files[1:]):
    child.set_parent(parent)
top = files[-1]
h = hashlib.sha256(); size = top.get_media_size(); off = 0
while off < size:
    n = min(4 << 20, size - off); h.update(top.read_buffer_at_offset(n, off)); off += n
print(h.hexdigest())
`;
  return (await tool('/usr/bin/python3', ['-c', script, ...chain])).trim();
}

describe('VHD differencing chains', () => {
  it('the fixture is a valid chain by libvhdi and matches the qcow2 ground truth', async () => {
    // libvhdi 20210425 reads a sector whose bitmap bit is clear from the child when another
    // bit of the same bitmap byte is set, so it checks the chain whose writes fill whole bytes.
    const truth = await sha256File(whole.truth);
    expect(await libvhdiSha([whole.base, whole.child, whole.grandchild])).toBe(truth);
    const disk = await openDisk(whole.grandchild);
    expect(await sha256OfDisk(disk)).toBe(truth);
    await disk.close();
  });

  it('reads base -> child -> grandchild like libvhdi and qemu', async () => {
    const disk = await openDisk(grandchild);
    try {
      expect(disk.subformat).toBe('differencing');
      expect(disk.parent?.subformat).toBe('differencing');
      expect(disk.parent?.parent?.subformat).toBe('dynamic');
      expect(disk.parent?.path).toBe(child);
      expect(disk.blockSize).toBe(512 * KiB);
      expect(await sha256OfDisk(disk)).toBe(await sha256File(exact.truth));
    } finally {
      await disk.close();
    }
  });

  it('reports the chain extents: written sectors and parent data as data, the rest unallocated', async () => {
    const disk = await openDisk(grandchild);
    try {
      const extents = await collectExtents(disk, false);
      const kindAt = (at: number) =>
        extents.find((e) => e.offset <= at && at < e.offset + e.length)?.kind;
      for (const w of [...CHILD_WRITES, ...GRANDCHILD_WRITES]) {
        expect(kindAt(w.offset)).toBe('data');
        expect(kindAt(w.offset + w.length - 1)).toBe('data');
      }
      // Block 4 MiB..6 MiB: unallocated in the base and never written.
      expect(kindAt(5 * MiB)).toBe('unallocated');
      expect(extents.reduce((n, e) => n + e.length, 0)).toBe(disk.virtualSize);
    } finally {
      await disk.close();
    }
  });

  it('maps a differencing layer by its sector bitmap, sector by sector', async () => {
    const disk = await openDisk(child);
    try {
      // Bytes 2 MiB + 512 .. +1024 come from the child, the sectors around it from the base.
      const bytes = Buffer.alloc(1536);
      await disk.read(bytes, 2 * MiB);
      expect(bytes.subarray(512, 1024).every((b) => b === 0x22)).toBe(true);
      const base0 = Buffer.alloc(1536);
      const parent = await openDisk(base);
      await parent.read(base0, 2 * MiB);
      await parent.close();
      expect(bytes.subarray(0, 512)).toEqual(base0.subarray(0, 512));
      expect(bytes.subarray(1024)).toEqual(base0.subarray(1024));
    } finally {
      await disk.close();
    }
  });

  it('finds a moved chain by the W2ru relative locator and rejects a wrong parent', async () => {
    const moved = path.join(dir, 'moved');
    await mkdir(moved);
    await copyFile(base, path.join(moved, 'base.vhd'));
    await createDifferencingVhd({
      parent: base,
      child: path.join(moved, 'child.vhd'),
      writes: toWrites(CHILD_WRITES),
      absoluteLocator: 'D:\\Hyper-V\\Disks\\base.vhd',
    });
    const disk = await openDisk(path.join(moved, 'child.vhd'));
    expect(disk.parent?.path).toBe(path.join(moved, 'base.vhd'));
    await disk.close();

    const impostor = await seededRaw(moved, 'other.raw', 11 * MiB, [0], 99);
    await qemuVhd(impostor, path.join(moved, 'other.vhd'), 'dynamic');
    await rename(path.join(moved, 'other.vhd'), path.join(moved, 'base.vhd'));
    await expect(openDisk(path.join(moved, 'child.vhd'))).rejects.toMatchObject({
      code: 'DISK_PARENT_MISMATCH',
    });
  });
});
