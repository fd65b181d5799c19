/**
 * The API on IPC, with the real handler and a real service behind a fake ipcMain: every method
 * has its channel, params reach the handler, and a sender that is not our app page is refused
 * before the handler runs.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { API_METHODS, type ApiEvent } from '../../../shared/api.js';
import { createApiHandler, type ApiHandler } from '../../../electron/api/handler.js';
import { TesseraService } from '../../../electron/engine/service.js';
import {
  bindIpc,
  forwardEvents,
  UnauthorizedSenderError,
  type EventRecipient,
} from '../../../electron/main/ipc-binding.js';
import { checkSender, type FrameLike } from '../../../electron/main/sender-check.js';
import {
  EVENT_CHANNEL,
  PICK_DISK_FILE_CHANNEL,
  PICK_FOLDER_CHANNEL,
} from '../../../electron/preload/channels.js';
import { scratchDir } from '../../helpers/scratch.js';

type Listener = (event: FakeEvent, ...args: unknown[]) => unknown;
interface FakeEvent {
  readonly senderFrame: FrameLike | null;
}

class FakeIpcMain {
  readonly handlers = new Map<string, Listener>();
  handle(channel: string, listener: Listener): void {
    if (this.handlers.has(channel)) throw new Error(`second handler for ${channel}`);
    this.handlers.set(channel, listener);
  }
  removeHandler(channel: string): void {
    this.handlers.delete(channel);
  }
  /** What ipcRenderer.invoke(channel, ...args) would resolve to. */
  async invoke(channel: string, event: FakeEvent, ...args: unknown[]): Promise<unknown> {
    const listener = this.handlers.get(channel);
    if (!listener) throw new Error(`No handler registered for '${channel}'`);
    return listener(event, ...args);
  }
}

const ourFrame: FrameLike = {
  url: 'tessera://app/index.html',
  processId: 3,
  frameToken: 'main',
  parent: null,
};
const ours: FakeEvent = { senderFrame: ourFrame };
const foreignEvents: Record<string, FakeEvent> = {
  'a foreign origin': { senderFrame: { ...ourFrame, url: 'https://evil.example/' } },
  'a subframe': { senderFrame: { ...ourFrame, frameToken: 'sub', parent: ourFrame } },
  'a destroyed frame': { senderFrame: null },
  'another window': { senderFrame: { ...ourFrame, frameToken: 'other-window' } },
};

let root: string;
let cleanup: () => Promise<void>;
let service: TesseraService;
let handler: ApiHandler;

beforeAll(async () => {
  ({ dir: root, cleanup } = await scratchDir('tessera-ipc-'));
  service = await TesseraService.open({ dataDir: path.join(root, 'data') });
  handler = createApiHandler(service, { shell: 'desktop', version: '9.9.9' });
});
afterAll(async () => {
  await service.close();
  await cleanup();
});

function bind(overrides: { handler?: Pick<ApiHandler, 'handle'> } = {}) {
  const ipc = new FakeIpcMain();
  const log = vi.fn<(message: string) => void>();
  const dialogs = {
    pickFolder: vi.fn(async (_event: FakeEvent, _title: string | undefined) => '/picked/folder'),
    pickDiskFile: vi.fn(async (_event: FakeEvent, _title: string | undefined) => null),
  };
  const unbind = bindIpc<FakeEvent>({
    ipc,
    handler: overrides.handler ?? handler,
    dialogs,
    authorize: (event) => checkSender(event.senderFrame, [ourFrame]),
    log,
  });
  return { ipc, log, dialogs, unbind };
}

