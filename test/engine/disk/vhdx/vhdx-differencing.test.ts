import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { ImageFile } from '../../../../electron/engine/disk/io/file.js';
import { openDisk } from '../../../../electron/engine/disk/open.js';
import { vhdxFormat } from '../../../../electron/engine/disk/vhdx/vhdx-format.js';
import { collectExtents, sha256OfDisk } from '../../../helpers/disk.js';
import { qemuImg } from '../../../helpers/tools.js';
import { scratchDir } from '../../../helpers/scratch.js';
import { createDifferencingVhdx } from '../../../fixtures/vhdx-differencing.js';
import {
  MiB,
  libvhdiSha256,
  qemuRawSha256,
  qemuVhdx,
  qemuWrites,
  seededWrites,
} from '../../../fixtures/vhdx-images.js';

let dir: string;
let cleanup: () => Promise<void>;
beforeAll(async () => {
  ({ dir, cleanup } = await scratchDir('tessera-vhdx-diff-'));
});
afterAll(() => cleanup());

const SIZE = 20 * MiB + 512 * 3;
const BASE = seededWrites([
  [0, 3 * MiB, 1],
  [9 * MiB + 4096, 200_000, 2],
  [SIZE - 8192, 8192, 3],
]);
// Partial sectors inside blocks, a whole 1 MiB block, and runs across block boundaries.
const CHILD = seededWrites([
  [512, 1024, 11],
  [2 * MiB, MiB, 12],
  [5 * MiB - 4096, 12_288, 13],
  [9 * MiB + 8192, 512, 14],
  [SIZE - 1024, 1024, 15],
]);
const GRANDCHILD = seededWrites([
  [0, 4096, 21],
  [2 * MiB + 512 * 7, 512 * 9, 22],
  [12 * MiB, 2 * MiB, 23],
  [5 * MiB - 512, 512, 24],
]);

describe('VHDX differencing chains', () => {
  it('reads base → child → grandchild like libvhdi and like a qcow2 chain of the same writes', async () => {
    const base = await qemuVhdx(dir, 'base.vhdx', SIZE, BASE, ['block_size=2M']);
    const child = path.join(dir, 'child.vhdx');
    const grandchild = path.join(dir, 'grandchild.vhdx');
    await createDifferencingVhdx(child, base, CHILD);
    await createDifferencingVhdx(grandchild, child, GRANDCHILD, { blockSize: 4 * MiB });

    // Ground truth: the same writes on qcow2 overlays of the same base.
    const q1 = path.join(dir, 'child.qcow2');
    const q2 = path.join(dir, 'grandchild.qcow2');
    await qemuImg('create', '-q', '-f', 'qcow2', '-b', base, '-F', 'vhdx', q1);
    await qemuWrites(dir, q1, 'qcow2', CHILD);
    await qemuImg('create', '-q', '-f', 'qcow2', '-b', q1, '-F', 'qcow2', q2);
    await qemuWrites(dir, q2, 'qcow2', GRANDCHILD);

    for (const [image, chain, qcow] of [
      [child, [child, base], q1],
      [grandchild, [grandchild, child, base], q2],
    ] as const) {
      const expected = await qemuRawSha256(qcow, 'qcow2', dir);
      expect(await libvhdiSha256(chain)).toBe(expected);
      const disk = await openDisk(image);
      try {
        expect(disk.subformat).toBe('differencing');
        expect(disk.parent?.path).toBe(chain[1]);
        expect(await sha256OfDisk(disk)).toBe(expected);
        // Reads that start and end inside sectors runs of different owners.
        const piece = Buffer.alloc(3 * MiB + 1536);
        await disk.read(piece, MiB + 512);
        const extents = await collectExtents(disk, false);
        expect(extents.reduce((n, e) => n + e.length, 0)).toBe(SIZE);
      } finally {
        await disk.close();
      }
    }
  });

  it('refuses a parent whose DataWriteGuid is not the one the child names', async () => {
    const base = await qemuVhdx(dir, 'p.vhdx', 4 * MiB, seededWrites([[0, 4096, 5]]));
    const child = path.join(dir, 'c.vhdx');
    await createDifferencingVhdx(child, base, seededWrites([[0, 512, 6]]));
    // Rewriting the parent changes its DataWriteGuid (qemu does so on the first write).
    await qemuWrites(dir, base, 'vhdx', seededWrites([[MiB, 4096, 7]]));
    await expect(openDisk(child)).rejects.toMatchObject({ code: 'DISK_PARENT_MISMATCH' });
  });

  it('accepts a parent named by parent_linkage2 when parent_linkage does not match', async () => {
    const base = await qemuVhdx(dir, 'p2.vhdx', 4 * MiB, seededWrites([[0, 4096, 8]]));
    const parentFile = await ImageFile.open(base);
    const parentLink = (await vhdxFormat.open(parentFile)).linkIdentity!;
    await parentFile.close();
    const child = path.join(dir, 'c2.vhdx');
    await createDifferencingVhdx(child, base, seededWrites([[0, 512, 9]]), {
      parentLinkage: randomUUID(),
      parentLinkage2: parentLink,
    });
    const disk = await openDisk(child);
    expect(disk.parent?.path).toBe(base);
    await disk.close();
  });
});
