/** Menus, dialogs and quitting: the parts of the shell that are plain data or plain logic. */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it, vi } from 'vitest';
import type { MenuItemConstructorOptions } from 'electron';
import { appMenuTemplate, trayMenuTemplate } from '../../../electron/main/app-menu.js';
import { dataDirFor, desktopPaths } from '../../../electron/main/desktop-paths.js';
import {
  DISK_FILE_FILTERS,
  chosenPath,
  diskFileDialogOptions,
  folderDialogOptions,
} from '../../../electron/main/dialog-options.js';
import { createQuitGuard, quitsWhenAllWindowsClosed } from '../../../electron/main/quit-guard.js';

function flatten(items: readonly MenuItemConstructorOptions[]): MenuItemConstructorOptions[] {
  return items.flatMap((item) => [
    item,
    ...(Array.isArray(item.submenu) ? flatten(item.submenu) : []),
  ]);
}

const actions = { addFolderSource: vi.fn(), showAbout: vi.fn(), quit: vi.fn() };

describe('application menu', () => {
  it('has File (add folder source, quit), View and Help (about)', () => {
    const menu = appMenuTemplate({ appName: 'Tessera', isMac: false, isDev: false, ...actions });
    expect(menu.map((item) => item.label ?? item.role)).toEqual([
      'File',
      'editMenu',
      'View',
      'help',
    ]);
    const items = flatten(menu);
    items
      .find((item) => item.label === 'Add Folder Source…')
      ?.click?.(...([] as unknown as Parameters<NonNullable<MenuItemConstructorOptions['click']>>));
    expect(actions.addFolderSource).toHaveBeenCalled();
    expect(items.some((item) => item.label === 'Quit')).toBe(true);
    expect(items.some((item) => item.label === 'About Tessera')).toBe(true);
  });

  it('offers reload and devtools in development only', () => {
    const roles = (isDev: boolean) =>
      flatten(appMenuTemplate({ appName: 'Tessera', isMac: false, isDev, ...actions })).map(
        (item) => item.role,
      );
    expect(roles(false)).not.toContain('reload');
    expect(roles(false)).not.toContain('toggleDevTools');
    expect(roles(true)).toContain('reload');
    expect(roles(true)).toContain('toggleDevTools');
  });

  it('follows macOS conventions there (app menu first, window menu)', () => {
    const menu = appMenuTemplate({ appName: 'Tessera', isMac: true, isDev: false, ...actions });
    expect(menu[0]?.label).toBe('Tessera');
    expect(flatten(menu).some((item) => item.label === 'Quit Tessera')).toBe(true);
    expect(menu.some((item) => item.role === 'windowMenu')).toBe(true);
  });
});

describe('tray menu', () => {
  it('shows the status, then Open, Back up all now and Quit', () => {
    const backupNow = vi.fn();
    const menu = trayMenuTemplate({
      status: 'Last backup today succeeded',
      backupRunning: false,
      openWindow: vi.fn(),
      backupNow,
      quit: vi.fn(),
    });
    expect(menu.map((item) => item.label ?? item.type)).toEqual([
      'Last backup today succeeded',
      'separator',
      'Open Tessera',
      'Back up all now',
      'separator',
      'Quit Tessera',
    ]);
    expect(menu[0]?.enabled).toBe(false);
    expect(menu[3]?.enabled).toBe(true);
  });

  it('disables Back up all now while a backup runs', () => {
    const menu = trayMenuTemplate({
      status: 'Backing up…',
      backupRunning: true,
      openWindow: vi.fn(),
      backupNow: vi.fn(),
      quit: vi.fn(),
    });
    expect(menu.find((item) => item.label === 'Back up all now')?.enabled).toBe(false);
  });
});

describe('dialogs', () => {
  it('offers the disk formats, then anything', () => {
    expect(DISK_FILE_FILTERS[0]?.extensions).toEqual([
      'vhdx',
      'vhd',
      'img',
      'raw',
      'vmdk',
      'qcow2',
    ]);
    expect(DISK_FILE_FILTERS.at(-1)?.extensions).toEqual(['*']);
    expect(diskFileDialogOptions(undefined).properties).toContain('openFile');
    expect(folderDialogOptions('Pick').properties).toContain('openDirectory');
    expect(folderDialogOptions('Pick').title).toBe('Pick');
  });

  it('answers null when cancelled', () => {
    expect(chosenPath({ canceled: true, filePaths: ['/x'] })).toBeNull();
    expect(chosenPath({ canceled: false, filePaths: [] })).toBeNull();
    expect(chosenPath({ canceled: false, filePaths: ['/x', '/y'] })).toBe('/x');
  });
});

describe('quit guard', () => {
  function setup(close: () => Promise<void>) {
    const exit = vi.fn<(code: number) => void>();
    const log = vi.fn();
    const guard = createQuitGuard({ close, exit, log, timeoutMs: 1000 });
    const quit = () => {
      const event = { preventDefault: vi.fn() };
      guard.onBeforeQuit(event);
      return event;
    };
    return { guard, exit, log, quit };
  }

  it('holds the quit until the service has closed, then exits once', async () => {
    let finish: () => void = () => undefined;
    const close = vi.fn(() => new Promise<void>((resolve) => (finish = resolve)));
    const { guard, exit, quit } = setup(close);
    expect(quit().preventDefault).toHaveBeenCalled();
    expect(guard.closing).toBe(true);
    // A second Quit while jobs stop is held too, and closes nothing twice.
    expect(quit().preventDefault).toHaveBeenCalled();
    expect(close).toHaveBeenCalledTimes(1);
    expect(exit).not.toHaveBeenCalled();
    finish();
    await vi.waitFor(() => expect(exit).toHaveBeenCalledWith(0));
    expect(exit).toHaveBeenCalledTimes(1);
  });

  it('exits with 1 when closing fails or takes too long', async () => {
    const failing = setup(() => Promise.reject(new Error('disk gone')));
    failing.quit();
    await vi.waitFor(() => expect(failing.exit).toHaveBeenCalledWith(1));
    expect(failing.log).toHaveBeenCalled();

    vi.useFakeTimers();
    try {
      const hanging = setup(() => new Promise<void>(() => undefined));
      hanging.quit();
      vi.advanceTimersByTime(1000);
      expect(hanging.exit).toHaveBeenCalledWith(1);
    } finally {
      vi.useRealTimers();
    }
  });

  it('keeps running in the tray, and on macOS, when the last window closes', () => {
    expect(quitsWhenAllWindowsClosed('darwin', false)).toBe(false);
    expect(quitsWhenAllWindowsClosed('linux', true)).toBe(false);
    expect(quitsWhenAllWindowsClosed('win32', false)).toBe(true);
  });
});

describe('desktop paths', () => {
  it('finds the preload and renderer beside the built main module', () => {
    const url = pathToFileURL(path.resolve('/opt/tessera/out/electron/main/main.js')).href;
    expect(desktopPaths(url)).toEqual({
      preload: path.resolve('/opt/tessera/out/desktop/preload.cjs'),
      renderer: path.resolve('/opt/tessera/out/renderer'),
    });
  });

  it('keeps data in userData/data unless TESSERA_DATA says otherwise', () => {
    const userData = path.resolve('/home/u/.config/Tessera');
    expect(dataDirFor(userData, {})).toBe(path.join(userData, 'data'));
    expect(dataDirFor(userData, { TESSERA_DATA: '/srv/tessera' })).toBe(
      path.resolve('/srv/tessera'),
    );
  });
});
