import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { mkdir, readdir } from 'node:fs/promises';
import path from 'node:path';
import { createSampleVm } from '../../../electron/engine/sample/index.js';
import { scratchDir } from '../../helpers/scratch.js';
import type * as DiskModule from '../../../electron/engine/disk/index.js';

// The real VHDX writer, failing after its first megabyte as a full disk would.
vi.mock('../../../electron/engine/disk/index.js', async (importOriginal) => {
  const disk = await importOriginal<typeof DiskModule>();
  return {
    ...disk,
    createDiskWriter: async (...args: Parameters<typeof disk.createDiskWriter>) => {
      const writer = await disk.createDiskWriter(...args);
      return {
        ...writer,
        write: (offset: number, data: Uint8Array) =>
          offset < 1024 * 1024 ? writer.write(offset, data) : Promise.reject(new Error('ENOSPC')),
      };
    },
  };
});

let dir: string;
let cleanup: () => Promise<void>;

beforeAll(async () => {
  ({ dir, cleanup } = await scratchDir('tessera-sample-fail-'));
});
afterAll(() => cleanup());

describe('createSampleVm when writing fails', () => {
  it('removes the folders it made, and no partial disk is left', async () => {
    await expect(createSampleVm(path.join(dir, 'new', 'parent'))).rejects.toThrow('ENOSPC');
    expect(await readdir(dir)).toEqual([]);
  });

  it('leaves an existing empty folder empty', async () => {
    const folder = path.join(dir, 'Mine');
    await mkdir(folder);
    await expect(createSampleVm(dir, { name: 'Mine' })).rejects.toThrow('ENOSPC');
    expect(await readdir(folder)).toEqual([]);
  });
});
