/**
 * What inventory sources discover: virtual machines with their disks and the metadata the
 * source records. Shared by the engine (discovery, policies), the CLI and the app.
 */
import type { SourceKind } from './policy.js';

export interface InventorySource {
  /** Stable ID the catalog gives the source. */
  readonly id: number;
  readonly kind: SourceKind;
  readonly path: string;
  readonly name: string;
  /** Unix milliseconds. */
  readonly addedAt: number;
}

export interface NetworkAdapter {
  readonly name: string | null;
  readonly mac: string | null;
  /** The switch, bridge or network it is attached to. */
  readonly network: string | null;
}

export interface VmDisk {
  /** Absolute path of the disk file the VM uses (the leaf of a differencing chain). */
  readonly path: string;
  /** 'vhdx' | 'vhd' | 'raw' or another format name the source reports. */
  readonly format: string;
  /** Bytes; null when the file could not be opened (see `problem`). */
  readonly virtualSize: number | null;
  /** Parents of a differencing disk, nearest first (absolute paths). */
  readonly chain: readonly string[];
  /** Where the disk is attached, as the source says it (e.g. "scsi 0:1", "sda"). */
  readonly slot: string | null;
  /** Why the disk cannot be read, when it cannot. */
  readonly problem: string | null;
}

export interface VmMetadataInfo {
  readonly cpus: number | null;
  readonly memoryMB: number | null;
  readonly networkAdapters: readonly NetworkAdapter[];
  readonly notes: string | null;
  /** Guest OS type as the source names it, e.g. "Ubuntu_64", "hvm". */
  readonly os: string | null;
  /** Hyper-V generation, libvirt machine type, VirtualBox firmware... */
  readonly firmware: string | null;
}

export interface InventoryVm {
  /** Stable across scans: the hypervisor's VM GUID/UUID, else derived from the path. */
  readonly id: string;
  readonly name: string;
  readonly sourceId: number;
  readonly sourceKind: SourceKind;
  /** The configuration file (or folder, for loose disks) the VM was found from. */
  readonly configPath: string;
  readonly disks: readonly VmDisk[];
  readonly metadata: VmMetadataInfo;
}

export interface SourceProblem {
  readonly sourceId: number;
  readonly path: string;
  readonly message: string;
}

export interface InventoryScan {
  readonly vms: readonly InventoryVm[];
  /** Sources (or files in them) that could not be read; the VMs of the others are listed. */
  readonly problems: readonly SourceProblem[];
}

/** One line for a source problem: its message names the path already, or gets it in front. */
export function describeProblem(problem: SourceProblem): string {
  return problem.message.includes(problem.path)
    ? problem.message
    : `${problem.path}: ${problem.message}`;
}
