/**
 * main.ts itself, wired to a fake Electron (fake-electron.ts) and a real engine service on a
 * scratch userData: the scheme is registered before ready, the window comes from the secure
 * factory, the API answers our window's top frame and refuses others, the protocol handler
 * refuses traversal with the CSP on every response, permissions are denied, popups go to the
 * browser only for web links, the tray shows the status, staged restores are dragged out
 * only for our window and only from the staging folder (which is pruned at start and removed
 * at quit), and quitting closes the service before the app exits.
 */
import { existsSync, mkdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { API_METHODS } from '../../../shared/api.js';
import { CONTENT_SECURITY_POLICY } from '../../../electron/main/csp.js';
import { FORCED_WEB_PREFERENCES } from '../../../electron/main/window-options.js';
import { scratchDir } from '../../helpers/scratch.js';
import * as fake from './fake-electron.js';

vi.mock('electron', async () => (await import('./fake-electron.js')).electron);

let cleanup: () => Promise<void>;
let window: fake.FakeBrowserWindow;
let staging: string;
const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);

beforeAll(async () => {
  const scratch = await scratchDir('tessera-main-');
  cleanup = scratch.cleanup;
  fake.app.paths.set('appData', scratch.dir);
  delete process.env['TESSERA_DATA'];
  // Left over from an earlier run: one staged two days ago, one an hour ago.
  staging = path.join(scratch.dir, 'Tessera', 'data', 'drag-staging');
  mkdirSync(path.join(staging, 'old', 'web01'), { recursive: true });
  writeFileSync(path.join(staging, 'old', 'web01', 'notes.txt'), 'old');
  const twoDaysAgo = new Date(Date.now() - 2 * 24 * 3600_000);
  utimesSync(path.join(staging, 'old'), twoDaysAgo, twoDaysAgo);
  mkdirSync(path.join(staging, 'fresh'), { recursive: true });
  await import('../../../electron/main/main.js');
  await vi.waitFor(() => expect(fake.FakeBrowserWindow.all).toHaveLength(1), { timeout: 10_000 });
  window = fake.FakeBrowserWindow.all[0]!;
});

afterAll(async () => {
  // If a test failed before quitting, still close the service so the scratch dir can go.
  if (fake.app.exitCodes.length === 0) fake.app.emit('before-quit', { preventDefault() {} });
  await vi.waitFor(() => expect(fake.app.exitCodes.length).toBeGreaterThan(0));
  await cleanup();
});

const invoke = (channel: string, frame: unknown, ...args: unknown[]) => {
  const handler = fake.ipcMain.handlers.get(channel);
  if (!handler) throw new Error(`no handler for ${channel}`);
  return handler({ senderFrame: frame, sender: window.webContents }, ...args);
};

