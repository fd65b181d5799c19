/**
 * What an image recorded of its VM (the manifest's `vm`, written by the engine's vmMetadataOf),
 * read back defensively: the shared type is an open record, and images written by older
 * versions (or by `tessera backup`, which knows no VM) have less or nothing. The engine's
 * restore and the restore browser both read it through here.
 */
import type { VmMetadata } from './images.js';
import type { VmMetadataInfo } from './inventory.js';

/** A disk as the VM metadata recorded it (where the VM attached it). */
export interface RecordedDisk {
  readonly path: string;
  readonly format: string | null;
  readonly slot: string | null;
}

export interface RecordedVmFields extends VmMetadataInfo {
  readonly name: string;
  /** The inventory ID: `libvirt:<uuid>`, `hyperv:<guid>`, `vbox:<uuid>`, `folder:<hash>`. */
  readonly id: string | null;
  readonly sourceKind: string | null;
  /** The configuration file the VM was found from (the folder, for loose disks). */
  readonly configPath: string | null;
  readonly disks: readonly RecordedDisk[];
}

/** Every field the metadata holds in the expected shape; null when there is no VM name. */
export function readRecordedVm(vm: VmMetadata | null): RecordedVmFields | null {
  if (!vm || typeof vm.name !== 'string') return null;
  return {
    name: vm.name,
    id: stringOf(vm['id']),
    sourceKind: stringOf(vm['sourceKind']),
    configPath: stringOf(vm['configPath']),
    cpus: countOf(vm['cpus']),
    memoryMB: countOf(vm['memoryMB']),
    networkAdapters: arrayOf(vm['networkAdapters']).map((adapter) => ({
      name: stringOf(adapter['name']),
      mac: stringOf(adapter['mac']),
      network: stringOf(adapter['network']),
    })),
    notes: stringOf(vm['notes']),
    os: stringOf(vm['os']),
    firmware: stringOf(vm['firmware']),
    disks: arrayOf(vm['disks']).flatMap((disk) => {
      const path = stringOf(disk['path']);
      return path === null
        ? []
        : [{ path, format: stringOf(disk['format']), slot: stringOf(disk['slot']) }];
    }),
  };
}

function stringOf(value: unknown): string | null {
  return typeof value === 'string' && value.length > 0 ? value : null;
}

function countOf(value: unknown): number | null {
  return typeof value === 'number' && Number.isSafeInteger(value) && value > 0 ? value : null;
}

function arrayOf(value: unknown): Array<Record<string, unknown>> {
  if (!Array.isArray(value)) return [];
  return value.filter(
    (item): item is Record<string, unknown> => item !== null && typeof item === 'object',
  );
}
