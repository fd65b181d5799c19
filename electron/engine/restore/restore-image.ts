import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { TesseraError } from '../../../shared/errors.js';
import type { WritableFormat } from '../disk/types.js';
import { createDiskWriter } from '../disk/writers.js';
import { DIGEST_BYTES, isZeroDigest } from '../store/digest.js';
import type { DiskImageManifest, ImageManifest } from '../store/manifest.js';
import type { Store } from '../store/store.js';
import { defaultHostCount } from '../hosts/host-pool.js';
import { RestoreHosts, type FetchedWindow } from './restore-hosts.js';

export interface RestoreProgress {
  readonly doneBytes: number;
  readonly totalBytes: number;
}

export interface RestoreRequest {
  readonly store: Store;
  readonly backupId: string;
  /** Directory the disks are written into. */
  readonly toDir: string;
  readonly format: WritableFormat;
  /** Restore only these disk positions (default all). */
  readonly positions?: readonly number[];
  /** File name per disk position (default: the source name with the format's extension). */
  readonly names?: ReadonlyMap<number, string>;
  /** Absolute path per disk position, instead of `toDir` and `names` (a whole-VM restore). */
  readonly paths?: ReadonlyMap<number, string>;
  /** Format per disk position, instead of `format`. */
  readonly formats?: ReadonlyMap<number, WritableFormat>;
  /** Identity (GUID) per disk position, instead of the recorded one (a restore with new IDs). */
  readonly identities?: ReadonlyMap<number, string>;
  /**
   * Flush each disk to stable storage before it is renamed into place. Off by default, as
   * for qemu-img convert and restic restore: a restore that is cut short is simply rerun.
   */
  readonly durable?: boolean;
  /** Restore hosts (worker threads) that fetch and check blocks; default one per core. */
  readonly hosts?: number;
  readonly signal?: AbortSignal;
  readonly onProgress?: (progress: RestoreProgress) => void;
}

export interface RestoredDisk {
  readonly position: number;
  readonly path: string;
  readonly virtualSize: number;
}

/** Each window covers this much of the virtual disk; adjacent stored blocks become one write. */
const WINDOW_BYTES = 4 * 1024 * 1024;
/** Windows being filled by the hosts ahead of the writer. */
const WINDOWS_IN_FLIGHT = 8;
/** Windows handed to the writer and not yet written. */
const WINDOWS_WRITING = 2;

const EXTENSIONS: Record<WritableFormat, string> = {
  raw: '.raw',
  vhd: '.vhd',
  'vhd-fixed': '.vhd',
  vhdx: '.vhdx',
};

export function restoredName(disk: DiskImageManifest, format: WritableFormat): string {
  return `${path.parse(disk.name).name}${EXTENSIONS[format]}`;
}

/**
 * Restores an image's disks, each on its own from the image's digest lists: no other image is
 * needed. Every block is checked against its digest as it is read; a missing or damaged block
 * fails the restore and removes the partial disk.
 */
export async function restoreImage(request: RestoreRequest): Promise<RestoredDisk[]> {
  const { store } = request;
  const manifest = await store.readManifest(request.backupId);
  const disks = manifest.disks.filter(
    (d) => !request.positions || request.positions.includes(d.position),
  );
  if (request.positions && disks.length !== request.positions.length) {
    throw new TesseraError(
      'BAD_REQUEST',
      `image ${request.backupId} has disks ${manifest.disks.map((d) => d.position).join(', ')}`,
    );
  }
  await mkdir(request.toDir, { recursive: true });
  const totalBytes = disks.reduce((sum, d) => sum + d.virtualSize, 0);
  let before = 0;
  const restored: RestoredDisk[] = [];
  const hosts = new RestoreHosts(request.hosts ?? defaultHostCount(), store.dir);
  try {
    for (const disk of disks) {
      const format = request.formats?.get(disk.position) ?? request.format;
      const target =
        request.paths?.get(disk.position) ??
        path.join(request.toDir, request.names?.get(disk.position) ?? restoredName(disk, format));
      await restoreDisk(store, hosts, manifest, disk, target, format, request, (done) =>
        request.onProgress?.({ doneBytes: before + done, totalBytes }),
      );
      before += disk.virtualSize;
      restored.push({ position: disk.position, path: target, virtualSize: disk.virtualSize });
    }
  } finally {
    await hosts.close();
  }
  return restored;
}

