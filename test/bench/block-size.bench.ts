/**
 * `npm run bench:block-size`: how the deduplication block size trades bytes stored after small
 * changes against manifest size and backup speed, on the bench's synthetic disk (1 GiB by
 * default, as a raw file). Day 2 rewrites (a) 1% of the disk in clustered runs of 64 KiB to
 * 4 MiB and (b) 0.1% as scattered 4 KiB writes, with random data. Prints one row per size.
 */
import { createCipheriv, createHash } from 'node:crypto';
import { copyFile, mkdir, open, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { backupVm } from '../../electron/engine/backup/backup-vm.js';
import { Catalog } from '../../electron/engine/catalog/catalog.js';
import { Store } from '../../electron/engine/store/store.js';
import { writeSyntheticDisk } from './synthetic-disk.js';

const MiB = 1024 * 1024;
const size = Number(process.env.TESSERA_BENCH_SIZE ?? 1024 * MiB);
const dir = process.env.TESSERA_BENCH_DIR ?? path.join(os.tmpdir(), 'tessera-block-size');
const sizes = (process.env.TESSERA_BLOCK_SIZES ?? '16,32,64,128,256')
  .split(',')
  .map((k) => Number(k) * 1024);

function random(seed: string, length: number): Buffer {
  const key = createHash('sha256').update(seed).digest().subarray(0, 16);
  return createCipheriv('aes-128-ctr', key, Buffer.alloc(16)).update(Buffer.alloc(length));
}

/** Deterministic positions from a seed. */
function positions(seed: string, count: number, limit: number, align: number): number[] {
  const bytes = random(seed, count * 8);
  return Array.from({ length: count }, (_, i) => {
    const value = Number(bytes.readBigUInt64LE(i * 8) % BigInt(Math.floor(limit / align)));
    return value * align;
  });
}

async function applyChange(file: string, pattern: 'clustered' | 'scattered'): Promise<number> {
  const handle = await open(file, 'r+');
  let written = 0;
  try {
    if (pattern === 'scattered') {
      for (const [i, at] of positions(
        'scattered',
        Math.round((size * 0.001) / 4096),
        size,
        4096,
      ).entries()) {
        await handle.write(random(`s${i}`, 4096), 0, 4096, at);
        written += 4096;
      }
    } else {
      const lengths = random('lengths', 4096);
      let i = 0;
      while (written < size * 0.01) {
        const length = 64 * 1024 * 2 ** (lengths[i]! % 7); // 64 KiB .. 4 MiB
        const [at] = positions(`c${i}`, 1, size - length, 4096);
        await handle.write(random(`c${i}`, length), 0, length, at!);
        written += length;
        i++;
      }
    }
  } finally {
    await handle.close();
  }
  return written;
}

async function main(): Promise<void> {
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  const day1 = path.join(dir, 'day1.raw');
  await writeSyntheticDisk(day1, size);
  console.log(
    `disk ${size / MiB} MiB raw; day 2: 1% clustered (64 KiB-4 MiB runs) or 0.1% scattered 4 KiB writes`,
  );
  console.log('block   pattern    day-2 stored   manifest/disk   full s   day-2 s');
  for (const blockSize of sizes) {
    for (const pattern of ['clustered', 'scattered'] as const) {
      const disk = path.join(dir, 'disk.raw');
      await copyFile(day1, disk);
      const store = await Store.open(path.join(dir, `store-${blockSize}-${pattern}`), {
        create: true,
      });
      const catalog = Catalog.open(store.layout.catalog);
      let clock = 1_800_000_000;
      const now = (): number => clock++;
      const t0 = performance.now();
      await backupVm({ store, catalog, client: 'bench', disks: [{ path: disk }], blockSize, now });
      const t1 = performance.now();
      await applyChange(disk, pattern);
      const t2 = performance.now();
      const { manifest } = await backupVm({
        store,
        catalog,
        client: 'bench',
        disks: [{ path: disk }],
        blockSize,
        now,
      });
      const t3 = performance.now();
      const stored = manifest.disks[0]!.stats.bytesStored;
      const listBytes = (await stat(store.layout.digestList(manifest.backupId, 'disk-0.blocks')))
        .size;
      const manifestBytes = (await stat(store.layout.manifest(manifest.backupId))).size + listBytes;
      console.log(
        `${String(blockSize / 1024).padStart(4)}K  ${pattern.padEnd(9)}  ${(stored / MiB).toFixed(1).padStart(9)} MiB   ` +
          `${((manifestBytes / size) * 100).toFixed(3).padStart(10)} %   ${((t1 - t0) / 1000).toFixed(2).padStart(6)}   ${((t3 - t2) / 1000).toFixed(2).padStart(7)}`,
      );
      catalog.close();
      await store.close();
      await rm(store.dir, { recursive: true, force: true });
    }
  }
  await rm(dir, { recursive: true, force: true });
}

await main();
