/**
 * Header fuzzing: mutates the structures of valid images (made by qemu-img) and checks that
 * Tessera either reads the result or rejects it with a typed DiskError, within a time limit
 * and without large allocations. Half of the mutated cases get their checksums recomputed,
 * so the mutations reach the parsing behind the checksum checks.
 *
 * CI runs a few thousand cases; `npm run test:fuzz` (TESSERA_FUZZ_CASES) runs more.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyFile, open, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { crc32c } from '@node-rs/crc32';
import { openDisk } from '../../../electron/engine/disk/open.js';
import { isTesseraError } from '../../../shared/errors.js';
import { qemuImg, qemuIo } from '../../helpers/tools.js';
import { scratchDir } from '../../helpers/scratch.js';

const CASES = Number(process.env.TESSERA_FUZZ_CASES ?? 3000);
const KiB = 1024;
const MiB = 1024 * KiB;
/** A case slower than this counts as a hang. */
const CASE_LIMIT_MS = 2000;
/** Memory a single case may add: far below what a trusted size field could ask for. */
const MEMORY_LIMIT = 256 * MiB;

interface Seed {
  name: string;
  file: string;
  /** [start, end) byte ranges holding the format's structures, where mutations are aimed. */
  targets: Array<[number, number]>;
  /** Recomputes the checksums of the structures, so mutations get past them. */
  fixChecksums: (handle: FileHandle, size: number) => Promise<void>;
}

let dir: string;
let cleanup: () => Promise<void>;
const seeds: Seed[] = [];

/** xorshift32: deterministic cases, reproducible from the printed seed. */
function rng(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state / 0x100000000;
  };
}

async function readAt(handle: FileHandle, position: number, length: number): Promise<Buffer> {
  const buffer = Buffer.alloc(length);
  await handle.read(buffer, 0, length, position);
  return buffer;
}

async function fixVhdFooter(handle: FileHandle, position: number): Promise<void> {
  const footer = await readAt(handle, position, 512);
  footer.writeUInt32BE(0, 64);
  let sum = 0;
  for (const byte of footer) sum += byte;
  footer.writeUInt32BE(~sum >>> 0, 64);
  await handle.write(footer, 0, 512, position);
}

async function fixVhdDynamicHeader(handle: FileHandle): Promise<void> {
  const header = await readAt(handle, 512, 1024);
  header.writeUInt32BE(0, 36);
  let sum = 0;
  for (const byte of header) sum += byte;
  header.writeUInt32BE(~sum >>> 0, 36);
  await handle.write(header, 0, 1024, 512);
}

async function fixVhdxStructure(
  handle: FileHandle,
  position: number,
  length: number,
): Promise<void> {
  const structure = await readAt(handle, position, length);
  structure.writeUInt32LE(0, 4);
  structure.writeUInt32LE(crc32c(structure) >>> 0, 4);
  await handle.write(structure, 0, length, position);
}

async function makeSeeds(): Promise<void> {
  const writes = ['-c', 'write -P 0xab 0 1M', '-c', 'write -P 0x5c 2560k 300k'];
  const vhdDynamic = path.join(dir, 'seed-dynamic.vhd');
  await qemuImg('create', '-f', 'vpc', '-o', 'subformat=dynamic', vhdDynamic, '6M');
  await qemuIo(...writes, vhdDynamic);
  const vhdFixed = path.join(dir, 'seed-fixed.vhd');
  await qemuImg('create', '-f', 'vpc', '-o', 'subformat=fixed', vhdFixed, '6M');
  await qemuIo(...writes, vhdFixed);
  const vhdxDynamic = path.join(dir, 'seed-dynamic.vhdx');
  await qemuImg('create', '-f', 'vhdx', '-o', 'block_size=1M', vhdxDynamic, '6M');
  await qemuIo(...writes, vhdxDynamic);
  const vhdxFixed = path.join(dir, 'seed-fixed.vhdx');
  await qemuImg('create', '-f', 'vhdx', '-o', 'subformat=fixed,block_size=1M', vhdxFixed, '6M');
  await qemuIo(...writes, vhdxFixed);

  const vhdxTargets: Array<[number, number]> = [
    [0, 512],
    [64 * KiB, 64 * KiB + 256],
    [128 * KiB, 128 * KiB + 256],
    [192 * KiB, 192 * KiB + 128],
    [256 * KiB, 256 * KiB + 128],
    [2 * MiB, 2 * MiB + 128], // BAT (qemu's layout)
    [3 * MiB, 3 * MiB + 256], // metadata table
    [3 * MiB + 64 * KiB, 3 * MiB + 64 * KiB + 128], // metadata items
  ];
  const fixVhdx = async (handle: FileHandle): Promise<void> => {
    for (const at of [64 * KiB, 128 * KiB]) await fixVhdxStructure(handle, at, 4 * KiB);
    for (const at of [192 * KiB, 256 * KiB]) await fixVhdxStructure(handle, at, 64 * KiB);
  };
  seeds.push(
    {
      name: 'vhd dynamic',
      file: vhdDynamic,
      targets: [
        [0, 512],
        [512, 1536],
        [1536, 1536 + 64],
      ],
      fixChecksums: async (handle, size) => {
        await fixVhdFooter(handle, 0);
        await fixVhdFooter(handle, size - 512);
        await fixVhdDynamicHeader(handle);
      },
    },
    {
      name: 'vhd fixed',
      file: vhdFixed,
      targets: [[6 * MiB, 6 * MiB + 512]],
      fixChecksums: (handle, size) => fixVhdFooter(handle, size - 512),
    },
    { name: 'vhdx dynamic', file: vhdxDynamic, targets: vhdxTargets, fixChecksums: fixVhdx },
    { name: 'vhdx fixed', file: vhdxFixed, targets: vhdxTargets, fixChecksums: fixVhdx },
  );
}

