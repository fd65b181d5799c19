/**
 * A backup host spoken to directly, in its own protocol: what it reports for a segment of a
 * disk whose blocks the storage unit holds already.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import path from 'node:path';
import { backupVm } from '../../../electron/engine/backup/backup-vm.js';
import { Catalog } from '../../../electron/engine/catalog/catalog.js';
import { HostPool } from '../../../electron/engine/hosts/host-pool.js';
import {
  BLOCK_CHANGED,
  BLOCK_STORED,
  BLOCK_ZERO,
  type BlockReport,
  type HostReport,
  type SegmentDone,
} from '../../../electron/engine/hosts/messages.js';
import { DIGEST_BYTES } from '../../../electron/engine/store/digest.js';
import type { ImageManifest } from '../../../electron/engine/store/manifest.js';
import { Store } from '../../../electron/engine/store/store.js';
import { scratchDir } from '../../helpers/scratch.js';
import { MiB, qemuVhdx, seededWrites } from '../../fixtures/vhdx-images.js';

const BLOCK = 64 * 1024;
const SIZE = 8 * MiB;
let dir: string;
let cleanup: () => Promise<void>;
let disk: string;
let store: Store;
let manifest: ImageManifest;

beforeAll(async () => {
  ({ dir, cleanup } = await scratchDir());
  disk = await qemuVhdx(
    dir,
    'app.vhdx',
    SIZE,
    seededWrites([
      [0, MiB, 1],
      [5 * MiB, 2 * BLOCK, 2],
    ]),
  );
  store = await Store.open(path.join(dir, 'store'), { create: true });
  const catalog = Catalog.open(store.layout.catalog);
  ({ manifest } = await backupVm({ store, catalog, client: 'app', disks: [{ path: disk }] }));
  catalog.close();
});
afterAll(async () => {
  await store.close();
  await cleanup();
});

/** Sends one segment covering the whole disk and collects every report up to its end. */
async function segment(
  blockIndex: string | null,
): Promise<{ blocks: BlockReport[]; done: SegmentDone }> {
  const blocks: BlockReport[] = [];
  let pool: HostPool | null = null;
  const answered = new Promise<SegmentDone>((resolve, reject) => {
    pool = new HostPool(1, {
      onReport: (_host, report: HostReport) => {
        if (report.type === 'block') {
          blocks.push(report);
          pool!.send(0, { type: 'ack', bytes: report.data.byteLength });
        } else if (report.type === 'segment-done') resolve(report);
        else reject(new Error(report.error.message));
      },
      onFailure: (_host, error) => reject(error),
    });
    pool.send(0, {
      type: 'segment',
      segment: 0,
      diskPath: disk,
      blockSize: BLOCK,
      firstBlock: 0,
      blockCount: SIZE / BLOCK,
      trackLog: null,
      trackFingerprints: null,
      blockIndex,
    });
  });
  try {
    return { blocks, done: await answered };
  } finally {
    await pool!.close();
  }
}

describe('a backup host looking changed blocks up in the block index', () => {
  it('sends none of the blocks the storage unit holds, and names each by its digest', async () => {
    const { blocks, done } = await segment(store.layout.index);
    expect(blocks).toEqual([]);
    const imageDigests = await store.readDigestList(manifest, 0);
    expect(Buffer.from(done.digests).equals(imageDigests)).toBe(true);
    const states = [...done.states];
    // 16 + 2 data blocks; the rest of the disk is zero.
    expect(states.filter((state) => state === BLOCK_STORED)).toHaveLength(18);
    expect(states.filter((state) => state === BLOCK_ZERO)).toHaveLength(SIZE / BLOCK - 18);
  });

  it('without a block index, sends every changed block', async () => {
    const { blocks, done } = await segment(null);
    expect(blocks.map((block) => block.index)).toEqual([
      ...Array.from({ length: 16 }, (_, i) => i),
      80,
      81,
    ]);
    expect([...done.states].filter((state) => state === BLOCK_CHANGED)).toHaveLength(18);
    for (const block of blocks) {
      const at = block.index * DIGEST_BYTES;
      expect(Buffer.from(block.digest).equals(done.digests.subarray(at, at + DIGEST_BYTES))).toBe(
        true,
      );
    }
  });
});
