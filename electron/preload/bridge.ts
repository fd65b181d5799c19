/**
 * Builds `window.tessera` from an ipcRenderer-like object. Electron-free, so the exact
 * surface the page gets is unit-tested: one named function per API method, an event
 * subscription, two native dialogs and the drag-out, and nothing else. The page never receives
 * ipcRenderer, an IpcRendererEvent or a way to name a channel itself, so a compromised page
 * can reach only what the API contract allows (and the main process validates that again).
 */
import {
  API_METHODS,
  type ApiEvent,
  type ApiEventListener,
  type ApiMethod,
  type DesktopBridge,
} from '../../shared/api.js';
import {
  EVENT_CHANNEL,
  PICK_DISK_FILE_CHANNEL,
  PICK_FOLDER_CHANNEL,
  START_DRAG_CHANNEL,
  apiChannel,
} from './channels.js';

type IpcListener = (event: unknown, ...args: unknown[]) => void;

/** The part of Electron's ipcRenderer the bridge uses (tests pass a fake). */
export interface IpcRendererLike {
  invoke(channel: string, ...args: unknown[]): Promise<unknown>;
  send(channel: string, ...args: unknown[]): void;
  on(channel: string, listener: IpcListener): unknown;
  removeListener(channel: string, listener: IpcListener): unknown;
}

/** Dialog titles are shown in native UI: only a short string crosses, anything else is dropped. */
const MAX_TITLE_LENGTH = 200;
function titleOrUndefined(title: unknown): string | undefined {
  return typeof title === 'string' ? title.slice(0, MAX_TITLE_LENGTH) : undefined;
}

/** As many paths as the main process takes in one drag (it checks them all again). */
export const MAX_DRAG_PATHS = 64;

/** A plain copy of the paths: only strings cross, and never more than MAX_DRAG_PATHS. */
function dragPaths(paths: unknown): string[] {
  if (!Array.isArray(paths) || paths.length === 0 || paths.length > MAX_DRAG_PATHS) {
    throw new TypeError(`startDrag needs 1 to ${MAX_DRAG_PATHS} paths`);
  }
  return paths.map((item: unknown) => {
    if (typeof item !== 'string' || item.length === 0) {
      throw new TypeError('startDrag takes paths as non-empty strings');
    }
    return item;
  });
}

function buildApi(ipc: IpcRendererLike): DesktopBridge['api'] {
  const api: Partial<Record<ApiMethod, (params: unknown) => Promise<unknown>>> = {};
  for (const method of API_METHODS) {
    const channel = apiChannel(method);
    // A computed key names the arrow function after the method, so stack traces and
    // devtools show `dashboard.get`, not an anonymous wrapper.
    const named = { [method]: (params: unknown) => ipc.invoke(channel, params) };
    api[method] = named[method];
  }
  return Object.freeze(api) as unknown as DesktopBridge['api'];
}

export function createDesktopBridge(ipc: IpcRendererLike): DesktopBridge {
  const bridge: DesktopBridge = {
    api: buildApi(ipc),
    onEvent(listener: ApiEventListener): () => void {
      if (typeof listener !== 'function') throw new TypeError('onEvent needs a function');
      // The wrapper drops the IpcRendererEvent: it carries `sender` (the ipcRenderer itself)
      // and must never reach the page.
      const wrapped: IpcListener = (_event, payload) => listener(payload as ApiEvent);
      ipc.on(EVENT_CHANNEL, wrapped);
      let subscribed = true;
      return () => {
        if (!subscribed) return;
        subscribed = false;
        ipc.removeListener(EVENT_CHANNEL, wrapped);
      };
    },
    pickFolder: (title?: string) =>
      ipc.invoke(PICK_FOLDER_CHANNEL, titleOrUndefined(title)) as Promise<string | null>,
    pickDiskFile: (title?: string) =>
      ipc.invoke(PICK_DISK_FILE_CHANNEL, titleOrUndefined(title)) as Promise<string | null>,
    startDrag(paths: readonly string[]): void {
      ipc.send(START_DRAG_CHANNEL, dragPaths(paths));
    },
  };
  return Object.freeze(bridge);
}
