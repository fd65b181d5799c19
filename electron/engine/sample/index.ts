/**
 * The first-run sample VM (sample-vm.ts) and the FAT image builder it formats its disk with
 * (fat-image.ts for a volume, fat-disk.ts for a partitioned disk around one).
 */
export {
  createSampleVm,
  SAMPLE_DISK_SIZE,
  SAMPLE_VM_NAME,
  type CreatedSampleVm,
  type SampleVmOptions,
} from './sample-vm.js';
export { sampleFiles } from './sample-content.js';
export {
  buildFatVolume,
  type FatFile,
  type FatGeometry,
  type FatVolume,
  type FatVolumeOptions,
} from './fat-image.js';
export {
  buildFatDisk,
  PARTITION_START_SECTOR,
  type FatDisk,
  type FatDiskOptions,
} from './fat-disk.js';
export { fatGeometry, type FatGeometryOptions } from './fat-geometry.js';