interface Writing {
  readonly done: Promise<unknown>;
  /** The window buffer to reuse once the writes are done (none for an all-zero window). */
  readonly buffer: ArrayBuffer | null;
}

/**
 * Restores one disk: the hosts fill windows of it (looked up, read, decoded and checked) and
 * this thread writes their stored runs in disk order; window buffers go back to the hosts to
 * be filled again, so their pages are touched once per restore, not once per window.
 */
async function restoreDisk(
  store: Store,
  hosts: RestoreHosts,
  manifest: ImageManifest,
  disk: DiskImageManifest,
  target: string,
  format: WritableFormat,
  request: RestoreRequest,
  progress: (doneBytes: number) => void,
): Promise<void> {
  const digests = await store.readDigestList(manifest, disk.position);
  const writer = await createDiskWriter(target, format, {
    virtualSize: disk.virtualSize,
    logicalSectorSize: disk.logicalSectorSize,
    physicalSectorSize: disk.physicalSectorSize,
    identity: request.identities?.get(disk.position) ?? disk.identity ?? undefined,
    durable: request.durable ?? false,
  });
  const perWindow = Math.max(1, Math.floor(WINDOW_BYTES / disk.blockSize));
  const free: ArrayBuffer[] = [];
  const filling: Array<{
    firstOffset: number;
    endOffset: number;
    window: Promise<FetchedWindow | null>;
  }> = [];
  const writing: Writing[] = [];
  const observe = <T>(promise: Promise<T>): Promise<T> => {
    promise.catch(() => undefined); // awaited in order below; not unhandled meanwhile
    return promise;
  };
  const retireWrite = async (): Promise<void> => {
    const { done, buffer } = writing.shift()!;
    await done;
    if (buffer) free.push(buffer);
  };
  const write = async (): Promise<void> => {
    const { firstOffset, endOffset, window } = filling.shift()!;
    const filled = await window;
    const writes: Array<Promise<unknown>> = writing.map((w) => w.done); // progress stays in order
    if (filled) {
      const bytes = Buffer.from(filled.buffer);
      for (let i = 0; i < filled.runs.length; i += 2) {
        const start = filled.runs[i]!;
        const end = filled.runs[i + 1]!;
        writes.push(writer.write(firstOffset + start, bytes.subarray(start, end)));
      }
    }
    const done = observe(Promise.all(writes).then(() => progress(endOffset)));
    writing.push({ done, buffer: filled?.buffer ?? null });
    if (writing.length > WINDOWS_WRITING) await retireWrite();
  };
  try {
    for (let first = 0; first < disk.blockCount; first += perWindow) {
      request.signal?.throwIfAborted();
      const end = Math.min(disk.blockCount, first + perWindow);
      const window = digests.subarray(first * DIGEST_BYTES, end * DIGEST_BYTES);
      const firstOffset = first * disk.blockSize;
      const fetched = isZeroDigestList(window)
        ? Promise.resolve(null)
        : hosts.fetch({
            disk: disk.name,
            firstOffset,
            blockSize: disk.blockSize,
            virtualSize: disk.virtualSize,
            digests: new Uint8Array(window),
            buffer: free.pop(),
          });
      const endOffset = Math.min(disk.virtualSize, end * disk.blockSize);
      filling.push({ firstOffset, endOffset, window: observe(fetched) });
      if (filling.length >= WINDOWS_IN_FLIGHT) await write();
    }
    while (filling.length > 0) await write();
    while (writing.length > 0) await retireWrite();
    await writer.finish();
    progress(disk.virtualSize);
  } catch (error) {
    await Promise.allSettled([...filling.map((f) => f.window), ...writing.map((w) => w.done)]);
    await writer.abort();
    throw error;
  }
}

/** True when no block of the list was stored (all unallocated or zero). */
function isZeroDigestList(digests: Buffer): boolean {
  for (let at = 0; at < digests.byteLength; at += DIGEST_BYTES) {
    if (!isZeroDigest(digests.subarray(at, at + DIGEST_BYTES))) return false;
  }
  return true;
}
