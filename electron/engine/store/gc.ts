import { randomBytes } from 'node:crypto';
import {
  closeSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';
import path from 'node:path';
import type { GcReport } from '../../../shared/images.js';
import { DIGEST_BYTES, digestHex, isZeroDigest } from './digest.js';
import { fsyncDirectorySync } from './fs-durable.js';
import type { PackRow } from './block-index.js';
import {
  encodeIndex,
  ENTRY_BYTES,
  PACK_MAGIC,
  TRAILER_BYTES,
  type PackEntry,
} from './pack-format.js';
import type { Store } from './store.js';

export interface GcOptions {
  /** Repack a pack when at least this fraction of its bytes is garbage (default 0.25). */
  readonly repackThreshold?: number;
}

export type { GcReport } from '../../../shared/images.js';

/**
 * Garbage collection: mark, then sweep.
 *
 * Mark (no lock): the digests named by every committed image. Sweep (under the commit lock,
 * so no image commits meanwhile): add the digests of images committed since the mark, then
 * delete or repack only packs sealed before the mark began and before the oldest image a
 * running process is still staging. A running backup's new packs are therefore never touched;
 * a block it merely linked to may be swept, and its commit, which checks every block under the
 * same lock, stores that block again (in a new, protected pack) before committing.
 */
export async function collectGarbage(store: Store, options: GcOptions = {}): Promise<GcReport> {
  const threshold = options.repackThreshold ?? 0.25;
  await store.recover();
  const startedAt = Date.now();
  const live = new Set<string>();
  const marked = new Set<string>();
  for (const backupId of await store.listImages()) {
    try {
      const manifest = await store.readManifest(backupId);
      for (const disk of manifest.disks)
        addDigests(live, await store.readDigestList(manifest, disk.position));
    } catch {
      // Deleted (expired) since it was listed, or unreadable: left unmarked, so the sweep
      // reads it again under the lock, where it is either gone or fails the collection.
      continue;
    }
    marked.add(backupId);
  }

  return store.index.exclusive((): GcReport => {
    // Pack files are removed last, once every index change of the sweep is made: a sweep that
    // fails half-way rolls back to rows that must still name existing files.
    const doomed: string[] = [];
    for (const backupId of store.listImagesSync()) {
      if (marked.has(backupId)) continue;
      const manifest = store.readManifestSync(backupId);
      for (const disk of manifest.disks) {
        addDigests(live, store.readDigestListSync(manifest, disk.position));
      }
      marked.add(backupId);
    }
    // A backup still running may have stored blocks in packs sealed before this collection
    // started; they are live as soon as it commits, so packs sealed since it began are kept.
    const cutoff = Math.min(startedAt, store.oldestStagedImageSync() ?? Infinity);
    let packsDeleted = 0;
    let packsRepacked = 0;
    let blocksRemoved = 0;
    let bytesReclaimed = 0;
    for (const pack of store.index.packs()) {
      if (pack.sealedAt >= cutoff) continue;
      const rows = store.index.blocksInPack(pack.id);
      const kept = rows.filter((row) => live.has(digestHex(row.digest)));
      const keptBytes = kept.reduce((sum, row) => sum + row.storedLength, 0);
      if (kept.length === 0) {
        store.index.dropPack(pack.id);
        doomed.push(store.layout.pack(pack.id));
        packsDeleted++;
        blocksRemoved += rows.length;
        bytesReclaimed += pack.size;
      } else if (dataBytes(pack) - keptBytes >= dataBytes(pack) * threshold) {
        const written = repack(store, pack.id, kept);
        store.index.dropPack(pack.id);
        store.index.addPack(written.id, Date.now(), written.size, written.entries);
        doomed.push(store.layout.pack(pack.id));
        packsRepacked++;
        blocksRemoved += rows.length - kept.length;
        bytesReclaimed += pack.size - written.size;
      }
    }
    for (const file of doomed) rmSync(file, { force: true });
    if (doomed.length > 0) fsyncDirectorySync(store.layout.packs);
    return {
      liveImages: marked.size,
      liveBlocks: live.size,
      packsDeleted,
      packsRepacked,
      blocksRemoved,
      bytesReclaimed,
    };
  });
}

/** Bytes of block data in a pack: its size less the magic, the index and the trailer. */
function dataBytes(pack: PackRow): number {
  return pack.size - PACK_MAGIC.byteLength - pack.blockCount * ENTRY_BYTES - TRAILER_BYTES;
}

function addDigests(live: Set<string>, list: Buffer): void {
  for (let at = 0; at < list.byteLength; at += DIGEST_BYTES) {
    const digest = list.subarray(at, at + DIGEST_BYTES);
    if (!isZeroDigest(digest)) live.add(digestHex(digest));
  }
}

/** Copies the live blocks of a pack into a new, durable pack (synchronously: we hold the lock). */
function repack(
  store: Store,
  packId: string,
  kept: ReadonlyArray<PackEntry>,
): { id: string; size: number; entries: PackEntry[] } {
  const id = randomBytes(16).toString('hex');
  const source = openSync(store.layout.pack(packId), 'r');
  const temp = path.join(store.layout.tmp, `${process.pid}-${id}.pack.partial`);
  const target = openSync(temp, 'wx');
  const entries: PackEntry[] = [];
  try {
    let offset = writeSync(target, PACK_MAGIC, 0, PACK_MAGIC.byteLength, 0);
    for (const row of kept) {
      const data = Buffer.allocUnsafe(row.storedLength);
      if (readSync(source, data, 0, data.byteLength, row.offset) !== data.byteLength) {
        throw new Error(`pack ${packId} is shorter than its index says`);
      }
      writeSync(target, data, 0, data.byteLength, offset);
      entries.push({ ...row, digest: Buffer.from(row.digest), offset });
      offset += data.byteLength;
    }
    const index = encodeIndex(entries);
    writeSync(target, index, 0, index.byteLength, offset);
    fsyncSync(target);
    closeSync(target);
    mkdirSync(store.layout.packDir(id), { recursive: true });
    renameSync(temp, store.layout.pack(id));
    fsyncDirectorySync(store.layout.packDir(id));
    return { id, size: offset + index.byteLength, entries };
  } catch (error) {
    try {
      closeSync(target);
    } catch {
      // already closed
    }
    rmSync(temp, { force: true });
    throw error;
  } finally {
    closeSync(source);
  }
}