const INTERESTING = [0x00, 0xff, 0x7f, 0x80, 0x01, 0x10, 0x40];

/** Applies one mutation in place; returns the original bytes so the case can be undone. */
async function mutate(
  handle: FileHandle,
  seed: Seed,
  size: number,
  random: () => number,
): Promise<Array<[number, Buffer]>> {
  const undo: Array<[number, Buffer]> = [];
  const edits = 1 + Math.floor(random() * 4);
  for (let i = 0; i < edits; i++) {
    const [start, end] = seed.targets[Math.floor(random() * seed.targets.length)]!;
    const position = Math.min(size - 1, start + Math.floor(random() * (end - start)));
    const width = [1, 1, 2, 4, 8][Math.floor(random() * 5)]!;
    const original = await readAt(handle, position, width);
    const bytes = Buffer.alloc(width);
    for (let b = 0; b < width; b++) {
      bytes[b] =
        random() < 0.5
          ? INTERESTING[Math.floor(random() * INTERESTING.length)]!
          : Math.floor(random() * 256);
    }
    undo.push([position, original]);
    await handle.write(bytes, 0, width, position);
  }
  if (random() < 0.5) {
    // Checksum fixing rewrites whole structures: remember them too.
    for (const [start] of seed.targets)
      undo.push([start, await readAt(handle, start, Math.min(64 * KiB, size - start))]);
    await seed.fixChecksums(handle, size);
  }
  return undo;
}

/** Opens the image and reads everything it describes; returns the error it raised, if any. */
async function exercise(file: string): Promise<unknown> {
  try {
    const disk = await openDisk(file);
    try {
      const chunk = Buffer.alloc(MiB);
      for (let at = 0; at < Math.min(disk.virtualSize, 64 * MiB); at += MiB) {
        await disk.read(chunk.subarray(0, Math.min(MiB, disk.virtualSize - at)), at);
      }
      let extents = 0;
      for await (const _ of disk.extents({ length: Math.min(disk.virtualSize, 64 * MiB) }))
        extents++;
      expect(extents).toBeGreaterThan(0);
    } finally {
      await disk.close();
    }
    return null;
  } catch (error) {
    return error;
  }
}

beforeAll(async () => {
  ({ dir, cleanup } = await scratchDir('tessera-fuzz-'));
  await makeSeeds();
});
afterAll(() => cleanup());

describe('fuzzed image headers', () => {
  it(
    `are read or rejected with a typed error (${CASES} cases)`,
    { timeout: 30 * 60_000 },
    async () => {
      const outcomes = { read: 0, rejected: 0 };
      const codes = new Map<string, number>();
      const perSeed = Math.ceil(CASES / seeds.length);
      for (const [seedIndex, seed] of seeds.entries()) {
        const work = path.join(dir, `work-${path.basename(seed.file)}`);
        await copyFile(seed.file, work);
        // The unmutated seed must read cleanly, or every case below would prove nothing.
        expect(await exercise(work)).toBeNull();
        const handle = await open(work, 'r+');
        const size = (await handle.stat()).size;
        try {
          for (let i = 0; i < perSeed; i++) {
            const caseSeed = (seedIndex + 1) * 1_000_003 + i;
            const undo = await mutate(handle, seed, size, rng(caseSeed));
            await handle.sync();
            const before = process.memoryUsage();
            const started = Date.now();
            const error = await exercise(work);
            const elapsed = Date.now() - started;
            const after = process.memoryUsage();
            const context = `${seed.name}, case seed ${caseSeed}`;
            expect(elapsed, `${context}: took ${elapsed} ms`).toBeLessThan(CASE_LIMIT_MS);
            expect(after.arrayBuffers - before.arrayBuffers, `${context}: memory`).toBeLessThan(
              MEMORY_LIMIT,
            );
            if (error === null) {
              outcomes.read++;
            } else {
              expect(
                isTesseraError(error),
                `${context}: ${String((error as Error)?.stack ?? error)}`,
              ).toBe(true);
              outcomes.rejected++;
              const code = (error as { code: string }).code;
              codes.set(code, (codes.get(code) ?? 0) + 1);
            }
            for (const [position, bytes] of undo.reverse())
              await handle.write(bytes, 0, bytes.length, position);
          }
        } finally {
          await handle.close();
        }
      }
      console.log(
        `fuzz: ${outcomes.read} read, ${outcomes.rejected} rejected`,
        Object.fromEntries(codes),
      );
      // Both outcomes must occur, or the mutations are not reaching the parsers.
      expect(outcomes.rejected).toBeGreaterThan(0);
      expect(outcomes.read).toBeGreaterThan(0);
    },
  );
});
