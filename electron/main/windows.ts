/**
 * The one place Tessera windows are made. Each gets the forced secure options
 * (window-options.ts), loads only the app's own origin, opens no child windows and cannot be
 * navigated away; the registry also answers "is this one of our windows?" for the IPC
 * sender check.
 */
import {
  BrowserWindow,
  shell,
  type BrowserWindowConstructorOptions,
  type Session,
  type WebContents,
} from 'electron';
import { APP_ENTRY_URL, isAppUrl, isSafeExternalUrl } from './app-protocol.js';
import type { FrameLike } from './sender-check.js';
import { allowsPermission } from './permission-policy.js';
import { secureWindowOptions } from './window-options.js';

type Log = (message: string) => void;

/** Web links go to the system browser, after checking the scheme; anything else is dropped. */
function openExternally(url: string, log: Log): void {
  if (isSafeExternalUrl(url)) {
    shell
      .openExternal(url)
      .catch((error: unknown) => log(`tessera: could not open ${url}: ${String(error)}`));
  } else {
    log(`tessera: refused to open ${url}`);
  }
}

/**
 * For every web contents the app ever creates (devtools included): no popups, no <webview>.
 * Registered on app 'web-contents-created', so nothing slips past by being made elsewhere.
 */
export function hardenAnyWebContents(contents: WebContents, log: Log): void {
  contents.setWindowOpenHandler(({ url }) => {
    openExternally(url, log);
    return { action: 'deny' };
  });
  contents.on('will-attach-webview', (event) => event.preventDefault());
}

/** Our pages stay on our origin: a link elsewhere opens in the browser instead. */
function confineToApp(contents: WebContents, log: Log): void {
  const guard = (event: { preventDefault(): void; url: string }) => {
    if (isAppUrl(event.url)) return;
    event.preventDefault();
    openExternally(event.url, log);
  };
  contents.on('will-navigate', guard);
  contents.on('will-redirect', guard);
}

/** Every permission request and check is refused but the few permission-policy.ts allows. */
export function denyPermissions(session: Session): void {
  session.setPermissionRequestHandler((_contents, permission, callback, details) =>
    callback(allowsPermission(permission, details.requestingUrl, details.isMainFrame)),
  );
  session.setPermissionCheckHandler((_contents, permission, requestingOrigin, details) =>
    allowsPermission(permission, details.requestingUrl ?? requestingOrigin, details.isMainFrame),
  );
  session.setDevicePermissionHandler(() => false);
}

export interface AppWindowsOptions {
  readonly preloadPath: string;
  readonly isDev: boolean;
  readonly log: Log;
}

export class AppWindows {
  readonly #windows = new Set<BrowserWindow>();

  constructor(private readonly options: AppWindowsOptions) {}

  create(requested?: BrowserWindowConstructorOptions): BrowserWindow {
    const { preloadPath, isDev, log } = this.options;
    const window = new BrowserWindow(
      secureWindowOptions({ preloadPath, devTools: isDev, requested }),
    );
    this.#windows.add(window);
    window.on('closed', () => this.#windows.delete(window));
    confineToApp(window.webContents, log);
    window.once('ready-to-show', () => window.show());
    window
      .loadURL(APP_ENTRY_URL)
      .catch((error: unknown) => log(`tessera: could not load the app: ${String(error)}`));
    return window;
  }

  /** Live windows, oldest first. */
  all(): BrowserWindow[] {
    return [...this.#windows].filter((window) => !window.isDestroyed());
  }

  first(): BrowserWindow | undefined {
    return this.all()[0];
  }

  /** The top frames of our windows: the only frames whose IPC is answered. */
  mainFrames(): FrameLike[] {
    return this.all().map((window) => window.webContents.mainFrame);
  }
}
