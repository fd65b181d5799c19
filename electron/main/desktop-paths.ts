/**
 * Where the desktop app's built pieces are, relative to the compiled main module
 * (out/electron/main/main.js): the bundled preload in out/desktop/ and the Vite build of the
 * renderer in out/renderer/. Derived from import.meta.url, so it holds inside an asar archive
 * as well as in a checkout.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export interface DesktopPaths {
  readonly preload: string;
  readonly renderer: string;
}

export function desktopPaths(mainModuleUrl: string): DesktopPaths {
  // out/electron/main/ → out/
  const outDir = path.resolve(path.dirname(fileURLToPath(mainModuleUrl)), '..', '..');
  return {
    preload: path.join(outDir, 'desktop', 'preload.cjs'),
    renderer: path.join(outDir, 'renderer'),
  };
}

/**
 * The folder under the OS's per-user application data (~/.config, %APPDATA%, ~/Library/
 * Application Support). Set explicitly: otherwise a development run (package.json has no
 * productName, so "tessera") and the packaged app ("Tessera") would keep different data.
 */
export const USER_DATA_NAME = 'Tessera';

/**
 * The engine's data directory: userData/data, unless TESSERA_DATA names one (as it does for
 * the CLI), so the app and `tessera` commands can share a data directory on purpose.
 */
export function dataDirFor(userData: string, env: NodeJS.ProcessEnv = process.env): string {
  const override = env['TESSERA_DATA'];
  return override ? path.resolve(override) : path.join(userData, 'data');
}
