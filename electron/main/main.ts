/**
 * The Electron main process: one instance per user, the engine's service on
 * userData/data, the API bound onto IPC for our own windows only, a tray icon with the last
 * backup's status, notifications when jobs end, drag-out of staged restores to the file
 * manager, and a quit that lets running jobs stop cleanly. Logic lives in the Electron-free
 * modules beside this file; this one wires them to Electron.
 *
 * ESM entry: Electron emits `ready` only once this module has been evaluated, so the
 * synchronous calls at the top (scheme privileges, single-instance lock) run before it, as
 * they must. It must never `await app.whenReady()` at the top level (that would hang).
 */
import path from 'node:path';
import {
  BrowserWindow,
  Menu,
  Notification,
  app,
  dialog,
  ipcMain,
  nativeImage,
  screen,
  session,
  type IpcMainEvent,
  type IpcMainInvokeEvent,
  type NativeImage,
  type OpenDialogOptions,
} from 'electron';
import { DRAG_STAGING_FOLDER } from '../../shared/api.js';
import { createApiHandler, type ApiHandler } from '../api/handler.js';
import { TesseraService } from '../engine/service.js';
import { iconPng } from './app-icon.js';
import { appMenuTemplate } from './app-menu.js';
import { USER_DATA_NAME, dataDirFor, desktopPaths } from './desktop-paths.js';
import { chosenPath, diskFileDialogOptions, folderDialogOptions } from './dialog-options.js';
import {
  STAGING_PRUNE_INTERVAL_MS,
  bindStartDrag,
  clearStaging,
  pruneStaging,
} from './drag-out.js';
import { bindIpc, forwardEvents, type NativeDialogs } from './ipc-binding.js';
import { registerAppScheme, serveApp } from './protocol.js';
import { createQuitGuard, quitsWhenAllWindowsClosed } from './quit-guard.js';
import { checkSender } from './sender-check.js';
import { createStatusTray, type StatusTray } from './tray.js';
import { jobEndedNotification, trayStatusFromJobs } from './tray-status.js';
import { loadWindowState, saveWindowState } from './window-state-file.js';
import { WINDOW_STATE_FILE, debounce, restoreBounds } from './window-state.js';
import { AppWindows, denyPermissions, hardenAnyWebContents } from './windows.js';

const log = (message: string) => console.warn(message);
const isDev = !app.isPackaged;
const isMac = process.platform === 'darwin';
const paths = desktopPaths(import.meta.url);
const windows = new AppWindows({ preloadPath: paths.preload, isDev, log });

let service: TesseraService | null = null;
let handler: ApiHandler | null = null;
let tray: StatusTray | null = null;
/** <dataDir>/drag-staging: restores staged to be dragged out (see drag-out.ts). */
let stagingRoot: string | null = null;
let stagingPruner: NodeJS.Timeout | null = null;
/** Notifications are kept until dismissed: one collected early never delivers its click. */
const notifications = new Set<Notification>();

// Before anything reads userData: the single-instance lock is keyed on it.
app.setName(USER_DATA_NAME);
app.setPath('userData', path.join(app.getPath('appData'), USER_DATA_NAME));
registerAppScheme();

if (!app.requestSingleInstanceLock()) {
  // Another Tessera owns the data directory; it shows its window (second-instance below).
  app.quit();
} else {
  app.on('second-instance', () => showMainWindow());
  app.on('web-contents-created', (_event, contents) => hardenAnyWebContents(contents, log));
  app.on(
    'before-quit',
    createQuitGuard({ close: closeService, exit: (code) => app.exit(code) }).onBeforeQuit,
  );
  app.on('window-all-closed', () => {
    if (quitsWhenAllWindowsClosed(process.platform, tray !== null)) app.quit();
  });
  // macOS: clicking the dock icon with no window open brings one back.
  app.on('activate', () => {
    if (app.isReady() && handler) showMainWindow();
  });
  app.whenReady().then(start, fail);
}

async function start(): Promise<void> {
  denyPermissions(session.defaultSession);
  serveApp(session.defaultSession, paths.renderer, log);

  service = await TesseraService.open({
    dataDir: dataDirFor(app.getPath('userData')),
  });
  const api = createApiHandler(service, { shell: 'desktop', version: app.getVersion() });
  handler = api;
  bindIpc<IpcMainInvokeEvent>({
    ipc: ipcMain,
    handler: api,
    dialogs: nativeDialogs,
    authorize: (event) => checkSender(event.senderFrame, windows.mainFrames()),
    log,
  });
  forwardEvents(api.subscribe, () => windows.all().map((window) => window.webContents));
  startDragOut(path.join(service.dataDir, DRAG_STAGING_FOLDER));

  Menu.setApplicationMenu(
    Menu.buildFromTemplate(
      appMenuTemplate({
        appName: app.getName(),
        isMac,
        isDev,
        addFolderSource: () => void addFolderSource(),
        showAbout,
        quit: () => app.quit(),
      }),
    ),
  );
  tray = createStatusTray({
    initial: trayStatusFromJobs(service.listJobs({ limit: 50 })),
    isMac,
    openWindow: showMainWindow,
    backupNow: () => void backUpAllNow(),
    quit: () => app.quit(),
  });
  api.subscribe((event) => {
    tray?.update(event);
    if (event.type === 'job-ended') notifyJobEnded(event.job);
  });

  service.startScheduler();
  showMainWindow();
}

function fail(error: unknown): void {
  console.error('tessera: could not start', error);
  dialog.showErrorBox(
    'Tessera could not start',
    `${error instanceof Error ? error.message : String(error)}\n\nData directory: ${dataDirFor(app.getPath('userData'))}`,
  );
  app.exit(1);
}

