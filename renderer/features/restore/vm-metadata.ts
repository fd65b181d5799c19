import type { NetworkAdapter } from '../../../shared/inventory';
import type { ImageRow, VmMetadata } from '../../../shared/images';

/** A disk as the image's VM metadata recorded it (where the VM attached it). */
export interface RecordedDiskView {
  readonly path: string;
  readonly format: string | null;
  readonly slot: string | null;
}

/**
 * What an image recorded of its VM, read defensively: the shared type is an open record, and
 * images of older versions (or of `tessera backup`, which knows no VM) have less or nothing.
 */
export interface RecordedVmView {
  readonly name: string;
  readonly id: string | null;
  readonly sourceKind: string | null;
  readonly configPath: string | null;
  readonly cpus: number | null;
  readonly memoryMB: number | null;
  readonly networkAdapters: readonly NetworkAdapter[];
  readonly notes: string | null;
  readonly os: string | null;
  readonly firmware: string | null;
  readonly disks: readonly RecordedDiskView[];
}

export function recordedVmOf(vm: VmMetadata | null): RecordedVmView | null {
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

/** The distinct networks the VM's adapters are on, in adapter order. */
export function networksOf(vm: RecordedVmView | null): string[] {
  if (!vm) return [];
  return [...new Set(vm.networkAdapters.flatMap((a) => (a.network === null ? [] : [a.network])))];
}

/** Where the VM attached a disk ("vda", "SATA 0:0"), when the metadata says. */
export function slotOf(vm: RecordedVmView | null, sourcePath: string): string | null {
  return vm?.disks.find((disk) => disk.path === sourcePath)?.slot ?? null;
}

/** The VM's name as the timeline shows it: the recorded name, else the client name. */
export function vmNameOf(image: ImageRow): string {
  return typeof image.vm?.name === 'string' && image.vm.name !== '' ? image.vm.name : image.client;
}

/** Blocks of an image's disks that were read and stored anew vs. linked to earlier images. */
export function changeOf(disks: ImageRow['disks']): {
  changedBytes: number;
  linkedBytes: number;
  changedBlocks: number;
  linkedBlocks: number;
} {
  let changedBytes = 0;
  let linkedBytes = 0;
  let changedBlocks = 0;
  let linkedBlocks = 0;
  for (const disk of disks) {
    changedBytes += disk.blocksChanged * disk.blockSize;
    linkedBytes += disk.blocksUnchanged * disk.blockSize;
    changedBlocks += disk.blocksChanged;
    linkedBlocks += disk.blocksUnchanged;
  }
  return { changedBytes, linkedBytes, changedBlocks, linkedBlocks };
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
