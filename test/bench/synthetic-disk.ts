import { execFile } from 'node:child_process';
import { open, rm } from 'node:fs/promises';
import { promisify } from 'node:util';
import { createCipheriv, createHash } from 'node:crypto';

/**
 * A deterministic benchmark disk: 1 MiB regions that are random (incompressible), text-like
 * (compressible, like logs and documents) or zero (left as holes), in a fixed seeded pattern.
 */
export type RegionKind = 'random' | 'text' | 'zero';

const MiB = 1024 * 1024;
const WORDS = (
  'backup restore virtual machine disk block extent image catalog policy schedule host stream ' +
  'tessera accelerator synthetic full change tracking storage unit retention verify the of and ' +
  'to in is for on with as by at from error warning info job started finished bytes'
).split(' ');

export function regionKind(index: number, seed: number): RegionKind {
  const byte = createHash('sha256').update(`${seed}:${index}`).digest()[0]!;
  // Roughly 40% random, 30% text, 30% zero, in runs: real disks cluster their free space.
  const run = Math.floor(index / 8);
  const runByte = createHash('sha256').update(`${seed}:run:${run}`).digest()[0]!;
  if (runByte < 77) return 'zero';
  return byte < 146 ? 'random' : 'text';
}

function randomRegion(seed: number, index: number): Buffer {
  const key = createHash('sha256').update(`bench-${seed}-${index}`).digest().subarray(0, 16);
  const cipher = createCipheriv('aes-128-ctr', key, Buffer.alloc(16));
  return cipher.update(Buffer.alloc(MiB));
}

function textRegion(seed: number, index: number): Buffer {
  const out = Buffer.allocUnsafe(MiB);
  let state = (seed * 2654435761 + index * 40503) >>> 0;
  let at = 0;
  while (at < MiB) {
    state = (state * 1103515245 + 12345) >>> 0;
    const word = WORDS[state % WORDS.length]!;
    at += out.write(state % 13 === 0 ? `${word}\n` : `${word} `, at, 'latin1');
  }
  return out;
}

/** Writes the disk as a sparse raw file; returns the count of each kind of region. */
export async function writeSyntheticDisk(
  file: string,
  size: number,
  seed = 1,
): Promise<Record<RegionKind, number>> {
  const counts: Record<RegionKind, number> = { random: 0, text: 0, zero: 0 };
  const handle = await open(file, 'w');
  try {
    await handle.truncate(size);
    for (let index = 0; index * MiB < size; index++) {
      const kind = regionKind(index, seed);
      counts[kind]++;
      if (kind === 'zero') continue;
      const data = kind === 'random' ? randomRegion(seed, index) : textRegion(seed, index);
      const length = Math.min(MiB, size - index * MiB);
      await handle.write(data, 0, length, index * MiB);
    }
  } finally {
    await handle.close();
  }
  return counts;
}

/**
 * Writes the disk as a sparse raw file and, from it, the dynamic VHDX qemu-img makes (the
 * benchmarks' common starting point); returns the count of each kind of region.
 */
export async function writeSyntheticVhdx(
  raw: string,
  vhdx: string,
  size: number,
): Promise<Record<RegionKind, number>> {
  const counts = await writeSyntheticDisk(raw, size);
  await rm(vhdx, { force: true });
  await promisify(execFile)('qemu-img', [
    'convert',
    '-f',
    'raw',
    '-O',
    'vhdx',
    '-o',
    'subformat=dynamic',
    raw,
    vhdx,
  ]);
  return counts;
}