describe('bindIpc', () => {
  it('binds one channel per API method, plus the two dialogs, and nothing else', () => {
    const { ipc } = bind();
    expect([...ipc.handlers.keys()].sort()).toEqual(
      [
        ...API_METHODS.map((method) => `tessera:${method}`),
        PICK_FOLDER_CHANNEL,
        PICK_DISK_FILE_CHANNEL,
      ].sort(),
    );
  });

  it('answers our page through the real handler and service', async () => {
    const { ipc } = bind();
    const result = await ipc.invoke('tessera:hosts.get', ours, {});
    expect(result).toMatchObject({
      ok: true,
      result: { configFile: path.join(service.dataDir, 'tessera.conf') },
    });
    expect(await ipc.invoke('tessera:app.info', ours)).toMatchObject({
      ok: true,
      result: { shell: 'desktop', version: '9.9.9', dataDir: service.dataDir },
    });
  });

  it('returns the handler’s validation failure as a BAD_REQUEST envelope', async () => {
    const { ipc } = bind();
    expect(await ipc.invoke('tessera:jobs.get', ours, { id: -1 })).toMatchObject({
      ok: false,
      error: { code: 'BAD_REQUEST' },
    });
    expect(await ipc.invoke('tessera:hosts.get', ours, { extra: 1 })).toMatchObject({
      ok: false,
      error: { code: 'BAD_REQUEST' },
    });
  });

  it('hands the params to the handler unchanged', async () => {
    const handle = vi.fn(async () => ({ ok: true as const, result: [] }));
    const { ipc } = bind({ handler: { handle } });
    const params = { limit: 5, policy: 'nightly' };
    await ipc.invoke('tessera:jobs.list', ours, params);
    expect(handle).toHaveBeenCalledWith('jobs.list', params);
  });

  for (const [what, event] of Object.entries(foreignEvents)) {
    it(`refuses ${what} before the handler runs, and logs it`, async () => {
      const handle = vi.fn();
      const { ipc, log, dialogs } = bind({ handler: { handle } });
      expect(await ipc.invoke('tessera:storage.gc', event, {})).toEqual({
        ok: false,
        error: { code: 'UNAUTHORIZED', message: expect.any(String) },
      });
      await expect(ipc.invoke(PICK_FOLDER_CHANNEL, event, 'x')).rejects.toBeInstanceOf(
        UnauthorizedSenderError,
      );
      await expect(ipc.invoke(PICK_DISK_FILE_CHANNEL, event)).rejects.toThrow(/may not use/);
      expect(handle).not.toHaveBeenCalled();
      expect(dialogs.pickFolder).not.toHaveBeenCalled();
      expect(log).toHaveBeenCalledTimes(3);
      expect(log.mock.calls[0]?.[0]).toMatch(/refused IPC on tessera:storage\.gc/);
    });
  }

  it('opens the dialogs for our page, passing only a sane title', async () => {
    const { ipc, dialogs } = bind();
    expect(await ipc.invoke(PICK_FOLDER_CHANNEL, ours, 'Pick one')).toBe('/picked/folder');
    expect(dialogs.pickFolder).toHaveBeenCalledWith(ours, 'Pick one');
    expect(await ipc.invoke(PICK_DISK_FILE_CHANNEL, ours, { toString: () => 'x' })).toBeNull();
    expect(dialogs.pickDiskFile).toHaveBeenCalledWith(ours, undefined);
    await ipc.invoke(PICK_FOLDER_CHANNEL, ours, 'x'.repeat(10_000));
    expect(dialogs.pickFolder).toHaveBeenLastCalledWith(ours, undefined);
  });

  it('unbinds every channel', () => {
    const { ipc, unbind } = bind();
    unbind();
    expect(ipc.handlers.size).toBe(0);
  });
});

describe('forwardEvents', () => {
  function recipient(url: string, destroyed = false) {
    return {
      sent: [] as unknown[][],
      isDestroyed: () => destroyed,
      getURL: () => url,
      send(channel: string, ...args: unknown[]) {
        this.sent.push([channel, ...args]);
      },
    } satisfies EventRecipient & { sent: unknown[][] };
  }

  it('sends each event to our live app windows only', () => {
    let emit: (event: ApiEvent) => void = () => undefined;
    const unsubscribe = vi.fn();
    const app = recipient('tessera://app/index.html');
    const gone = recipient('tessera://app/index.html', true);
    const navigated = recipient('https://evil.example/');
    forwardEvents(
      (listener) => {
        emit = listener;
        return unsubscribe;
      },
      () => [app, gone, navigated],
    );
    emit({ type: 'inventory-changed' });
    expect(app.sent).toEqual([[EVENT_CHANNEL, { type: 'inventory-changed' }]]);
    expect(gone.sent).toEqual([]);
    expect(navigated.sent).toEqual([]);
  });

  it('keeps going when one window throws, and passes through the service’s events', async () => {
    const broken = { isDestroyed: () => false, getURL: () => 'tessera://app/', send: vi.fn() };
    broken.send.mockImplementation(() => {
      throw new Error('Object has been destroyed');
    });
    const app = recipient('tessera://app/index.html');
    const stop = forwardEvents(handler.subscribe, () => [broken, app]);
    await handler.handle('inventory.addSource', { kind: 'folder', path: root });
    stop();
    expect(app.sent).toContainEqual([EVENT_CHANNEL, { type: 'inventory-changed' }]);
  });
});
