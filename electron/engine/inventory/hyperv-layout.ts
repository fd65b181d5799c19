/**
 * The Hyper-V folder layout: a VM folder holding `Virtual Machines/` (the configurations,
 * named by VM GUID) beside `Virtual Hard Disks/`.
 *
 * - `<GUID>.xml` (Hyper-V 2008 R2 - 2012 R2): parsed (hyperv-xml.ts); its disks are the
 *   paths it records, looked for as recorded and then by name in `Virtual Hard Disks/`.
 * - `<GUID>.vmcx` (Hyper-V 2016 and later): a binary format Tessera does not parse. The VM
 *   ID is the GUID in the file name, the name is the VM folder's, and the disks are the leaf
 *   `.vhdx/.vhd/.avhdx/.avhd` files of `Virtual Hard Disks/` (a disk that is another's parent
 *   belongs to that disk's chain). With several .vmcx in one folder the disks cannot be told
 *   apart, so each VM is listed without disks and a problem says why.
 * When a GUID has both an .xml and a .vmcx, the .xml (which names its disks) is used.
 */
import path from 'node:path';
import type { VmDisk } from '../../../shared/inventory.js';
import { inspectDisks, keepLeaves, type DiskRequest } from './disk-inspect.js';
import { parseHyperVXml } from './hyperv-xml.js';
import { normalizeGuid, vmId } from './identity.js';
import { locateFile } from './locate.js';
import {
  describeFsError,
  NO_METADATA,
  type FoundVm,
  type ScanCollector,
} from './scan-collector.js';
import { listFolder, type FolderListing } from './walk.js';
import { readXmlFile } from './xml.js';

export const CONFIG_FOLDER = 'virtual machines';
export const DISK_FOLDER = 'virtual hard disks';
const HYPERV_DISK = /\.a?vhdx?$/i;

/**
 * Is this the `Virtual Machines` folder of a Hyper-V layout? Named so and holding at least one
 * configuration file: a user's own folder called "Virtual Machines" full of VM folders is not.
 */
export function isHyperVConfigFolder(listing: FolderListing): boolean {
  return (
    path.basename(listing.dir).toLowerCase() === CONFIG_FOLDER &&
    listing.files.some((file) => /\.(xml|vmcx)$/i.test(file))
  );
}

/** The folders of a Hyper-V layout, given its `Virtual Machines` folder: not loose disks. */
export function hyperVLayoutFolders(configDir: string): string[] {
  const vmFolder = path.dirname(configDir);
  return [configDir, path.join(vmFolder, 'Virtual Hard Disks'), path.join(vmFolder, 'Snapshots')];
}

/** The `Virtual Hard Disks` folder of a VM folder (any letter case), if there is one. */
export async function diskFolderOf(vmFolder: string): Promise<string | null> {
  const listing = await listFolder(vmFolder).catch(() => null);
  return listing?.subdirs.find((dir) => path.basename(dir).toLowerCase() === DISK_FOLDER) ?? null;
}

/** Lists the VMs configured in one `Virtual Machines` folder. */
export async function scanHyperVConfigFolder(
  configs: FolderListing,
  collector: ScanCollector,
): Promise<FoundVm[]> {
  const vmFolder = path.dirname(configs.dir);
  const diskFolder = await diskFolderOf(vmFolder);
  const xmlFiles = configs.files.filter((file) => /\.xml$/i.test(file));
  const vmcxFiles = configs.files.filter((file) => /\.vmcx$/i.test(file));

  const vms: FoundVm[] = [];
  const xmlIds = new Set<string>();
  for (const file of xmlFiles) {
    try {
      const vm = await hyperVFromXml(file, vmFolder, diskFolder);
      xmlIds.add(vm.id);
      vms.push(vm);
    } catch (error) {
      collector.addError(file, error);
    }
  }

  const binary = vmcxFiles.filter((file) => !xmlIds.has(vmId('hyperv', guidOfFile(file), file)));
  if (binary.length > 1) {
    collector.addProblem(
      configs.dir,
      `holds ${binary.length} .vmcx configurations, which Tessera cannot read, so the disks in ${diskFolder ?? 'Virtual Hard Disks'} cannot be assigned to one of them; each is listed without disks`,
    );
  }
  const disks = binary.length === 1 && diskFolder ? await leafDisksIn(diskFolder, collector) : [];
  for (const file of binary) {
    vms.push({
      id: vmId('hyperv', guidOfFile(file), file),
      name: path.basename(vmFolder),
      configPath: file,
      disks,
      metadata: NO_METADATA,
    });
  }
  return vms;
}

async function hyperVFromXml(
  file: string,
  vmFolder: string,
  diskFolder: string | null,
): Promise<FoundVm> {
  const config = parseHyperVXml(await readXmlFile(file), file);
  const searchDirs = [diskFolder ?? path.join(vmFolder, 'Virtual Hard Disks'), vmFolder];
  const requests: DiskRequest[] = [];
  for (const drive of config.drives) {
    const located = await locateFile(drive.recorded, vmFolder, searchDirs);
    requests.push({
      path: located.path,
      format: null,
      slot: drive.slot,
      unusable: located.missing,
    });
  }
  return {
    id: vmId('hyperv', guidOfFile(file) ?? config.recordedId, file),
    name: config.name ?? path.basename(vmFolder),
    configPath: file,
    disks: await inspectDisks(requests),
    metadata: config.metadata,
  };
}

/** The leaf disks of a `Virtual Hard Disks` folder, sorted by name. */
async function leafDisksIn(diskFolder: string, collector: ScanCollector): Promise<VmDisk[]> {
  let listing: FolderListing;
  try {
    listing = await listFolder(diskFolder);
  } catch (error) {
    collector.addProblem(diskFolder, `cannot list the folder: ${describeFsError(error)}`);
    return [];
  }
  const files = listing.files.filter((file) => HYPERV_DISK.test(file));
  const disks = await inspectDisks(files.map((file) => ({ path: file, format: null, slot: null })));
  return keepLeaves(disks);
}

function guidOfFile(file: string): string | null {
  return normalizeGuid(path.basename(file, path.extname(file)));
}
