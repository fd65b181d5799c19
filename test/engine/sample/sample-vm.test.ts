import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { TesseraError } from '../../../shared/errors.js';
import { openDisk } from '../../../electron/engine/disk/index.js';
import { scanSources } from '../../../electron/engine/inventory/index.js';
import {
  buildFatDisk,
  createSampleVm,
  SAMPLE_DISK_SIZE,
  SAMPLE_VM_NAME,
  sampleFiles,
  type CreatedSampleVm,
} from '../../../electron/engine/sample/index.js';
import { sha256OfDisk } from '../../helpers/disk.js';
import { scratchDir, sha256File } from '../../helpers/scratch.js';
import { qemuImg } from '../../helpers/tools.js';
import { fsckFat, mtoolsList, mtoolsRead } from './fat-tools.js';

const CREATED_AT = new Date('2025-06-01T08:15:30.250Z');
const MiB = 1024 * 1024;
const sha256 = (data: Uint8Array): string => createHash('sha256').update(data).digest('hex');

let dir: string;
let cleanup: () => Promise<void>;
let sample: CreatedSampleVm;
let raw: string;

beforeAll(async () => {
  ({ dir, cleanup } = await scratchDir('tessera-sample-'));
  await mkdir(path.join(dir, 'vms'));
  sample = await createSampleVm(path.join(dir, 'vms'), { createdAt: CREATED_AT });
  raw = path.join(dir, 'sample.raw');
  await qemuImg('convert', '-f', 'vhdx', '-O', 'raw', sample.diskPath, raw);
});
afterAll(() => cleanup());

async function rejection(promise: Promise<unknown>): Promise<TesseraError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(TesseraError);
  return error as TesseraError;
}

describe('createSampleVm', () => {
  it('makes a folder named after the VM holding only its disk', async () => {
    expect(sample.name).toBe(SAMPLE_VM_NAME);
    expect(sample.folder).toBe(path.join(dir, 'vms', SAMPLE_VM_NAME));
    expect(sample.diskPath).toBe(path.join(sample.folder, `${SAMPLE_VM_NAME}.vhdx`));
    expect(await readdir(sample.folder)).toEqual([`${SAMPLE_VM_NAME}.vhdx`]);
  });

  it('writes a dynamic VHDX that qemu-img checks clean', async () => {
    await qemuImg('check', '-f', 'vhdx', sample.diskPath);
    const info = JSON.parse(await qemuImg('info', '--output=json', sample.diskPath)) as {
      format: string;
      'virtual-size': number;
      'actual-size': number;
    };
    expect(info.format).toBe('vhdx');
    expect(info['virtual-size']).toBe(SAMPLE_DISK_SIZE);
    const disk = await openDisk(sample.diskPath);
    try {
      expect(disk.format).toBe('vhdx');
      expect(disk.subformat).toBe('dynamic');
      expect(disk.virtualSize).toBe(SAMPLE_DISK_SIZE);
      // Only the blocks holding the partition table, FAT structures and files are allocated.
      expect(disk.allocatedBytes).toBeGreaterThanOrEqual(2 * MiB);
      expect(disk.allocatedBytes).toBeLessThanOrEqual(4 * MiB);
      const expected = buildFatDisk({
        diskSize: SAMPLE_DISK_SIZE,
        label: 'TESSERA',
        files: sampleFiles(CREATED_AT),
        time: CREATED_AT,
      });
      expect(await sha256OfDisk(disk)).toBe(sha256(expected.image));
    } finally {
      await disk.close();
    }
  });

  it('holds a FAT file system with the sample files, read back by mtools and fsck.fat', async () => {
    const offset = 2048 * 512;
    const listing = await mtoolsList(raw, offset);
    expect(listing).toMatch(/Volume in drive : is TESSERA/);
    for (const { path: name, data } of sampleFiles(CREATED_AT)) {
      expect(sha256(await mtoolsRead(raw, name, offset)), name).toBe(sha256(data));
    }
    const readme = (await mtoolsRead(raw, 'README.TXT', offset)).toString('latin1');
    expect(readme).toContain('made by Tessera, the VM backup manager');
    expect(readme).toMatch(/Back it up/);
    expect(readme).toMatch(/Restore the disk/);
    expect((await mtoolsRead(raw, 'CREATED.TXT', offset)).toString('latin1')).toBe(
      `Created by Tessera on ${CREATED_AT.toISOString()}\r\n`,
    );
    const log = await mtoolsRead(raw, 'LOGS/SHOP.LOG', offset);
    expect(log.length).toBeGreaterThan(MiB);
    expect(log.length).toBeLessThan(2 * MiB);
    // Varied, not one line repeated: most lines are unique.
    const lines = log.toString('latin1').split('\r\n');
    expect(new Set(lines).size).toBeGreaterThan(lines.length * 0.9);

    const partition = path.join(dir, 'partition.img');
    await writeFile(partition, (await readFile(raw)).subarray(offset));
    expect(await fsckFat(partition)).toMatch(/FAT16|16 bit entries/);
  });

  it('is found by a folder inventory scan as one VM named after its folder, with one disk', async () => {
    const scan = await scanSources([
      {
        id: 1,
        kind: 'folder',
        path: path.join(dir, 'vms'),
        name: 'lab',
        addedAt: 1_700_000_000_000,
      },
    ]);
    expect(scan.problems).toEqual([]);
    expect(scan.vms).toHaveLength(1);
    const [vm] = scan.vms;
    expect(vm!.name).toBe(SAMPLE_VM_NAME);
    expect(vm!.configPath).toBe(sample.folder);
    expect(vm!.disks).toEqual([
      expect.objectContaining({
        path: sample.diskPath,
        format: 'vhdx',
        virtualSize: SAMPLE_DISK_SIZE,
        chain: [],
        problem: null,
      }),
    ]);
  });

  it('refuses a folder that already holds something, leaving it as it was', async () => {
    const before = await sha256File(sample.diskPath);
    const error = await rejection(createSampleVm(path.join(dir, 'vms')));
    expect(error.code).toBe('BAD_REQUEST');
    expect(error.message).toContain(sample.folder);
    expect(error.message).toMatch(/already exists and is not empty/);
    expect(await readdir(sample.folder)).toEqual([`${SAMPLE_VM_NAME}.vhdx`]);
    expect(await sha256File(sample.diskPath)).toBe(before);
  });

  it('uses an existing empty folder, and makes missing parent folders', async () => {
    const empty = path.join(dir, 'empty', 'Lab');
    await mkdir(empty, { recursive: true });
    const made = await createSampleVm(path.join(dir, 'empty'), { name: 'Lab' });
    expect(made).toEqual({ folder: empty, diskPath: path.join(empty, 'Lab.vhdx'), name: 'Lab' });
    await qemuImg('check', '-f', 'vhdx', made.diskPath);

    const nested = await createSampleVm(path.join(dir, 'new', 'parents'));
    expect(await readdir(nested.folder)).toEqual([`${SAMPLE_VM_NAME}.vhdx`]);
  });

  it('refuses names that are not a plain folder name', async () => {
    for (const name of ['', '..', 'a/b', 'a\\b', 'what?', ' padded', 'dot.', 'x'.repeat(201)]) {
      const error = await rejection(createSampleVm(dir, { name }));
      expect(error.code, JSON.stringify(name)).toBe('BAD_REQUEST');
      expect(error.message).toMatch(/cannot be a sample VM's name/);
    }
  });
});
