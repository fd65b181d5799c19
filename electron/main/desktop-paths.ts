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

/** userData/<name>: the engine's data directory and the window state file live there. */
export const DATA_DIR_NAME = 'data';
