/**
 * The first-run sample VM: a folder holding one dynamic VHDX with a small FAT16 file system,
 * so a new user can back up and restore something before pointing Tessera at real VMs.
 *
 * The folder holds nothing but the disk, so the folder inventory source lists it as one VM
 * (a loose disk: one VM per folder, named after the folder). The disk is written by Tessera's
 * own VHDX writer under a temporary name and renamed into place when complete; the temporary
 * name does not end in a disk extension, so a scan running meanwhile never lists a half-made
 * disk. On failure, whatever was created is removed again.
 */
import { mkdir, open, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { TesseraError } from '../../../shared/errors.js';
import { createDiskWriter } from '../disk/index.js';
import { buildFatDisk } from './fat-disk.js';
import { sampleFiles } from './sample-content.js';

export const SAMPLE_VM_NAME = 'Tessera Sample VM';
export const SAMPLE_DISK_SIZE = 32 * 1024 * 1024;
const VOLUME_LABEL = 'TESSERA';
/**
 * 1 MiB blocks rather than Hyper-V's 32 MiB default: the file then stays about 8 MiB even on
 * a file system that does not keep holes sparse (NTFS, unless a file is marked sparse).
 */
const BLOCK_SIZE = 1024 * 1024;
const WRITE_CHUNK = 1024 * 1024;

export interface SampleVmOptions {
  /** Name of the VM and its folder; default "Tessera Sample VM". */
  readonly name?: string;
  /** When the sample is made (file times, CREATED.TXT); now when absent. */
  readonly createdAt?: Date;
}

export interface CreatedSampleVm {
  readonly folder: string;
  readonly diskPath: string;
  readonly name: string;
}

export async function createSampleVm(
  parentDir: string,
  options: SampleVmOptions = {},
): Promise<CreatedSampleVm> {
  const name = checkName(options.name ?? SAMPLE_VM_NAME);
  const folder = path.resolve(parentDir, name);
  const diskPath = path.join(folder, `${name}.vhdx`);
  const createdAt = options.createdAt ?? new Date();

  const firstCreated = await claimFolder(folder);
  try {
    const disk = buildFatDisk({
      diskSize: SAMPLE_DISK_SIZE,
      label: VOLUME_LABEL,
      files: sampleFiles(createdAt),
      time: createdAt,
    });
    const writer = await createDiskWriter(diskPath, 'vhdx', {
      virtualSize: disk.image.byteLength,
      blockSize: BLOCK_SIZE,
    });
    try {
      for (let at = 0; at < disk.image.byteLength; at += WRITE_CHUNK)
        await writer.write(at, disk.image.subarray(at, at + WRITE_CHUNK));
      await writer.finish();
    } catch (error) {
      await writer.abort();
      throw error;
    }
    await syncFolder(folder);
  } catch (error) {
    if (firstCreated) await rm(firstCreated, { recursive: true, force: true });
    throw error;
  }
  return { folder, diskPath, name };
}

/** A folder name on every platform the app runs on (Windows is the strictest). */
function checkName(name: string): string {
  const valid =
    name.trim() === name &&
    name !== '' &&
    name !== '.' &&
    name !== '..' &&
    !name.endsWith('.') &&
    // eslint-disable-next-line no-control-regex
    !/[<>:"/\\|?*\u0000-\u001f]/.test(name) &&
    name.length <= 200;
  if (!valid) {
    throw new TesseraError(
      'BAD_REQUEST',
      `"${name}" cannot be a sample VM's name: use a folder name without / \\ : * ? " < > | ` +
        'and without spaces or a dot at either end',
    );
  }
  return name;
}

/**
 * Makes `folder` (and any missing parents) or accepts it if it exists and is empty; returns the
 * first folder it created, which a failure removes, or null if the folder was there.
 */
async function claimFolder(folder: string): Promise<string | null> {
  const created = await mkdir(folder, { recursive: true }).catch((cause: unknown) => {
    throw new TesseraError('BAD_REQUEST', `cannot create the folder ${folder}: ${reason(cause)}`, {
      cause,
    });
  });
  if (created !== undefined) return created;
  const entries = await readdir(folder).catch((cause: unknown) => {
    throw new TesseraError('BAD_REQUEST', `cannot use ${folder}: ${reason(cause)}`, { cause });
  });
  if (entries.length > 0) {
    throw new TesseraError(
      'BAD_REQUEST',
      `${folder} already exists and is not empty; the sample VM needs a new or empty folder ` +
        '(choose another name, or delete the old sample first)',
    );
  }
  return null;
}

/**
 * Makes the rename that put the disk in place durable. Best effort: Windows cannot open a
 * folder to flush it, and NTFS journals the rename anyway.
 */
async function syncFolder(folder: string): Promise<void> {
  const handle = await open(folder, 'r').catch(() => null);
  if (!handle) return;
  await handle.sync().catch(() => undefined);
  await handle.close();
}

function reason(cause: unknown): string {
  return cause instanceof Error ? cause.message : String(cause);
}
