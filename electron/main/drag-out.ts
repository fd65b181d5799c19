/**
 * Drag-out to the operating system's file manager. A native drag needs finished files when it
 * starts, so the renderer first restores what is to be dragged into a fresh folder under the
 * staging folder (`<dataDir>/drag-staging`, AppInfo.stagingDir) with an ordinary restore job;
 * once that job is done, dragging the row sends the staged paths on START_DRAG_CHANNEL and
 * the main process hands them to webContents.startDrag. The file manager then copies or moves
 * them where they are dropped ("restore into a temporary folder, then move").
 *
 * The page names the paths, so every one is checked here first: sent by our own window's top
 * frame, absolute, strictly inside the staging folder once resolved (no `..`), existing, a
 * file or folder, and reached through no symbolic link (its real path is the same place
 * inside the staging folder's real path). Anything else starts no drag.
 *
 * What is staged is removed when it is a day old (at start and hourly, as the tray keeps the
 * app running for weeks) and when the app quits, so the staging folder never grows unbounded.
 * Electron-free: main.ts wires it to ipcMain and webContents.startDrag.
 */
import { realpathSync, statSync } from 'node:fs';
import { lstat, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { START_DRAG_CHANNEL } from '../preload/channels.js';
import type { SenderVerdict } from './sender-check.js';

/** As many paths as one drag takes (the preload sends no more either). */
export const MAX_DRAG_PATHS = 64;
const MAX_PATH_LENGTH = 4096;

/** What is staged goes when it is this old. */
export const STAGING_MAX_AGE_MS = 24 * 60 * 60 * 1000;
/** How often a running app looks for stale staged folders. */
export const STAGING_PRUNE_INTERVAL_MS = 60 * 60 * 1000;

/** webContents.startDrag's item without its icon: `files` (when given) overrides `file`. */
export interface DragItem {
  readonly file: string;
  readonly files?: string[];
}

export type DragVerdict =
  { readonly ok: true; readonly item: DragItem } | { readonly ok: false; readonly reason: string };

export interface DragCheckOptions {
  /** Compare paths ignoring case (Windows and macOS file systems usually do). */
  readonly caseInsensitive?: boolean;
}

/** `target` relative to `root`, or null when it is not strictly inside it. */
function inside(root: string, target: string): string | null {
  const relative = path.relative(root, target);
  if (relative === '' || path.isAbsolute(relative)) return null;
  if (relative === '..' || relative.startsWith(`..${path.sep}`)) return null;
  return relative;
}

function errorCode(error: unknown): string {
  return (error as NodeJS.ErrnoException | null)?.code ?? String(error);
}

/**
 * Checks the paths a page asked to drag against the staging folder and makes the drag item:
 * one path is `file`; several are `files` (with the first as `file`, which Electron requires).
 * Synchronous on purpose: startDrag must follow the page's dragstart without delay.
 */
export function dragItemFor(
  paths: unknown,
  stagingRoot: string,
  options: DragCheckOptions = {},
): DragVerdict {
  const caseInsensitive =
    options.caseInsensitive ?? (process.platform === 'win32' || process.platform === 'darwin');
  const same = (a: string, b: string) =>
    caseInsensitive ? a.toLowerCase() === b.toLowerCase() : a === b;

  if (!Array.isArray(paths)) return { ok: false, reason: 'the paths are not a list' };
  if (paths.length === 0) return { ok: false, reason: 'there is nothing to drag' };
  if (paths.length > MAX_DRAG_PATHS) {
    return { ok: false, reason: `more than ${MAX_DRAG_PATHS} paths to drag` };
  }
  const root = path.resolve(stagingRoot);
  let realRoot: string;
  try {
    realRoot = realpathSync(root);
  } catch (error) {
    return { ok: false, reason: `the staging folder ${root} is not there (${errorCode(error)})` };
  }

  const checked: string[] = [];
  for (const candidate of paths as unknown[]) {
    if (
      typeof candidate !== 'string' ||
      candidate.length === 0 ||
      candidate.length > MAX_PATH_LENGTH ||
      candidate.includes('\0')
    ) {
      return { ok: false, reason: 'a path is not a plain string' };
    }
    if (!path.isAbsolute(candidate)) {
      return { ok: false, reason: `${candidate} is not an absolute path` };
    }
    const resolved = path.resolve(candidate);
    const relative = inside(root, resolved);
    if (relative === null) {
      return { ok: false, reason: `${candidate} is not inside the staging folder ${root}` };
    }
    let real: string;
    try {
      real = realpathSync(resolved);
    } catch (error) {
      return { ok: false, reason: `${candidate} cannot be dragged (${errorCode(error)})` };
    }
    // A link anywhere below the staging folder (the path itself or a folder on the way) makes
    // the real path differ from the path as named: refused, wherever the link leads.
    const realRelative = inside(realRoot, real);
    if (realRelative === null || !same(realRelative, relative)) {
      return { ok: false, reason: `${candidate} leads outside the staging folder through a link` };
    }
    const stats = statSync(real, { throwIfNoEntry: false });
    if (!stats || (!stats.isFile() && !stats.isDirectory())) {
      return { ok: false, reason: `${candidate} is not a file or a folder` };
    }
    if (!checked.some((earlier) => same(earlier, resolved))) checked.push(resolved);
  }
  const [file] = checked as [string, ...string[]];
  return { ok: true, item: checked.length === 1 ? { file } : { file, files: checked } };
}

// --- the channel ------------------------------------------------------------------------------

/** The part of Electron's ipcMain used here (`Event` is IpcMainEvent in the app). */
export interface IpcMainOnLike<Event> {
  on(channel: string, listener: (event: Event, ...args: unknown[]) => void): unknown;
  removeListener(channel: string, listener: (event: Event, ...args: unknown[]) => void): unknown;
}

export interface StartDragBindingOptions<Event> {
  readonly ipc: IpcMainOnLike<Event>;
  /** checkSender over our windows, exactly as for the API channels. */
  readonly authorize: (event: Event) => SenderVerdict;
  /** The staging folder; null while there is none (before the service is open, while quitting). */
  readonly stagingRoot: () => string | null;
  /** event.sender.startDrag with the icon added. */
  readonly startDrag: (event: Event, item: DragItem) => void;
  readonly log?: (message: string) => void;
  readonly check?: DragCheckOptions;
}

/** Listens on START_DRAG_CHANNEL; returns a function that stops listening. */
export function bindStartDrag<Event>(options: StartDragBindingOptions<Event>): () => void {
  const log = options.log ?? ((message: string) => console.warn(message));
  const listener = (event: Event, paths: unknown) => {
    const verdict = options.authorize(event);
    if (!verdict.trusted) {
      log(`tessera: refused IPC on ${START_DRAG_CHANNEL}: ${verdict.reason}`);
      return;
    }
    const root = options.stagingRoot();
    if (root === null) {
      log(`tessera: no drag: Tessera is not running`);
      return;
    }
    const checked = dragItemFor(paths, root, options.check);
    if (!checked.ok) {
      log(`tessera: no drag: ${checked.reason}`);
      return;
    }
    try {
      options.startDrag(event, checked.item);
    } catch (error) {
      log(`tessera: the drag did not start: ${String(error)}`);
    }
  };
  const typed = listener as (event: Event, ...args: unknown[]) => void;
  options.ipc.on(START_DRAG_CHANNEL, typed);
  return () => void options.ipc.removeListener(START_DRAG_CHANNEL, typed);
}

// --- cleaning up --------------------------------------------------------------------------------

export interface PruneOptions {
  /** Unix milliseconds (default Date.now()). */
  readonly now?: number;
  readonly maxAgeMs?: number;
  readonly log?: (message: string) => void;
}

/**
 * Removes what the staging folder holds that was last changed more than `maxAgeMs` ago (a
 * link is removed itself, never followed). A missing staging folder holds nothing. Best
 * effort: an entry that cannot be removed (a file still open on Windows) is logged and left
 * for the next time. Returns the names removed.
 */
export async function pruneStaging(root: string, options: PruneOptions = {}): Promise<string[]> {
  const now = options.now ?? Date.now();
  const maxAgeMs = options.maxAgeMs ?? STAGING_MAX_AGE_MS;
  const log = options.log ?? ((message: string) => console.warn(message));
  let names: string[];
  try {
    names = await readdir(root);
  } catch (error) {
    if (errorCode(error) !== 'ENOENT') log(`tessera: cannot read ${root}: ${String(error)}`);
    return [];
  }
  const removed: string[] = [];
  for (const name of names.sort()) {
    const entry = path.join(root, name);
    try {
      const stats = await lstat(entry);
      if (now - stats.mtimeMs <= maxAgeMs) continue;
      await rm(entry, { recursive: true, force: true });
      removed.push(name);
    } catch (error) {
      log(`tessera: could not remove the staged ${entry}: ${String(error)}`);
    }
  }
  return removed;
}

/** Removes the staging folder and all it holds (at quit). Best effort, never throws. */
export async function clearStaging(
  root: string,
  log: (message: string) => void = (message) => console.warn(message),
): Promise<void> {
  try {
    await rm(root, { recursive: true, force: true });
  } catch (error) {
    log(`tessera: could not remove the staging folder ${root}: ${String(error)}`);
  }
}
