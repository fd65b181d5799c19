/**
 * Quitting with backups running: Electron would tear the process down under the engine, so a
 * job's catalog rows and its storage unit writes could be cut mid-way (the next start would
 * mark it interrupted). Instead the first quit is held back, the service closes (cancelling
 * running jobs cleanly and closing the catalog), and only then does the app exit.
 */

export interface QuitGuardOptions {
  /** service.close(): cancels jobs and waits for them. */
  readonly close: () => Promise<void>;
  /** app.exit: leaves without emitting before-quit again. */
  readonly exit: (code: number) => void;
  /** How long jobs get to stop before the app leaves anyway (the catalog survives a kill). */
  readonly timeoutMs?: number;
  readonly log?: (message: string, error?: unknown) => void;
  readonly timers?: {
    setTimeout(callback: () => void, ms: number): unknown;
    clearTimeout(handle: unknown): void;
  };
}

export interface QuitGuard {
  /** The before-quit listener. */
  onBeforeQuit(event: { preventDefault(): void }): void;
  readonly closing: boolean;
}

export const DEFAULT_QUIT_TIMEOUT_MS = 15_000;

export function createQuitGuard(options: QuitGuardOptions): QuitGuard {
  const timers = options.timers ?? {
    setTimeout: (callback: () => void, ms: number) => setTimeout(callback, ms),
    clearTimeout: (handle: unknown) => clearTimeout(handle as NodeJS.Timeout),
  };
  const log =
    options.log ?? ((message: string, error?: unknown) => console.error(message, error ?? ''));
  let closing = false;
  let exited = false;
  const exitOnce = (code: number) => {
    if (exited) return;
    exited = true;
    options.exit(code);
  };
  return {
    get closing() {
      return closing;
    },
    onBeforeQuit(event) {
      // Every quit request is held until the service has closed; only app.exit ends the app.
      event.preventDefault();
      if (closing) return;
      closing = true;
      const timeout = timers.setTimeout(() => {
        log('tessera: jobs did not stop in time; quitting anyway');
        exitOnce(1);
      }, options.timeoutMs ?? DEFAULT_QUIT_TIMEOUT_MS);
      options.close().then(
        () => {
          timers.clearTimeout(timeout);
          exitOnce(0);
        },
        (error: unknown) => {
          timers.clearTimeout(timeout);
          log('tessera: closing the service failed', error);
          exitOnce(1);
        },
      );
    },
  };
}

/**
 * Whether closing the last window quits. On macOS apps stay in the dock. Elsewhere, while the
 * tray icon is there, Tessera keeps running so scheduled backups still happen; it quits from
 * the tray or the File menu.
 */
export function quitsWhenAllWindowsClosed(platform: NodeJS.Platform, hasTray: boolean): boolean {
  return platform !== 'darwin' && !hasTray;
}