async function closeService(): Promise<void> {
  tray?.destroy();
  tray = null;
  if (stagingPruner) clearInterval(stagingPruner);
  stagingPruner = null;
  const staged = stagingRoot;
  stagingRoot = null;
  const closing = service;
  service = null;
  await closing?.close();
  // Once no restore can still be writing there; a drop still copying may keep a file (Windows).
  if (staged) await clearStaging(staged, log);
}

// --- drag-out --------------------------------------------------------------------------------

let dragIconImage: NativeImage | null = null;

/** The app icon, small: what the pointer carries during a drag-out (macOS needs one). */
function dragIcon(): NativeImage {
  if (!dragIconImage) {
    dragIconImage = nativeImage.createFromBuffer(iconPng(32), { scaleFactor: 1 });
    dragIconImage.addRepresentation({ scaleFactor: 2, buffer: iconPng(64) });
  }
  return dragIconImage;
}

function startDragOut(root: string): void {
  stagingRoot = root;
  const prune = () => void pruneStaging(root, { log });
  prune();
  stagingPruner = setInterval(prune, STAGING_PRUNE_INTERVAL_MS);
  stagingPruner.unref();
  bindStartDrag<IpcMainEvent>({
    ipc: ipcMain,
    authorize: (event) => checkSender(event.senderFrame, windows.mainFrames()),
    stagingRoot: () => stagingRoot,
    startDrag: (event, item) => event.sender.startDrag({ ...item, icon: dragIcon() }),
    log,
  });
}

// --- windows ---------------------------------------------------------------------------------

function showMainWindow(): void {
  const existing = windows.first();
  if (existing) {
    if (existing.isMinimized()) existing.restore();
    existing.show();
    existing.focus();
    return;
  }
  createMainWindow();
}

function createMainWindow(): BrowserWindow {
  const stateFile = path.join(app.getPath('userData'), WINDOW_STATE_FILE);
  const restored = restoreBounds(
    loadWindowState(stateFile),
    screen.getAllDisplays().map((display) => display.workArea),
    screen.getPrimaryDisplay().workArea,
  );
  const { maximized, ...bounds } = restored;
  const window = windows.create(bounds);
  if (maximized) window.maximize();

  const writeState = () => {
    if (window.isDestroyed()) return;
    const state = { bounds: window.getNormalBounds(), maximized: window.isMaximized() };
    saveWindowState(stateFile, state).catch((error: unknown) =>
      log(`tessera: could not save the window state: ${String(error)}`),
    );
  };
  const save = debounce(writeState, 500);
  for (const event of ['move', 'resize', 'maximize', 'unmaximize'] as const) {
    window.on(event as 'move', save);
  }
  // Written as the window goes, whatever is pending.
  window.on('close', () => {
    save.cancel();
    writeState();
  });
  return window;
}

// --- dialogs, menu actions, notifications -------------------------------------------------------

async function showOpenDialog(
  parent: BrowserWindow | null | undefined,
  options: OpenDialogOptions,
): Promise<string | null> {
  const result = parent
    ? await dialog.showOpenDialog(parent, options)
    : await dialog.showOpenDialog(options);
  return chosenPath(result);
}

const nativeDialogs: NativeDialogs<IpcMainInvokeEvent> = {
  pickFolder: (event, title) =>
    showOpenDialog(BrowserWindow.fromWebContents(event.sender), folderDialogOptions(title)),
  pickDiskFile: (event, title) =>
    showOpenDialog(BrowserWindow.fromWebContents(event.sender), diskFileDialogOptions(title)),
};

async function addFolderSource(): Promise<void> {
  if (!handler) return;
  const folder = await showOpenDialog(
    BrowserWindow.getFocusedWindow() ?? windows.first(),
    folderDialogOptions('Add a folder of virtual machines'),
  );
  if (folder === null) return;
  // Through the API handler, so the menu gets exactly the validation the renderer gets.
  const result = await handler.handle('inventory.addSource', { kind: 'folder', path: folder });
  if (!result.ok) {
    dialog.showErrorBox(
      'Could not add the folder',
      [result.error.message, result.error.remedy].filter(Boolean).join('\n\n'),
    );
    return;
  }
  showMainWindow();
}

async function backUpAllNow(): Promise<void> {
  if (!handler) return;
  const result = await handler.handle('jobs.backupNow', {});
  if (!result.ok) {
    dialog.showErrorBox(
      'Could not start the backup',
      [result.error.message, result.error.remedy].filter(Boolean).join('\n\n'),
    );
  }
}

function showAbout(): void {
  const parent = BrowserWindow.getFocusedWindow();
  const options = {
    type: 'info' as const,
    title: `About ${app.getName()}`,
    message: `${app.getName()} ${app.getVersion()}`,
    detail: `Backups of virtual machines into a deduplicating storage unit.\n\nElectron ${process.versions.electron}, Node ${process.versions.node}\nData: ${dataDirFor(app.getPath('userData'))}`,
    buttons: ['OK'],
  };
  void (parent ? dialog.showMessageBox(parent, options) : dialog.showMessageBox(options));
}

function notifyJobEnded(job: Parameters<typeof jobEndedNotification>[0]): void {
  const content = jobEndedNotification(job);
  if (!content || !Notification.isSupported()) return;
  const notification = new Notification({ ...content, silent: false });
  notifications.add(notification);
  const forget = () => notifications.delete(notification);
  notification.on('click', () => {
    forget();
    showMainWindow();
  });
  notification.on('close', forget);
  notification.show();
}
