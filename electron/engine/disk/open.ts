import { realpath, access } from 'node:fs/promises';
import path from 'node:path';
import { DiskError } from './errors.js';
import type { FormatReader } from './formats.js';
import { ImageFile } from './io/file.js';
import { LayeredDisk, type DiskLayer, type ParentReference } from './layer.js';
import { openRawLayer } from './raw/raw-reader.js';
import type { DiskFormat, VirtualDisk } from './types.js';
import { vhdFormat } from './vhd/vhd-format.js';
import { vhdxFormat } from './vhdx/vhdx-format.js';

const FORMATS: readonly FormatReader[] = [vhdxFormat, vhdFormat];

/** Deeper chains than this are refused: no real chain is this long, a crafted one might be. */
export const MAX_CHAIN_DEPTH = 64;

export interface OpenDiskOptions {
  /** Skip detection and read the file as this format. */
  readonly format?: DiskFormat;
}

/** Opens a virtual disk of any supported format, with its whole differencing chain. */
export async function openDisk(file: string, options: OpenDiskOptions = {}): Promise<VirtualDisk> {
  return openChain(path.resolve(file), options.format, []);
}

async function openChain(
  file: string,
  format: DiskFormat | undefined,
  seen: string[],
): Promise<VirtualDisk> {
  const real = await realpath(file).catch(() => file);
  if (seen.includes(real)) {
    throw new DiskError(
      'DISK_PARENT_CYCLE',
      file,
      `the chain ${[...seen, real].join(' -> ')} loops`,
    );
  }
  if (seen.length >= MAX_CHAIN_DEPTH) {
    throw new DiskError(
      'DISK_PARENT_CYCLE',
      file,
      `the differencing chain is deeper than ${MAX_CHAIN_DEPTH} disks`,
    );
  }
  const layer = await openLayer(file, format);
  if (!layer.parent) return new LayeredDisk(layer, null);
  try {
    const parent = await openParent(file, layer.parent, [...seen, real]);
    return new LayeredDisk(layer, parent);
  } catch (error) {
    await layer.close();
    throw error;
  }
}

async function openLayer(file: string, format: DiskFormat | undefined): Promise<DiskLayer> {
  const image = await ImageFile.open(file);
  try {
    const reader = await chooseReader(image, format);
    return reader ? await reader.open(image) : openRawLayer(image);
  } catch (error) {
    await image.close();
    throw error;
  }
}

async function chooseReader(
  image: ImageFile,
  format: DiskFormat | undefined,
): Promise<FormatReader | null> {
  if (format === 'raw') return null;
  if (format) return FORMATS.find((reader) => reader.format === format) ?? null;
  for (const reader of FORMATS) {
    if (await reader.probe(image)) return reader;
  }
  const extension = path.extname(image.path).slice(1).toLowerCase();
  const claimed = FORMATS.find((reader) => reader.extensions.includes(extension));
  if (claimed) {
    throw new DiskError(
      'DISK_BAD_SIGNATURE',
      image.path,
      `is named .${extension} but has no ${claimed.format.toUpperCase()} signature (damaged, or not a ${claimed.format.toUpperCase()} file)`,
    );
  }
  return null;
}

async function openParent(
  child: string,
  reference: ParentReference,
  seen: string[],
): Promise<VirtualDisk> {
  const candidates = parentCandidates(child, reference.locations);
  const mismatched: string[] = [];
  for (const candidate of candidates) {
    if (!(await exists(candidate))) continue;
    const parent = await openChain(candidate, undefined, seen);
    const found = linkIdentityOf(parent);
    if (matchesReference(reference, found)) return parent;
    mismatched.push(`${candidate} (has ${found ?? 'no identity'})`);
    await parent.close();
  }
  if (mismatched.length > 0) {
    throw new DiskError(
      'DISK_PARENT_MISMATCH',
      child,
      `expects parent ${reference.linkIdentity} but found ${mismatched.join(', ')}`,
    );
  }
  throw new DiskError(
    'DISK_PARENT_MISSING',
    child,
    `parent not found; looked for ${candidates.length > 0 ? candidates.join(', ') : 'no recorded location'}`,
  );
}

function matchesReference(reference: ParentReference, found: string | null): boolean {
  if (reference.linkIdentity === null) return true;
  return (
    found === reference.linkIdentity ||
    (found !== null && (reference.alternateLinkIdentities ?? []).includes(found))
  );
}

/** The identity a child names its parent by; kept beside the disk by LayeredDisk. */
function linkIdentityOf(disk: VirtualDisk): string | null {
  return disk instanceof LayeredDisk ? disk.linkIdentity : null;
}

/**
 * Turns the locations a child records (Windows relative and absolute paths, volume paths,
 * file URLs) into local paths to try: each as recorded, then its file name beside the child,
 * because chains are routinely copied from a Hyper-V host to another machine.
 */
export function parentCandidates(child: string, locations: readonly string[]): string[] {
  const childDir = path.dirname(child);
  const direct: string[] = [];
  const besideChild: string[] = [];
  for (const location of locations) {
    const normalised = location.replace(/^file:\/\/(localhost)?/i, '').replace(/\\/g, '/');
    if (normalised.length === 0) continue;
    const windowsAbsolute = /^[a-z]:\//i.test(normalised) || normalised.startsWith('//');
    if (!windowsAbsolute) direct.push(path.resolve(childDir, normalised));
    const base = normalised.split('/').pop();
    if (base) besideChild.push(path.join(childDir, base));
  }
  return [...new Set([...direct, ...besideChild])];
}

async function exists(file: string): Promise<boolean> {
  return access(file).then(
    () => true,
    () => false,
  );
}
