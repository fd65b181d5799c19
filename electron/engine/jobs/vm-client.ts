import { createHash } from 'node:crypto';
import type { InventoryVm } from '../../../shared/inventory.js';
import type { VmMetadata } from '../store/manifest.js';

/**
 * The client name a VM's images are filed under (backup IDs are `<client>_<seconds>`): its
 * name with anything but letters, digits, dots and dashes turned into dashes. Two VMs of one
 * job with the same name get a suffix from their stable IDs.
 */
export function clientNameOf(vm: InventoryVm, taken: ReadonlySet<string> = new Set()): string {
  const base =
    vm.name
      .replace(/[^A-Za-z0-9.-]+/g, '-')
      .replace(/^[-.]+|[-.]+$/g, '')
      .slice(0, 100) || 'vm';
  if (!taken.has(base)) return base;
  return `${base}-${createHash('sha256').update(vm.id).digest('hex').slice(0, 8)}`;
}

/** What an image records of its VM, so a restore can recreate it (issue: restore browser). */
export function vmMetadataOf(vm: InventoryVm): VmMetadata {
  return {
    name: vm.name,
    id: vm.id,
    sourceKind: vm.sourceKind,
    configPath: vm.configPath,
    ...vm.metadata,
    disks: vm.disks.map((disk) => ({ path: disk.path, format: disk.format, slot: disk.slot })),
  };
}
