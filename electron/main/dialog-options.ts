/** The native open dialogs the renderer may ask for (through the preload's pickFolder/pickDiskFile). */
import type { OpenDialogOptions } from 'electron';

/** The disk image formats the engine reads or recognises, then anything. */
export const DISK_FILE_FILTERS: NonNullable<OpenDialogOptions['filters']> = [
  { name: 'Virtual disks', extensions: ['vhdx', 'vhd', 'img', 'raw', 'vmdk', 'qcow2'] },
  { name: 'Hyper-V (VHDX, VHD)', extensions: ['vhdx', 'vhd'] },
  { name: 'Raw images (IMG, RAW)', extensions: ['img', 'raw'] },
  { name: 'VMware (VMDK)', extensions: ['vmdk'] },
  { name: 'QEMU (QCOW2)', extensions: ['qcow2'] },
  { name: 'All files', extensions: ['*'] },
];

export function folderDialogOptions(title: string | undefined): OpenDialogOptions {
  return {
    title: title ?? 'Choose a folder',
    properties: ['openDirectory', 'createDirectory', 'dontAddToRecent'],
  };
}

export function diskFileDialogOptions(title: string | undefined): OpenDialogOptions {
  return {
    title: title ?? 'Choose a virtual disk',
    properties: ['openFile', 'dontAddToRecent'],
    filters: DISK_FILE_FILTERS,
  };
}

/** The chosen path, or null when the dialog was cancelled. */
export function chosenPath(result: {
  canceled: boolean;
  filePaths: readonly string[];
}): string | null {
  return result.canceled ? null : (result.filePaths[0] ?? null);
}
