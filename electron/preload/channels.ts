/**
 * The IPC channel names the preload and the main process agree on. Kept in a module of its
 * own, free of Electron and zod, so both sides import the same strings and the preload bundle
 * stays small.
 */
import type { ApiMethod } from '../../shared/api.js';

/** Every API call travels on its own channel, so the main process binds exactly the contract. */
export const API_CHANNEL_PREFIX = 'tessera:';

export function apiChannel(method: ApiMethod): `tessera:${ApiMethod}` {
  return `${API_CHANNEL_PREFIX}${method}`;
}

/** Main → renderer: engine events (job progress, inventory changes...). */
export const EVENT_CHANNEL = 'tessera:event';
/** Renderer → main: native dialogs (the renderer has no file system access of its own). */
export const PICK_FOLDER_CHANNEL = 'tessera:pick-folder';
export const PICK_DISK_FILE_CHANNEL = 'tessera:pick-disk-file';
/**
 * Renderer → main, one way (ipcRenderer.send): start a native drag of staged files
 * (webContents.startDrag must run while the page's drag is starting, so nothing is awaited).
 */
export const START_DRAG_CHANNEL = 'tessera:start-drag';
