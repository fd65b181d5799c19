import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Store } from '../../../electron/engine/store/store.js';
import { putRaw } from '../../helpers/store.js';
import { scratchDir, seededBytes } from '../../helpers/scratch.js';
import { tool } from '../../helpers/tools.js';

const KiB = 1024;
const MiB = 1024 * KiB;

// A small tmpfs is a real file system that fills up; mounting it needs root, which CI has.
describe('a storage unit whose file system fills up', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let mountPoint: string;
  let mounted = false;
  beforeAll(async () => {
    ({ dir, cleanup } = await scratchDir());
    mountPoint = path.join(dir, 'fs');
    await mkdir(mountPoint);
    await tool('mount', ['-t', 'tmpfs', '-o', 'size=8M', 'tmpfs', mountPoint]);
    mounted = true;
  });
  afterAll(async () => {
    if (mounted) await tool('umount', [mountPoint]);
    await cleanup();
  });

  it('a failed pack write fails the pack: nothing of it is sealed, even once space is back', async () => {
    const store = await Store.open(path.join(mountPoint, 'store'), {
      create: true,
      packSize: 64 * MiB,
    });
    try {
      await fillAndRecover(store);
    } finally {
      await store.close();
    }
  });

  async function fillAndRecover(store: Store): Promise<void> {
    const filler = path.join(mountPoint, 'filler');
    await writeFile(filler, Buffer.alloc(5 * MiB));
    const blocks = Array.from({ length: 80 }, (_, i) => seededBytes(i, 64 * KiB));
    const digests: Buffer[] = [];
    let failure: unknown = null;
    for (const raw of blocks) {
      try {
        digests.push((await putRaw(store, raw)).digest);
      } catch (error) {
        failure = error;
        break;
      }
    }
    expect(failure).toMatchObject({ code: 'STORE_FULL' });
    await rm(filler); // space is back
    await expect(putRaw(store, seededBytes(1000, 64 * KiB))).rejects.toMatchObject({
      code: 'STORE_FULL',
    });
    await expect(store.flush()).rejects.toMatchObject({ code: 'STORE_FULL' });
    expect(await store.listPackFiles()).toEqual([]);
    // After abort (what a failed backup does) none of it is held, and the store works again.
    await store.writer.abort();
    for (const digest of digests) expect(store.hasBlock(digest)).toBe(false);
    expect(await readdir(store.layout.tmp)).toEqual([]);
    const { digest } = await putRaw(store, blocks[0]!);
    await store.flush();
    expect(await store.readBlock(digest)).toEqual(blocks[0]);
  }
});
