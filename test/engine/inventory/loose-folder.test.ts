import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { InventoryScan } from '../../../shared/inventory.js';
import { scanSource } from '../../../electron/engine/inventory/index.js';
import { scratchDir, seededBytes } from '../../helpers/scratch.js';
import {
  MiB,
  VHD_8M_SIZE,
  diskAt,
  differencingVhd,
  qemuDisk,
  source,
  vmNamed,
  writeText,
} from './inventory-fixtures.js';

let dir: string;
let cleanup: () => Promise<void>;
let root: string;
let scan: InventoryScan;
const at = (...parts: string[]): string => path.join(root, ...parts);

beforeAll(async () => {
  ({ dir, cleanup } = await scratchDir('tessera-inventory-loose-'));
  root = path.join(dir, 'disks');

  await qemuDisk(at('app', 'disk1.vhdx'), 'vhdx', 16 * MiB);
  await qemuDisk(at('app', 'disk0.raw'), 'raw', 4 * MiB);
  await qemuDisk(at('app', 'boot.img'), 'raw', 2 * MiB);
  await writeText(at('app', 'notes.txt'), 'not a disk');

  // A differencing disk whose parent sits in another folder of the tree.
  const gold = await qemuDisk(at('gold', 'base.vhd'), 'vpc');
  await differencingVhd(at('app', 'nested', 'child.vhd'), gold);

  // A chain within one folder.
  const base = await qemuDisk(at('chain', 'base.vhd'), 'vpc');
  await differencingVhd(at('chain', 'child-a.vhd'), base);

  // Images the disk layer cannot read: a qcow2 named .img and a damaged VHDX.
  await qemuDisk(at('odd', 'guest.img'), 'qcow2', 64 * MiB);
  await writeFile(at('odd', 'broken.vhdx'), seededBytes(9, 64 * 1024));

  scan = await scanSource(source(1, 'folder', root));
});
afterAll(() => cleanup());

const folderId = (folder: string): string =>
  `folder:${createHash('sha256').update(folder).digest('hex').slice(0, 16)}`;

describe('a folder source over loose disk files', () => {
  it('groups disks by folder: one VM per folder, named after it, disks sorted by name', () => {
    const app = vmNamed(scan, 'app');
    expect(app.id).toBe(folderId(at('app')));
    expect(app.configPath).toBe(at('app'));
    expect(app.sourceKind).toBe('folder');
    expect(app.disks).toEqual([
      {
        path: at('app', 'boot.img'),
        format: 'raw',
        virtualSize: 2 * MiB,
        chain: [],
        slot: null,
        problem: null,
      },
      {
        path: at('app', 'disk0.raw'),
        format: 'raw',
        virtualSize: 4 * MiB,
        chain: [],
        slot: null,
        problem: null,
      },
      {
        path: at('app', 'disk1.vhdx'),
        format: 'vhdx',
        virtualSize: 16 * MiB,
        chain: [],
        slot: null,
        problem: null,
      },
    ]);
    expect(app.metadata.networkAdapters).toEqual([]);
    expect(app.metadata.cpus).toBeNull();
  });

  it('lists only the leaf of a chain, with its parents nearest first', () => {
    const chain = vmNamed(scan, 'chain');
    expect(chain.disks.map((d) => d.path)).toEqual([at('chain', 'child-a.vhd')]);
    expect(chain.disks[0]).toMatchObject({
      format: 'vhd',
      virtualSize: VHD_8M_SIZE,
      chain: [at('chain', 'base.vhd')],
      problem: null,
    });
  });

  it('does not list a parent as its own VM when its child is in another folder', () => {
    const nested = vmNamed(scan, 'nested');
    expect(nested.disks).toHaveLength(1);
    expect(nested.disks[0]!.chain).toEqual([at('gold', 'base.vhd')]);
    expect(scan.vms.map((vm) => vm.name)).not.toContain('gold');
  });

  it('lists a qcow2 image and a damaged image with their problems', () => {
    const odd = vmNamed(scan, 'odd');
    expect(odd.disks.map((d) => path.basename(d.path))).toEqual(['broken.vhdx', 'guest.img']);
    const qcow2 = diskAt(odd, at('odd', 'guest.img'));
    expect(qcow2).toMatchObject({ format: 'qcow2', virtualSize: null, chain: [] });
    expect(qcow2.problem).toContain('QCOW2 images are not read by Tessera yet');
    const broken = diskAt(odd, at('odd', 'broken.vhdx'));
    expect(broken).toMatchObject({ format: 'vhdx', virtualSize: null });
    expect(broken.problem).toContain(at('odd', 'broken.vhdx'));
    expect(broken.problem).toContain('no VHDX signature');
  });

  it('reports disk problems on the disks, not as source problems', () => {
    expect(scan.problems).toEqual([]);
    expect(scan.vms.map((vm) => vm.name)).toEqual(['app', 'nested', 'chain', 'odd']);
  });

  it('gives the same IDs on a second scan', async () => {
    const again = await scanSource(source(1, 'folder', root));
    expect(again.vms.map((vm) => vm.id)).toEqual(scan.vms.map((vm) => vm.id));
    expect(again).toEqual(scan);
    expect(new Set(scan.vms.map((vm) => vm.id)).size).toBe(scan.vms.length);
  });

  it('reports a missing folder and a file given as a folder', async () => {
    const missing = path.join(dir, 'no-such-folder');
    expect(await scanSource(source(2, 'folder', missing))).toEqual({
      vms: [],
      problems: [
        {
          sourceId: 2,
          path: missing,
          message: `${missing}: cannot open the folder: no such file or folder`,
        },
      ],
    });
    const file = at('app', 'disk1.vhdx');
    const asFile = await scanSource(source(2, 'folder', file));
    expect(asFile.vms).toEqual([]);
    expect(asFile.problems[0]!.message).toBe(
      `${file}: is not a folder (a folder source walks a folder tree)`,
    );
  });
});
