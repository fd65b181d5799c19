/**
 * What an image recorded of its VM (manifest `vm`, written by vmMetadataOf in
 * jobs/vm-client.ts), read back defensively: the shared type is an open record, and images
 * written by older versions (or by `tessera backup`, which knows no VM) have less or nothing.
 */
import type { ConfigKind } from '../../../shared/restore.js';
import type { NetworkAdapter } from '../../../shared/inventory.js';
import type { VmMetadata } from '../store/manifest.js';
import { normalizeGuid } from '../inventory/identity.js';

export interface RecordedDisk {
  readonly path: string;
  readonly format: string | null;
  readonly slot: string | null;
}

export interface RecordedVm {
  readonly name: string;
  /** The inventory ID: `libvirt:<uuid>`, `hyperv:<guid>`, `vbox:<uuid>`, `folder:<hash>`. */
  readonly id: string;
  readonly sourceKind: 'folder' | 'libvirt' | 'virtualbox';
  /** The configuration file the VM was found from (the folder, for loose disks). */
  readonly configPath: string;
  readonly configKind: ConfigKind;
  readonly cpus: number | null;
  readonly memoryMB: number | null;
  readonly networkAdapters: readonly NetworkAdapter[];
  readonly notes: string | null;
  readonly os: string | null;
  readonly firmware: string | null;
  readonly disks: readonly RecordedDisk[];
}

const SOURCE_KINDS = ['folder', 'libvirt', 'virtualbox'] as const;

/** The recorded VM, or null when the image has none (or too little to recreate one). */
export function recordedVmOf(vm: VmMetadata | null): RecordedVm | null {
  if (!vm) return null;
  const sourceKind = SOURCE_KINDS.find((kind) => kind === vm['sourceKind']);
  const id = stringOf(vm['id']);
  const configPath = stringOf(vm['configPath']);
  if (!sourceKind || id === null || configPath === null || typeof vm.name !== 'string') return null;
  return {
    name: vm.name,
    id,
    sourceKind,
    configPath,
    configKind: configKindOf(sourceKind, configPath),
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

/** A folder source's VM is a Hyper-V layout when found from a configuration file. */
export function configKindOf(sourceKind: RecordedVm['sourceKind'], configPath: string): ConfigKind {
  if (sourceKind === 'libvirt') return 'libvirt';
  if (sourceKind === 'virtualbox') return 'virtualbox';
  return /\.(xml|vmcx)$/i.test(configPath) ? 'hyperv' : 'folder';
}

/**
 * The hypervisor's own ID inside an inventory ID (`libvirt:<uuid>` → the UUID), or null when
 * the inventory made one up from a path (a configuration without an ID, a folder of disks).
 */
export function hypervisorIdOf(inventoryId: string): string | null {
  const bare = inventoryId.replace(/^[a-z]+:/, '').replace(/#.*$/, '');
  return normalizeGuid(bare);
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
