/**
 * The application menu and the tray menu as plain templates, so what each contains (and that
 * reload and devtools exist only in development) is tested without Electron.
 */
import type { MenuItemConstructorOptions } from 'electron';

export interface AppMenuOptions {
  readonly appName: string;
  readonly isMac: boolean;
  /** Development build: reload and devtools are offered. */
  readonly isDev: boolean;
  readonly addFolderSource: () => void;
  readonly showAbout: () => void;
  readonly quit: () => void;
}

export function appMenuTemplate(options: AppMenuOptions): MenuItemConstructorOptions[] {
  const { appName, isMac, isDev } = options;
  const about: MenuItemConstructorOptions = {
    label: `About ${appName}`,
    click: options.showAbout,
  };
  const quit: MenuItemConstructorOptions = {
    label: isMac ? `Quit ${appName}` : 'Quit',
    accelerator: 'CmdOrCtrl+Q',
    click: options.quit,
  };
  const template: MenuItemConstructorOptions[] = [];
  if (isMac) {
    template.push({
      label: appName,
      submenu: [
        about,
        { type: 'separator' },
        { role: 'hide' },
        { role: 'hideOthers' },
        { role: 'unhide' },
        { type: 'separator' },
        quit,
      ],
    });
  }
  template.push({
    label: 'File',
    submenu: [
      { label: 'Add Folder Source…', accelerator: 'CmdOrCtrl+O', click: options.addFolderSource },
      ...(isMac ? [] : [{ type: 'separator' } as const, quit]),
    ],
  });
  // Without an Edit menu, macOS gives text fields no copy and paste shortcuts.
  template.push({ role: 'editMenu' });
  template.push({
    label: 'View',
    submenu: [
      ...(isDev
        ? [
            { role: 'reload' } as const,
            { role: 'toggleDevTools' } as const,
            { type: 'separator' } as const,
          ]
        : []),
      { role: 'resetZoom' },
      { role: 'zoomIn' },
      { role: 'zoomOut' },
      { type: 'separator' },
      { role: 'togglefullscreen' },
    ],
  });
  if (isMac) template.push({ role: 'windowMenu' });
  template.push({ role: 'help', submenu: [about] });
  return template;
}

export interface TrayMenuOptions {
  /** The status line (tray-status.ts), shown disabled at the top. */
  readonly status: string;
  readonly backupRunning: boolean;
  readonly openWindow: () => void;
  readonly backupNow: () => void;
  readonly quit: () => void;
}

export function trayMenuTemplate(options: TrayMenuOptions): MenuItemConstructorOptions[] {
  return [
    { label: options.status, enabled: false },
    { type: 'separator' },
    { label: 'Open Tessera', click: options.openWindow },
    {
      label: 'Back up all now',
      // One click, one job: a second one would only wait on the VM locks of the first.
      enabled: !options.backupRunning,
      click: options.backupNow,
    },
    { type: 'separator' },
    { label: 'Quit Tessera', click: options.quit },
  ];
}
