import {
  readRecordedVm,
  type RecordedDisk,
  type RecordedVmFields,
} from '../../../shared/recorded-vm';
import type { ImageRow } from '../../../shared/images';

/** What an image recorded of its VM, read defensively (shared with the engine's restore). */
export type RecordedVmView = RecordedVmFields;
export type RecordedDiskView = RecordedDisk;
export const recordedVmOf = readRecordedVm;

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
