/**
 * Turns the disk files a source names into VmDisks: opened with the disk layer for the format,
 * virtual size and differencing chain, then closed. A disk that cannot be opened (missing,
 * damaged, or a format Tessera does not read) is still listed, with `virtualSize: null` and the
 * reason in `problem`, so the VM and its other disks stay visible.
 */
import { open, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import type { VmDisk } from '../../../shared/inventory.js';
import { openDisk } from '../disk/open.js';
import type { DiskFormat } from '../disk/types.js';
import { describeFsError } from './scan-collector.js';

/** The formats the disk layer reads. */
const READABLE: ReadonlySet<string> = new Set<DiskFormat>(['raw', 'vhd', 'vhdx']);

/** Disks opened at once: header reads only, but a folder may hold hundreds. */
const OPEN_CONCURRENCY = 8;

export interface DiskRequest {
  /** Absolute path of the disk file as the source names it (after locating it). */
  readonly path: string;
  /**
   * The format the source declares, in Tessera's names ('raw', 'vhd', 'vhdx') or the source's
   * own in lower case ('qcow2', 'vdi', 'vmdk'...); null to detect it from the file.
   */
  readonly format: string | null;
  /** Where the disk is attached, as the source says it. */
  readonly slot: string | null;
  /** Parents the configuration itself records, nearest first: the chain when the file
   *  cannot be opened (the disk layer's chain wins when it can). */
  readonly knownChain?: readonly string[];
  /**
   * Set when the disk must not be opened, and why: the source looked for the file and did not
   * find it, or the disk is of a kind Tessera does not read (a host block device).
   */
  readonly unusable?: string | null;
}

/** Signatures of image formats the disk layer does not read, which it would take for raw. */
const FOREIGN_SIGNATURES: ReadonlyArray<{ format: string; matches: (head: Buffer) => boolean }> = [
  { format: 'qcow2', matches: (head) => head.toString('latin1', 0, 4) === 'QFI\xfb' },
  { format: 'qed', matches: (head) => head.toString('latin1', 0, 4) === 'QED\0' },
  {
    format: 'vmdk',
    matches: (head) =>
      head.toString('latin1', 0, 4) === 'KDMV' ||
      head.toString('latin1', 0, 21) === '# Disk DescriptorFile',
  },
  {
    format: 'vdi',
    matches: (head) => head.byteLength >= 0x44 && head.readUInt32LE(0x40) === 0xbeda107f,
  },
];

/** Opens one disk and describes it; never throws. */
export async function inspectDisk(request: DiskRequest): Promise<VmDisk> {
  const file = path.resolve(request.path);
  const declared = request.format?.toLowerCase() ?? null;
  const unreadable = (format: string, problem: string): VmDisk => ({
    path: file,
    format,
    virtualSize: null,
    chain: (request.knownChain ?? []).map((parent) => path.resolve(parent)),
    slot: request.slot,
    problem,
  });

  if (request.unusable) return unreadable(declared ?? formatFromName(file), request.unusable);
  const foreign = declared ?? (await sniffForeignFormat(file));
  if (foreign !== null && !READABLE.has(foreign)) {
    const exists = await stat(file).then(
      () => null,
      (error: unknown) => describeFsError(error),
    );
    return unreadable(
      foreign,
      `${file}: ${exists ?? `${foreign.toUpperCase()} images are not read by Tessera yet`}`,
    );
  }

  try {
    const disk = await openDisk(file, declared ? { format: declared as DiskFormat } : {});
    try {
      const chain: string[] = [];
      for (let parent = disk.parent; parent; parent = parent.parent) chain.push(parent.path);
      return {
        path: file,
        format: disk.format,
        virtualSize: disk.virtualSize,
        chain,
        slot: request.slot,
        problem: null,
      };
    } finally {
      await disk.close();
    }
  } catch (error) {
    return unreadable(
      declared ?? formatFromName(file),
      error instanceof Error ? error.message : String(error),
    );
  }
}

/** Inspects disks a few at a time; results in request order. */
export async function inspectDisks(requests: readonly DiskRequest[]): Promise<VmDisk[]> {
  const results: VmDisk[] = new Array<VmDisk>(requests.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < requests.length) {
      const index = next++;
      results[index] = await inspectDisk(requests[index]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(OPEN_CONCURRENCY, requests.length) }, worker));
  return results;
}

/** Every file that is a parent in one of the disks' chains (paths with links resolved). */
export async function chainMembers(disks: Iterable<VmDisk>): Promise<Set<string>> {
  const parents = new Set<string>();
  for (const disk of disks) {
    for (const parent of disk.chain) parents.add(await realOrSelf(parent));
  }
  return parents;
}

/**
 * Drops the disks that are another disk's parent: they are part of that disk's chain, not
 * disks of their own. `parents` defaults to the chains of `disks` themselves; a caller that
 * knows more chains (other folders, other VMs) passes them all.
 */
export async function keepLeaves(
  disks: readonly VmDisk[],
  parents?: ReadonlySet<string>,
): Promise<VmDisk[]> {
  const members = parents ?? (await chainMembers(disks));
  const leaves: VmDisk[] = [];
  for (const disk of disks) {
    if (!members.has(await realOrSelf(disk.path))) leaves.push(disk);
  }
  return leaves;
}

export async function realOrSelf(file: string): Promise<string> {
  return realpath(file).catch(() => path.resolve(file));
}

/** The format a file's name suggests, for disks that could not be opened. */
export function formatFromName(file: string): string {
  const extension = path.extname(file).slice(1).toLowerCase();
  switch (extension) {
    case 'vhdx':
    case 'avhdx':
      return 'vhdx';
    case 'vhd':
    case 'avhd':
      return 'vhd';
    case 'img':
    case 'raw':
    case '':
      return 'raw';
    default:
      return extension;
  }
}

/** The format of an image the disk layer would misread as raw, or null. */
async function sniffForeignFormat(file: string): Promise<string | null> {
  let handle;
  try {
    handle = await open(file, 'r');
  } catch {
    return null; // openDisk reports why the file cannot be opened
  }
  try {
    const head = Buffer.alloc(512);
    const { bytesRead } = await handle.read(head, 0, head.byteLength, 0);
    const bytes = head.subarray(0, bytesRead);
    return FOREIGN_SIGNATURES.find((signature) => signature.matches(bytes))?.format ?? null;
  } catch {
    return null;
  } finally {
    await handle.close();
  }
}