describe('main process', () => {
  it('registers tessera:// as a privileged standard, secure scheme', () => {
    expect(fake.protocol.privileged).toEqual([
      expect.objectContaining({
        scheme: 'tessera',
        privileges: expect.objectContaining({ standard: true, secure: true }),
      }),
    ]);
    expect(fake.protocol.privileged).not.toContainEqual(
      expect.objectContaining({
        privileges: expect.objectContaining({ corsEnabled: true }),
      }),
    );
  });

  it('keeps its data in <appData>/Tessera/data whether packaged or not', () => {
    expect(fake.app.getName()).toBe('Tessera');
    expect(fake.app.userData).toMatch(/[/\\]Tessera$/);
  });

  it('opens the app in a window made by the secure factory', () => {
    expect(window.options['webPreferences']).toMatchObject(FORCED_WEB_PREFERENCES);
    expect(window.webContents.getURL()).toBe('tessera://app/index.html');
    expect(existsSync(path.join(fake.app.userData, 'data', 'store'))).toBe(true);
  });

  it('binds every API method and answers our window’s top frame', async () => {
    for (const method of API_METHODS)
      expect(fake.ipcMain.handlers.has(`tessera:${method}`)).toBe(true);
    expect(await invoke('tessera:app.info', window.webContents.mainFrame, {})).toMatchObject({
      ok: true,
      result: {
        shell: 'desktop',
        version: '0.1.0-test',
        dataDir: path.join(fake.app.userData, 'data'),
      },
    });
  });

  it('refuses other frames', async () => {
    const { mainFrame } = window.webContents;
    for (const frame of [
      null,
      { ...mainFrame, url: 'https://evil.example/' },
      { ...mainFrame, frameToken: 'iframe', parent: mainFrame },
      { ...mainFrame, frameToken: 'not-ours' },
    ]) {
      expect(await invoke('tessera:hosts.get', frame, {})).toMatchObject({
        ok: false,
        error: { code: 'UNAUTHORIZED' },
      });
    }
    await expect(invoke('tessera:pick-folder', null)).rejects.toThrow();
    expect(warn).toHaveBeenCalledWith(
      expect.stringMatching(/^tessera: refused IPC on tessera:hosts\.get: sent from a subframe/),
    );
  });

  it('pushes engine events to the window', async () => {
    await invoke('tessera:inventory.addSource', window.webContents.mainFrame, {
      kind: 'folder',
      path: fake.app.userData,
    });
    expect(window.webContents.sent).toContainEqual([
      'tessera:event',
      { type: 'inventory-changed' },
    ]);
  });

  it('removes what was staged a day ago at start and keeps what is fresh', async () => {
    await vi.waitFor(() => expect(existsSync(path.join(staging, 'old'))).toBe(false));
    expect(existsSync(path.join(staging, 'fresh'))).toBe(true);
  });

  it('drags staged files out for our window’s top frame only, and nothing else', async () => {
    const info = await invoke('tessera:app.info', window.webContents.mainFrame, {});
    expect(info).toMatchObject({ ok: true, result: { stagingDir: staging } });
    const folder = path.join(staging, 'job-1', 'web01');
    mkdirSync(folder, { recursive: true });
    // Not a disk by its name: the folder source on userData added above must still hold no VM.
    const disk = path.join(staging, 'job-1', 'disk0.txt');
    writeFileSync(disk, 'disk');
    const drags = window.webContents.drags;
    const send = (frame: unknown, paths: unknown) =>
      fake.ipcMain.send(
        'tessera:start-drag',
        { senderFrame: frame, sender: window.webContents },
        paths,
      );
    const { mainFrame } = window.webContents;

    send(mainFrame, [disk]);
    expect(drags).toEqual([
      { file: disk, icon: expect.objectContaining({ buffer: expect.any(Buffer) }) },
    ]);
    expect(drags[0]).not.toHaveProperty('files');
    send(mainFrame, [disk, folder]);
    expect(drags[1]).toMatchObject({ file: disk, files: [disk, folder] });

    send({ ...mainFrame, frameToken: 'iframe', parent: mainFrame }, [disk]);
    send({ ...mainFrame, url: 'https://evil.example/' }, [disk]);
    send(mainFrame, [path.join(staging, '..', 'tessera.conf')]);
    send(mainFrame, [path.join(fake.app.userData, 'window-state.json')]);
    send(mainFrame, [path.join(staging, 'job-1', 'missing.txt')]);
    send(mainFrame, []);
    send(mainFrame, 'not a list');
    expect(drags).toHaveLength(2);
    expect(warn).toHaveBeenCalledWith(
      expect.stringMatching(/^tessera: refused IPC on tessera:start-drag: sent from a subframe/),
    );
    expect(warn).toHaveBeenCalledWith(expect.stringMatching(/^tessera: no drag: .*not inside/));
  });

  it('serves the app with the CSP and refuses path traversal', async () => {
    const handle = fake.session.defaultSession.protocolHandlers.get('tessera')!;
    const climb = await handle(new Request('tessera://app/..%2f..%2fetc%2fpasswd'));
    expect(climb.status).toBe(403);
    expect(climb.headers.get('Content-Security-Policy')).toBe(CONTENT_SECURITY_POLICY);
    const missing = await handle(new Request('tessera://app/assets/missing.js'));
    expect(missing.status).toBe(404);
    expect(missing.headers.get('Content-Security-Policy')).toBe(CONTENT_SECURITY_POLICY);
    const post = await handle(new Request('tessera://app/index.html', { method: 'POST' }));
    expect(post.status).toBe(405);
  });

  it('denies permissions, popups and <webview>', () => {
    const { defaultSession } = fake.session;
    const callback = vi.fn();
    const details = { requestingUrl: 'tessera://app/index.html', isMainFrame: true };
    (defaultSession.permissionRequestHandler as (...args: unknown[]) => void)(
      window.webContents,
      'media',
      callback,
      details,
    );
    expect(callback).toHaveBeenCalledWith(false);
    const check = defaultSession.permissionCheckHandler as (...args: unknown[]) => boolean;
    expect(check(window.webContents, 'geolocation', 'tessera://app', details)).toBe(false);
    expect(check(window.webContents, 'clipboard-read', 'tessera://app', details)).toBe(false);

    const open = window.webContents.windowOpenHandler!;
    expect(open({ url: 'https://example.com/help' })).toEqual({ action: 'deny' });
    expect(open({ url: 'file:///etc/passwd' })).toEqual({ action: 'deny' });
    expect(fake.shell.opened).toEqual(['https://example.com/help']);

    const navigate = { url: 'https://evil.example/', preventDefault: vi.fn() };
    window.webContents.emit('will-navigate', navigate);
    expect(navigate.preventDefault).toHaveBeenCalled();
    const inApp = { url: 'tessera://app/jobs', preventDefault: vi.fn() };
    window.webContents.emit('will-navigate', inApp);
    expect(inApp.preventDefault).not.toHaveBeenCalled();
    const webview = { preventDefault: vi.fn() };
    window.webContents.emit('will-attach-webview', webview);
    expect(webview.preventDefault).toHaveBeenCalled();
  });

  it('shows the status in the tray and backs up all from it', async () => {
    const tray = fake.Tray.all[0]!;
    expect(tray.tooltip).toBe('Tessera: No backup yet');
    const backUp = tray.menu?.template.find((item) => item.label === 'Back up all now');
    backUp?.click?.();
    // The scratch folder source holds no VM: the engine says so, in a dialog.
    await vi.waitFor(() => expect(fake.dialog.errors[0]?.[0]).toBe('Could not start the backup'));
  });

  it('focuses the window when a second instance starts', () => {
    const before = window.focused;
    fake.app.emit('second-instance');
    expect(window.focused).toBe(before + 1);
    expect(fake.FakeBrowserWindow.all).toHaveLength(1);
  });

  it('remembers the window bounds when it closes', async () => {
    window.emit('close');
    const file = path.join(fake.app.userData, 'window-state.json');
    await vi.waitFor(() => expect(existsSync(file)).toBe(true));
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({
      bounds: { x: 10, y: 20, width: 1000, height: 700 },
      maximized: false,
    });
  });

  it('holds the quit until the service is closed, then exits', async () => {
    const event = { preventDefault: vi.fn() };
    fake.app.emit('before-quit', event);
    expect(event.preventDefault).toHaveBeenCalled();
    await vi.waitFor(() => expect(fake.app.exitCodes).toEqual([0]));
    expect(fake.Tray.all[0]?.destroyed).toBe(true);
    // What was staged to drag out goes with the app.
    expect(existsSync(staging)).toBe(false);
  });
});
