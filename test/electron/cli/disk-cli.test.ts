import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { open, readdir, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { tessera } from '../../helpers/cli.js';
import { qemuImg, tool } from '../../helpers/tools.js';
import { scratchDir, seededBytes } from '../../helpers/scratch.js';

const MiB = 1024 * 1024;
let dir: string;
let cleanup: () => Promise<void>;

async function rawWithData(name: string, size: number, dataAt: number[]): Promise<string> {
  const file = path.join(dir, name);
  const handle = await open(file, 'w');
  await handle.truncate(size);
  for (const [i, at] of dataAt.entries()) await handle.write(seededBytes(i, MiB), 0, MiB, at);
  await handle.close();
  return file;
}

beforeAll(async () => {
  ({ dir, cleanup } = await scratchDir('tessera-cli-'));
});
afterAll(() => cleanup());

describe('tessera disk info', () => {
  it('prints JSON that agrees with qemu-img info', async () => {
    const file = await rawWithData('info.img', 24 * MiB, [3 * MiB]);
    const result = await tessera(['disk', 'info', file, '--json']);
    expect(result.code).toBe(0);
    const info = JSON.parse(result.stdout) as Record<string, unknown>;
    const qemu = JSON.parse(await qemuImg('info', '--output=json', file)) as {
      'virtual-size': number;
      format: string;
    };
    expect(info).toMatchObject({
      format: qemu.format,
      virtualSize: qemu['virtual-size'],
      path: file,
      parents: [],
    });
  });

  it('exits 4 with a readable message for a missing file', async () => {
    const result = await tessera(['disk', 'info', path.join(dir, 'nope.vhdx')]);
    expect(result.code).toBe(4);
    expect(result.stderr).toContain('no such file');
    expect(result.stderr).toContain('[DISK_IO]');
  });

  it('exits 3 for a file named .vhdx that is not one', async () => {
    const file = path.join(dir, 'fake.vhdx');
    await writeFile(file, Buffer.alloc(2 * MiB, 7));
    const result = await tessera(['disk', 'info', file]);
    expect(result.code).toBe(3);
    expect(result.stderr).toContain('DISK_BAD_SIGNATURE');
  });
});

describe('tessera disk convert', () => {
  it('converts raw to raw, equal by qemu-img compare and sparse', async () => {
    const source = await rawWithData('source.img', 64 * MiB, [0, 40 * MiB]);
    const target = path.join(dir, 'copy.img');
    const result = await tessera(['disk', 'convert', source, target, '--json']);
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ format: 'raw', virtualSize: 64 * MiB });
    await qemuImg('compare', '-f', 'raw', '-F', 'raw', source, target);
    expect((await stat(target)).blocks * 512).toBeLessThan(8 * MiB);
  });

  it('refuses to replace an existing file without --overwrite, and names the flag', async () => {
    const source = await rawWithData('keep.img', 4 * MiB, [0]);
    const target = path.join(dir, 'existing.img');
    await writeFile(target, 'precious');
    const refused = await tessera(['disk', 'convert', source, target]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('--overwrite');
    const replaced = await tessera(['disk', 'convert', source, target, '--overwrite']);
    expect(replaced.code, replaced.stderr).toBe(0);
    await qemuImg('compare', '-f', 'raw', '-F', 'raw', source, target);
  });

  it('rejects an unknown output format with exit 2', async () => {
    const source = await rawWithData('fmt.img', 4 * MiB, []);
    const result = await tessera([
      'disk',
      'convert',
      source,
      path.join(dir, 'x.out'),
      '--format',
      'qcow9',
    ]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--format must be one of');
  });

  it('leaves nothing behind when interrupted with Ctrl-C', async () => {
    const work = path.join(dir, 'interrupt');
    await import('node:fs/promises').then((fs) => fs.mkdir(work));
    const size = 1024 * MiB;
    const source = path.join(dir, 'big.img');
    const handle = await open(source, 'w');
    const block = seededBytes(99, 16 * MiB);
    for (let at = 0; at < size; at += block.length) await handle.write(block, 0, block.length, at);
    await handle.close();
    const target = path.join(work, 'big-copy.img');
    const result = await tessera(['disk', 'convert', source, target, '--json'], {
      onSpawn: (child) => {
        const poll = setInterval(() => {
          void readdir(work).then((names) => {
            if (names.some((name) => name.endsWith('.partial'))) {
              clearInterval(poll);
              child.kill('SIGINT');
            }
          });
        }, 20);
        child.on('exit', () => clearInterval(poll));
      },
    });
    expect(result.code, result.stderr).toBe(130);
    expect(result.stderr).toContain('interrupted');
    expect(await readdir(work)).toEqual([]);
  });

  it('fails with a clear error on a full target file system and leaves nothing there', async () => {
    const full = path.join(dir, 'full');
    await import('node:fs/promises').then((fs) => fs.mkdir(full));
    // A small tmpfs is a real full disk; mounting needs root, which CI has.
    await tool('mount', ['-t', 'tmpfs', '-o', 'size=8M', 'tmpfs', full]);
    try {
      const source = path.join(dir, 'random.img');
      await writeFile(source, seededBytes(5, 32 * MiB));
      const result = await tessera(['disk', 'convert', source, path.join(full, 'copy.img')]);
      expect(result.code).toBe(4);
      expect(result.stderr).toContain('the target file system is full');
      expect(await readdir(full)).toEqual([]);
    } finally {
      await tool('umount', [full]);
    }
  });
});
