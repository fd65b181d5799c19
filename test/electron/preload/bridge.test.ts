/**
 * What the page gets as window.tessera: one named function per API method on its own
 * channel, an event subscription that never hands out the IPC event, two dialogs, the
 * drag-out on its own one-way channel, and nothing that reaches ipcRenderer itself.
 */
import { describe, expect, it, vi } from 'vitest';
import { API_METHODS, type ApiEvent } from '../../../shared/api.js';
import { createDesktopBridge, type IpcRendererLike } from '../../../electron/preload/bridge.js';
import {
  EVENT_CHANNEL,
  PICK_DISK_FILE_CHANNEL,
  PICK_FOLDER_CHANNEL,
  START_DRAG_CHANNEL,
} from '../../../electron/preload/channels.js';

type Listener = (event: unknown, ...args: unknown[]) => void;

function fakeIpcRenderer() {
  const listeners = new Map<string, Set<Listener>>();
  const ipc = {
    invoke: vi.fn(async (channel: string, ...args: unknown[]) => ({ channel, args })),
    send: vi.fn((_channel: string, ..._args: unknown[]) => undefined),
    on: vi.fn((channel: string, listener: Listener) => {
      const set = listeners.get(channel) ?? new Set<Listener>();
      set.add(listener);
      listeners.set(channel, set);
      return ipc;
    }),
    removeListener: vi.fn((channel: string, listener: Listener) => {
      listeners.get(channel)?.delete(listener);
      return ipc;
    }),
    /** What the main process's webContents.send would deliver. */
    emit(channel: string, ...args: unknown[]) {
      const event = { sender: ipc, senderId: 0, ports: [] };
      for (const listener of listeners.get(channel) ?? []) listener(event, ...args);
    },
    listenerCount: (channel: string) => listeners.get(channel)?.size ?? 0,
  };
  return ipc satisfies IpcRendererLike;
}

/** Every value reachable from `root` (own properties, recursively). */
function reachable(root: unknown, seen = new Set<unknown>()): Set<unknown> {
  if ((typeof root !== 'object' && typeof root !== 'function') || root === null) return seen;
  if (seen.has(root)) return seen;
  seen.add(root);
  for (const key of Reflect.ownKeys(root)) {
    const descriptor = Reflect.getOwnPropertyDescriptor(root, key);
    if (descriptor && 'value' in descriptor) reachable(descriptor.value, seen);
  }
  return seen;
}

describe('createDesktopBridge', () => {
  it('exposes exactly api, onEvent, pickFolder, pickDiskFile and startDrag', () => {
    const bridge = createDesktopBridge(fakeIpcRenderer());
    expect(Object.keys(bridge).sort()).toEqual([
      'api',
      'onEvent',
      'pickDiskFile',
      'pickFolder',
      'startDrag',
    ]);
    expect(bridge.startDrag.name).toBe('startDrag');
    expect(Object.isFrozen(bridge)).toBe(true);
    expect(Object.isFrozen(bridge.api)).toBe(true);
  });

  it('has one function per API method, named after it, and nothing else', () => {
    const bridge = createDesktopBridge(fakeIpcRenderer());
    expect(Object.keys(bridge.api).sort()).toEqual([...API_METHODS].sort());
    for (const method of API_METHODS) {
      const call = bridge.api[method];
      expect(typeof call, method).toBe('function');
      expect(call.name, method).toBe(method);
    }
    expect(bridge.api).not.toHaveProperty('invoke');
    expect(bridge).not.toHaveProperty('send');
  });

  it('invokes each method on its own channel with the params', async () => {
    const ipc = fakeIpcRenderer();
    const bridge = createDesktopBridge(ipc);
    for (const method of API_METHODS) {
      const params = { probe: method };
      const call = bridge.api[method] as (params: unknown) => Promise<unknown>;
      expect(await call(params)).toEqual({ channel: `tessera:${method}`, args: [params] });
    }
    expect(ipc.invoke).toHaveBeenCalledTimes(API_METHODS.length);
  });

  it('hands the page the event only, never the IpcRendererEvent, and unsubscribes', () => {
    const ipc = fakeIpcRenderer();
    const bridge = createDesktopBridge(ipc);
    const received: unknown[][] = [];
    const unsubscribe = bridge.onEvent((...args: unknown[]) => received.push(args));
    const event: ApiEvent = { type: 'policies-changed' };
    ipc.emit(EVENT_CHANNEL, event);
    expect(received).toEqual([[event]]);
    expect(ipc.listenerCount(EVENT_CHANNEL)).toBe(1);
    unsubscribe();
    unsubscribe();
    expect(ipc.listenerCount(EVENT_CHANNEL)).toBe(0);
    ipc.emit(EVENT_CHANNEL, event);
    expect(received).toHaveLength(1);
    expect(() => bridge.onEvent('not a function' as never)).toThrow(TypeError);
  });

  it('opens the dialogs on their channels, passing only a string title', async () => {
    const ipc = fakeIpcRenderer();
    const bridge = createDesktopBridge(ipc);
    await bridge.pickFolder('Where are the VMs?');
    await bridge.pickDiskFile({ evil: true } as never);
    await bridge.pickDiskFile();
    expect(ipc.invoke.mock.calls).toEqual([
      [PICK_FOLDER_CHANNEL, 'Where are the VMs?'],
      [PICK_DISK_FILE_CHANNEL, undefined],
      [PICK_DISK_FILE_CHANNEL, undefined],
    ]);
  });

  it('sends a drag-out on its own channel as a plain copy of string paths', () => {
    const ipc = fakeIpcRenderer();
    const bridge = createDesktopBridge(ipc);
    const paths = ['/data/drag-staging/a/disk0.vhdx', '/data/drag-staging/a/web01'];
    expect(bridge.startDrag(paths)).toBeUndefined();
    expect(ipc.send).toHaveBeenCalledTimes(1);
    const [channel, sent, ...rest] = ipc.send.mock.calls[0]!;
    expect(channel).toBe(START_DRAG_CHANNEL);
    expect(sent).toEqual(paths);
    expect(sent).not.toBe(paths);
    expect(rest).toEqual([]);
    expect(ipc.invoke).not.toHaveBeenCalled();
  });

  it('refuses a drag-out of nothing, of too much, or of what is not a path', () => {
    const ipc = fakeIpcRenderer();
    const bridge = createDesktopBridge(ipc);
    for (const bad of [[], Array.from({ length: 65 }, () => '/x'), [42], [''], 'x', null]) {
      expect(() => bridge.startDrag(bad as never), JSON.stringify(bad)).toThrow(TypeError);
    }
    expect(ipc.send).not.toHaveBeenCalled();
  });

  it('never lets ipcRenderer or its methods be reached from the bridge', () => {
    const ipc = fakeIpcRenderer();
    const values = reachable(createDesktopBridge(ipc));
    for (const secret of [ipc, ipc.invoke, ipc.send, ipc.on, ipc.removeListener]) {
      expect(values.has(secret)).toBe(false);
    }
  });
});
