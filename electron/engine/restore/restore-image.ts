import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { TesseraError } from '../../../shared/errors.js';
import { createDiskWriter } from '../disk/writers.js';
import type { WritableFormat } from '../disk/types.js';
import { DIGEST_BYTES, isZeroDigest } from '../store/digest.js';
import type { DiskImageManifest, ImageManifest } from '../store/manifest.js';
import type { Store } from '../store/store.js';

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
  readonly signal?: AbortSignal;
  readonly onProgress?: (progress: RestoreProgress) => void;
}

export interface RestoredDisk {
  readonly position: number;
  readonly path: string;
  readonly virtualSize: number;
}

/** Blocks read and checked ahead of the writer. */
const READ_AHEAD = 16;

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
    const target = path.join(
      request.toDir,
      request.names?.get(disk.position) ?? restoredName(disk, request.format),
    );
    await restoreDisk(store, manifest, disk, target, request, (done) =>
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
  request: RestoreRequest,
  progress: (doneBytes: number) => void,
): Promise<void> {
  const digests = await store.readDigestList(manifest, disk.position);
  const writer = await createDiskWriter(target, request.format, {
    virtualSize: disk.virtualSize,
    logicalSectorSize: disk.logicalSectorSize,
    physicalSectorSize: disk.physicalSectorSize,
    identity: disk.identity ?? undefined,
  });
  const writes: Promise<void>[] = [];
  try {
    const inFlight: Array<{ offset: number; data: Promise<Buffer> }> = [];
    const drain = async (): Promise<void> => {
      const { offset, data } = inFlight.shift()!;
      const block = await data;
      const write = writer.write(offset, block);
      write.catch(() => undefined); // awaited below; not unhandled meanwhile
      writes.push(write);
      if (writes.length >= READ_AHEAD) await writes.shift();
      progress(offset + block.byteLength);
    };
    for (let block = 0; block < disk.blockCount; block++) {
      request.signal?.throwIfAborted();
      const digest = digests.subarray(block * DIGEST_BYTES, (block + 1) * DIGEST_BYTES);
      if (isZeroDigest(digest)) continue;
      const data = store.readBlock(Buffer.from(digest)).then((raw) => {
        const expected = Math.min(disk.blockSize, disk.virtualSize - block * disk.blockSize);
        if (raw.byteLength !== expected) {
          throw new TesseraError(
            'BLOCK_DAMAGED',
            `${disk.name}: block at ${block * disk.blockSize} holds ${raw.byteLength} bytes, expected ${expected}`,
          );
        }
        return raw;
      });
      data.catch(() => undefined);
      inFlight.push({ offset: block * disk.blockSize, data });
      if (inFlight.length >= READ_AHEAD) await drain();
    }
    while (inFlight.length > 0) await drain();
    await Promise.all(writes);
    await writer.finish();
    progress(disk.virtualSize);
  } catch (error) {
    await Promise.allSettled(writes);
    await writer.abort();
    throw error;
  }
}
