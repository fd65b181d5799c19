/**
 * Test helpers for the storage unit and the backup engine: real stores, real catalogs, real
 * disks made by qemu-img, and the checks the store and backup tests share.
 */
import { createHash } from 'node:crypto';
import { open, rm, writeFile } from 'node:fs/promises';
import { expect } from 'vitest';
import { Catalog } from '../../electron/engine/catalog/catalog.js';
import type { WritableFormat } from '../../electron/engine/disk/types.js';
import { restoreImage } from '../../electron/engine/restore/restore-image.js';
import { encodeBlock } from '../../electron/engine/store/codec.js';
import { DIGEST_BYTES, digestOf } from '../../electron/engine/store/digest.js';
import {
  EMPTY_DISK_STATS,
  type DiskImageManifest,
  type ImageManifest,
} from '../../electron/engine/store/manifest.js';
import {
  Store,
  type StagedImage,
  type StoreOpenOptions,
} from '../../electron/engine/store/store.js';
import { Verifier } from '../../electron/engine/store/verify.js';
import { qemuImg } from './tools.js';

/** qemu's name for each format Tessera reads or writes. */
export const QEMU_FORMAT: Record<string, string> = {
  raw: 'raw',
  vhd: 'vpc',
  'vhd-fixed': 'vpc',
  vhdx: 'vhdx',
};

export async function openStore(
  dir: string,
  options: StoreOpenOptions = {},
): Promise<{ store: Store; catalog: Catalog; close: () => Promise<void> }> {
  const store = await Store.open(dir, { create: true, ...options });
  const catalog = Catalog.open(store.layout.catalog);
  return {
    store,
    catalog,
    close: async () => {
      catalog.close();
      await store.close();
    },
  };
}

/** A pinned clock for backupVm: one second later on every call. */
export function clock(start = 1_700_000_000): () => number {
  let now = start;
  return () => now++;
}

/** Encodes, hashes and puts one raw block; returns its digest and whether it was new. */
export async function putRaw(
  store: Store,
  raw: Buffer,
): Promise<{ digest: Buffer; stored: boolean; codec: number }> {
  const digest = digestOf(raw);
  const encoded = encodeBlock(raw);
  const stored = await store.putBlock(digest, encoded.data, raw.byteLength, encoded.codec);
  return { digest, stored, codec: encoded.codec };
}

/** XORs one byte of a file with 0xff, in place. */
export async function flipByte(file: string, at: number): Promise<void> {
  const handle = await open(file, 'r+');
  try {
    const byte = Buffer.alloc(1);
    await handle.read(byte, 0, 1, at);
    byte[0]! ^= 0xff;
    await handle.write(byte, 0, 1, at);
  } finally {
    await handle.close();
  }
}

/** Removes a SQLite database and its WAL files (the store or catalog must be closed). */
export async function removeDatabase(file: string): Promise<void> {
  for (const suffix of ['', '-wal', '-shm']) await rm(`${file}${suffix}`, { force: true });
}

/** Verifies every listed image (default: all) with one Verifier and expects no problem. */
export async function expectAllVerifyClean(store: Store, backupIds?: string[]): Promise<void> {
  const verifier = new Verifier(store);
  for (const backupId of backupIds ?? (await store.listImages())) {
    const report = await verifier.verify(backupId);
    expect(report.problems, `verify ${backupId}`).toEqual([]);
    expect(report.blocksChecked, `blocks checked in ${backupId}`).toBeGreaterThan(0);
  }
}

/**
 * Restores an image's disks in `format` and checks each against its source with `qemu-img
 * compare` (which fails on any differing byte).
 */
export async function expectRestoresIdentical(
  store: Store,
  backupId: string,
  sources: ReadonlyArray<{ path: string; format: string }>,
  format: WritableFormat,
  toDir: string,
): Promise<string[]> {
  const restored = await restoreImage({ store, backupId, toDir, format });
  expect(restored.map((r) => r.position)).toEqual(sources.map((_, i) => i));
  for (const [i, disk] of restored.entries()) {
    const source = sources[i]!;
    await qemuImg(
      'compare',
      '-q',
      '-f',
      QEMU_FORMAT[source.format]!,
      '-F',
      QEMU_FORMAT[format]!,
      source.path,
      disk.path,
    );
  }
  return restored.map((r) => r.path);
}

/**
 * Commits an image without a backup: each disk is a list of blocks (null: a zero block), every
 * block `blockSize` long except perhaps the last. Stores the blocks it names first. For store
 * tests that need images but not disks; backups make real ones.
 */
export async function commitBlocks(
  store: Store,
  backupId: string,
  disks: ReadonlyArray<ReadonlyArray<Buffer | null>>,
  blockSize = 64 * 1024,
  staged?: StagedImage,
): Promise<ImageManifest> {
  staged ??= await store.stageImage(backupId);
  const manifests: DiskImageManifest[] = [];
  for (const [position, blocks] of disks.entries()) {
    const list = Buffer.alloc(blocks.length * DIGEST_BYTES);
    let virtualSize = 0;
    for (const [i, block] of blocks.entries()) {
      virtualSize += block?.byteLength ?? blockSize;
      if (block) (await putRaw(store, block)).digest.copy(list, i * DIGEST_BYTES);
    }
    const blocksFile = `disk-${position}.blocks`;
    await writeFile(staged.digestListPath(blocksFile), list);
    manifests.push({
      position,
      diskKey: `${backupId.split('_')[0]}:disk${position}`,
      name: `disk${position}.raw`,
      sourcePath: `/nowhere/disk${position}.raw`,
      sourceFormat: 'raw',
      virtualSize,
      logicalSectorSize: 512,
      physicalSectorSize: 4096,
      identity: null,
      blockSize,
      blockCount: blocks.length,
      previousBackupId: null,
      forcedRescan: false,
      blocksFile,
      blocksSha256: createHash('sha256').update(list).digest('hex'),
      changedExtents: [],
      unchangedExtents: [],
      stats: EMPTY_DISK_STATS,
    });
  }
  const separator = backupId.lastIndexOf('_');
  const manifest: ImageManifest = {
    format: 'tessera-image',
    version: 1,
    backupId,
    client: backupId.slice(0, separator),
    createdAt: Number(backupId.slice(separator + 1)),
    kind: 'full',
    previousBackupId: null,
    expiresAt: null,
    vm: null,
    disks: manifests,
  };
  const result = await store.commitImage(staged!, manifest);
  expect(result.committed).toBe(true);
  return manifest;
}
