/**
 * What one source scan gathers: the VMs found and the problems met on the way. A problem with
 * one file is recorded here and the scan goes on, so one bad file never hides other VMs.
 */
import type {
  InventorySource,
  InventoryVm,
  SourceProblem,
  VmMetadataInfo,
} from '../../../shared/inventory.js';

/** A configuration file (or folder) that cannot be used, and why. */
export class ConfigFileError extends Error {
  override readonly name = 'ConfigFileError';
  readonly path: string;
  readonly reason: string;

  constructor(path: string, reason: string, options?: { cause?: unknown }) {
    super(`${path}: ${reason}`, options);
    this.path = path;
    this.reason = reason;
  }
}

/** Metadata of a VM whose source records none (loose disks, Hyper-V .vmcx). */
export const NO_METADATA: VmMetadataInfo = {
  cpus: null,
  memoryMB: null,
  networkAdapters: [],
  notes: null,
  os: null,
  firmware: null,
};

/** A VM as a source module builds it; the collector adds which source found it. */
export type FoundVm = Omit<InventoryVm, 'sourceId' | 'sourceKind'>;

export class ScanCollector {
  readonly vms: InventoryVm[] = [];
  readonly problems: SourceProblem[] = [];

  constructor(readonly source: InventorySource) {}

  addVm(vm: FoundVm): void {
    this.vms.push({ ...vm, sourceId: this.source.id, sourceKind: this.source.kind });
  }

  /** Records a problem; the message names the file and the reason. */
  addProblem(path: string, reason: string): void {
    this.problems.push({ sourceId: this.source.id, path, message: `${path}: ${reason}` });
  }

  /** Records any error thrown while reading `path` (a ConfigFileError keeps its own path). */
  addError(path: string, error: unknown): void {
    if (error instanceof ConfigFileError) this.addProblem(error.path, error.reason);
    else this.addProblem(path, error instanceof Error ? error.message : String(error));
  }
}

const FRIENDLY_FS_ERRORS: Record<string, string> = {
  ENOENT: 'no such file or folder',
  ENOTDIR: 'a part of the path is not a folder',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  ELOOP: 'too many symbolic links',
  EIO: 'input/output error (the device may be failing)',
};

/** A file system error as a person reads it: "permission denied", not "EACCES: ...". */
export function describeFsError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code && FRIENDLY_FS_ERRORS[code]) return FRIENDLY_FS_ERRORS[code];
  return error instanceof Error ? error.message : String(error);
}
