import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyFile } from 'node:fs/promises';
import path from 'node:path';
import { openDisk } from '../../../../electron/engine/disk/open.js';
import { sha256OfDisk } from '../../../helpers/disk.js';
import { qemuImg } from '../../../helpers/tools.js';
import { scratchDir, seededBytes, sha256File } from '../../../helpers/scratch.js';
import { createDirtyLogVhdx, type DirtyLogOptions } from '../../../fixtures/vhdx-dirty-log.js';
import { MiB, qemuRawSha256, qemuVhdx, seededWrites } from '../../../fixtures/vhdx-images.js';

let dir: string;
let cleanup: () => Promise<void>;
let base: string;
let baseSha: string;
beforeAll(async () => {
  ({ dir, cleanup } = await scratchDir('tessera-vhdx-log-'));
  base = await qemuVhdx(
    dir,
    'base.vhdx',
    16 * MiB,
    seededWrites([
      [0, 100_000, 1],
      [2 * MiB, MiB, 2],
    ]),
    ['block_size=1M'],
  );
  baseSha = await qemuRawSha256(base, 'vhdx', dir);
});
afterAll(() => cleanup());

let count = 0;
async function dirty(options: Partial<DirtyLogOptions> = {}): Promise<string> {
  const file = path.join(dir, `dirty-${count++}.vhdx`);
  await createDirtyLogVhdx(base, file, { block: 5, data: seededBytes(9, MiB), ...options });
  return file;
}

/** Ground truth: qemu replays the log on a copy (check -r all), then converts it. */
async function qemuReplayedSha(file: string): Promise<string> {
  const copy = `${file}.qemu-repaired.vhdx`;
  await copyFile(file, copy);
  await qemuImg('check', '-q', '-r', 'all', '-f', 'vhdx', copy).catch(() => '');
  return qemuRawSha256(copy, 'vhdx', dir);
}

async function tesseraSha(file: string): Promise<string> {
  const before = await sha256File(file);
  const disk = await openDisk(file);
  try {
    return await sha256OfDisk(disk);
  } finally {
    await disk.close();
    // Replay happens in memory: the source is never written.
    expect(await sha256File(file)).toBe(before);
  }
}

describe('VHDX log replay', () => {
  for (const [name, options] of [
    ['at the start of the log', {}],
    ['wrapping around the end of the log', { logPosition: MiB - 4096 }],
  ] as const) {
    it(`replays an entry ${name} in memory, as qemu does on disk`, async () => {
      const file = await dirty(options);
      const expected = await qemuReplayedSha(file);
      expect(expected).not.toBe(baseSha); // the replay changes the content
      expect(await tesseraSha(file)).toBe(expected);
    });
  }

  it('ignores an entry whose checksum fails (no valid sequence: nothing to replay)', async () => {
    const file = await dirty({ corruptEntry: true });
    expect(await tesseraSha(file)).toBe(baseSha);
  });

  it('refuses a log that would replay more than it holds in memory', async () => {
    const file = await dirty({ zeroLength: 128 * MiB });
    await expect(openDisk(file)).rejects.toMatchObject({ code: 'DISK_LOG_UNREPLAYABLE' });
  });

  it('refuses a log whose FlushedFileOffset is past the end of the file', async () => {
    const file = await dirty({ flushedFileOffset: 1n << 40n });
    await expect(openDisk(file)).rejects.toMatchObject({ code: 'DISK_LOG_UNREPLAYABLE' });
  });
});
