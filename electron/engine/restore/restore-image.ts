import { mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { TesseraError } from '../../../shared/errors.js';
import type { WritableFormat } from '../disk/types.js';
import { createDiskWriter } from '../disk/writers.js';
import type { StoredBlock } from '../hosts/restore-messages.js';
import { DIGEST_BYTES, digestHex, isZeroDigest } from '../store/digest.js';
import type { DiskImageManifest, ImageManifest } from '../store/manifest.js';
import type { Store } from '../store/store.js';
import { RestoreHosts, type Piece } from './restore-hosts.js';

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

/** Each read covers this much of the virtual disk; adjacent stored blocks become one write. */
const WINDOW_BYTES = 4 * 1024 * 1024;
/** Windows read and checked ahead of the writer, and writes kept in flight. */
const WINDOWS_IN_FLIGHT = 8;
const WRITES_IN_FLIGHT = 4;

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
  for (const disk of disks) {
    const format = request.formats?.get(disk.position) ?? request.format;
    const target =
      request.paths?.get(disk.position) ??
      path.join(request.toDir, request.names?.get(disk.position) ?? restoredName(disk, format));
    await restoreDisk(store, manifest, disk, target, format, request, (done) =>
      request.onProgress?.({ doneBytes: before + done, totalBytes }),
    );
    before += disk.virtualSize;
    restored.push({ position: disk.position, path: target, virtualSize: disk.virtualSize });
  }
  return restored;
}

async function restoreDisk(
  store: Store,
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
  const hosts = new RestoreHosts(request.hosts ?? Math.max(1, os.availableParallelism()));
  const perWindow = Math.max(1, Math.floor(WINDOW_BYTES / disk.blockSize));
  const reading: Array<Promise<Piece[]>> = [];
  const writing: Array<Promise<void>> = [];
  const observe = <T>(promise: Promise<T>): Promise<T> => {
    promise.catch(() => undefined); // awaited in order below; not unhandled meanwhile
    return promise;
  };
  const retire = async (): Promise<void> => {
    for (const piece of await reading.shift()!) {
      writing.push(observe(writer.write(piece.offset, piece.data)));
      progress(piece.offset + piece.data.byteLength);
    }
    while (writing.length > WRITES_IN_FLIGHT) await writing.shift();
  };
  try {
    for (let first = 0; first < disk.blockCount; first += perWindow) {
      request.signal?.throwIfAborted();
      const end = Math.min(disk.blockCount, first + perWindow);
      reading.push(observe(readWindow(store, hosts, disk, digests, first, end)));
      if (reading.length >= WINDOWS_IN_FLIGHT) await retire();
    }
    while (reading.length > 0) await retire();
    await Promise.all(writing);
    await writer.finish();
    progress(disk.virtualSize);
  } catch (error) {
    await Promise.allSettled([...reading, ...writing]);
    await writer.abort();
    throw error;
  } finally {
    await hosts.close();
  }
}

/** Reads blocks [first, end) on the restore hosts, as pieces of adjacent stored blocks. */
async function readWindow(
  store: Store,
  hosts: RestoreHosts,
  disk: DiskImageManifest,
  digests: Buffer,
  first: number,
  end: number,
): Promise<Piece[]> {
  const blocks: StoredBlock[] = [];
  for (let block = first; block < end; block++) {
    const digest = digests.subarray(block * DIGEST_BYTES, (block + 1) * DIGEST_BYTES);
    if (isZeroDigest(digest)) continue;
    const location = store.index.locate(Buffer.from(digest));
    if (!location) {
      throw new TesseraError(
        'BLOCK_MISSING',
        `${disk.name}: the block at offset ${block * disk.blockSize} (${digestHex(digest)}) is not in the storage unit`,
      );
    }
    const expected = Math.min(disk.blockSize, disk.virtualSize - block * disk.blockSize);
    if (location.rawLength !== expected) {
      throw new TesseraError(
        'BLOCK_DAMAGED',
        `${disk.name}: the block at offset ${block * disk.blockSize} is stored with ${location.rawLength} bytes, expected ${expected}`,
      );
    }
    blocks.push({
      offset: block * disk.blockSize,
      digest: new Uint8Array(digest),
      packPath: store.layout.pack(location.pack),
      packOffset: location.offset,
      storedLength: location.storedLength,
      rawLength: location.rawLength,
      codec: location.codec,
    });
  }
  if (blocks.length === 0) return [];
  try {
    return await hosts.fetch(blocks);
  } catch (error) {
    if (!(error as { packGone?: boolean }).packGone) throw error;
    // A garbage collection repacked these blocks since the look-up: readBlock looks them up
    // again (and checks them).
    const pieces: Piece[] = [];
    for (const b of blocks) {
      pieces.push({ offset: b.offset, data: await store.readBlock(Buffer.from(b.digest)) });
    }
    return pieces;
  }
}
