import type { DiskFormat, DiskSubformat, VirtualDisk } from './types.js';

/** What `tessera disk info` reports of one image file. */
export interface DiskInfo {
  readonly path: string;
  readonly format: DiskFormat;
  readonly subformat: DiskSubformat;
  readonly virtualSize: number;
  readonly fileSize: number;
  readonly allocatedBytes: number;
  readonly blockSize: number | null;
  readonly logicalSectorSize: number;
  readonly physicalSectorSize: number;
  readonly identity: string | null;
}

/** The disk and its ancestors, child first. */
export interface DiskChainInfo extends DiskInfo {
  readonly parents: readonly DiskInfo[];
}

function describeOne(disk: VirtualDisk): DiskInfo {
  return {
    path: disk.path,
    format: disk.format,
    subformat: disk.subformat,
    virtualSize: disk.virtualSize,
    fileSize: disk.fileSize,
    allocatedBytes: disk.allocatedBytes,
    blockSize: disk.blockSize,
    logicalSectorSize: disk.logicalSectorSize,
    physicalSectorSize: disk.physicalSectorSize,
    identity: disk.identity,
  };
}

export function describeDisk(disk: VirtualDisk): DiskChainInfo {
  const parents: DiskInfo[] = [];
  for (let parent = disk.parent; parent; parent = parent.parent) parents.push(describeOne(parent));
  return { ...describeOne(disk), parents };
}
