/**
 * The `folder` source: walks a folder tree and finds
 * 1. Hyper-V layouts (a `Virtual Machines` folder of .xml/.vmcx configurations beside
 *    `Virtual Hard Disks`), read by hyperv-layout.ts;
 * 2. loose disk files (.vhdx, .vhd, .avhdx, .avhd, .img, .raw) anywhere else, grouped by
 *    folder: one VM per folder, named after it, with ID `folder:<sha256 of the absolute folder
 *    path>` and its leaf disks sorted by name.
 * A disk that is the parent of any other disk found in the tree (loose or Hyper-V) is part of
 * that disk's chain and not listed on its own, so a folder holding only such parents yields no
 * VM. Disks a Hyper-V configuration uses are never listed again as loose disks.
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { VmDisk } from '../../../shared/inventory.js';
import { chainMembers, inspectDisks, keepLeaves, realOrSelf } from './disk-inspect.js';
import {
  hyperVLayoutFolders,
  isHyperVConfigFolder,
  scanHyperVConfigFolder,
} from './hyperv-layout.js';
import { vmId } from './identity.js';
import {
  describeFsError,
  NO_METADATA,
  type FoundVm,
  type ScanCollector,
} from './scan-collector.js';
import { walkTree, type FolderListing } from './walk.js';

const LOOSE_DISK = /\.(vhdx|vhd|avhdx|avhd|img|raw)$/i;

export async function scanFolderSource(root: string, collector: ScanCollector): Promise<void> {
  const info = await stat(root).catch((error: unknown) => {
    collector.addProblem(root, `cannot open the folder: ${describeFsError(error)}`);
    return null;
  });
  if (!info) return;
  if (!info.isDirectory()) {
    collector.addProblem(root, 'is not a folder (a folder source walks a folder tree)');
    return;
  }

  const listings = await walkTree(root, (dir, error) =>
    collector.addProblem(dir, `cannot list the folder: ${describeFsError(error)}`),
  );

  const hyperVFolders: string[] = [];
  const hyperVVms: FoundVm[] = [];
  for (const listing of listings) {
    if (!isHyperVConfigFolder(listing)) continue;
    hyperVFolders.push(...hyperVLayoutFolders(listing.dir));
    hyperVVms.push(...(await scanHyperVConfigFolder(listing, collector)));
  }
  for (const vm of hyperVVms) collector.addVm(vm);

  const hyperVDisks = hyperVVms.flatMap((vm) => vm.disks);
  const usedByHyperV = new Set<string>();
  for (const disk of hyperVDisks) {
    for (const file of [disk.path, ...disk.chain]) usedByHyperV.add(await realOrSelf(file));
  }
  const looseFolders = await looseDiskFolders(listings, hyperVFolders, usedByHyperV);
  const loose = await inspectDisks(
    looseFolders.flatMap(({ files }) =>
      files.map((file) => ({ path: file, format: null, slot: null })),
    ),
  );
  const parents = await chainMembers([...hyperVDisks, ...loose]);

  let next = 0;
  for (const { dir, files } of looseFolders) {
    const disks: VmDisk[] = await keepLeaves(loose.slice(next, next + files.length), parents);
    next += files.length;
    if (disks.length === 0) continue;
    collector.addVm({
      id: vmId('folder', null, dir),
      name: path.basename(dir),
      configPath: dir,
      disks,
      metadata: NO_METADATA,
    });
  }
}

/** The disk files of each folder outside the Hyper-V layouts, sorted by name. */
async function looseDiskFolders(
  listings: readonly FolderListing[],
  hyperVFolders: readonly string[],
  usedByHyperV: ReadonlySet<string>,
): Promise<Array<{ dir: string; files: string[] }>> {
  const claimed = hyperVFolders.map((dir) => dir.toLowerCase());
  const inLayout = (dir: string): boolean => {
    const lower = dir.toLowerCase();
    return claimed.some((root) => lower === root || lower.startsWith(root + path.sep));
  };
  const folders: Array<{ dir: string; files: string[] }> = [];
  for (const listing of listings) {
    if (inLayout(listing.dir)) continue;
    const files: string[] = [];
    for (const file of listing.files) {
      if (LOOSE_DISK.test(file) && !usedByHyperV.has(await realOrSelf(file))) files.push(file);
    }
    if (files.length > 0) folders.push({ dir: listing.dir, files });
  }
  return folders;
}
