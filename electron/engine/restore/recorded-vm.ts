/**
 * What an image recorded of its VM (manifest `vm`, written by vmMetadataOf in
 * jobs/vm-client.ts), read back defensively: the shared type is an open record, and images
 * written by older versions (or by `tessera backup`, which knows no VM) have less or nothing.
 */
import type { ConfigKind } from '../../../shared/restore.js';
import {
  readRecordedVm,
  type RecordedDisk,
  type RecordedVmFields,
} from '../../../shared/recorded-vm.js';
import type { VmMetadata } from '../store/manifest.js';
import { normalizeGuid } from '../inventory/identity.js';

export type { RecordedDisk };

/** A recorded VM with what a restore needs to recreate it. */
export interface RecordedVm extends RecordedVmFields {
  readonly id: string;
  readonly sourceKind: 'folder' | 'libvirt' | 'virtualbox';
  readonly configPath: string;
  readonly configKind: ConfigKind;
}

const SOURCE_KINDS = ['folder', 'libvirt', 'virtualbox'] as const;

/** The recorded VM, or null when the image has none (or too little to recreate one). */
export function recordedVmOf(vm: VmMetadata | null): RecordedVm | null {
  const fields = readRecordedVm(vm);
  if (!fields) return null;
  const sourceKind = SOURCE_KINDS.find((kind) => kind === fields.sourceKind);
  const { id, configPath } = fields;
  if (!sourceKind || id === null || configPath === null) return null;
  return {
    ...fields,
    id,
    sourceKind,
    configPath,
    configKind: configKindOf(sourceKind, configPath),
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
