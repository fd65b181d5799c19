/**
 * The main window's size and position, remembered across runs in a small JSON file. What is
 * read back is checked, and restored onto a display that exists now: a window saved on a
 * monitor that has since been unplugged must not open off-screen where the user cannot reach it.
 */

export interface Rect {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

export interface WindowState {
  readonly bounds: Rect;
  readonly maximized: boolean;
}

/** Where to open the window: no x/y means "let Electron centre it". */
export interface RestoredBounds {
  readonly x?: number;
  readonly y?: number;
  readonly width: number;
  readonly height: number;
  readonly maximized: boolean;
}

export const WINDOW_STATE_FILE = 'window-state.json';
export const DEFAULT_WINDOW_SIZE = { width: 1200, height: 800 } as const;
const MIN_SIZE = { width: 400, height: 300 } as const;
/** Larger than any real desktop: a bigger number is a corrupt file, not a window. */
const MAX_COORDINATE = 100_000;

function finiteInt(value: unknown, min: number, max: number): number | null {
  return typeof value === 'number' && Number.isFinite(value) && value >= min && value <= max
    ? Math.round(value)
    : null;
}

/** The saved state, or null when the file is missing, corrupt or from another shape. */
export function parseWindowState(text: string | null | undefined): WindowState | null {
  if (!text) return null;
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof data !== 'object' || data === null) return null;
  const record = data as Record<string, unknown>;
  const bounds = record['bounds'];
  if (typeof bounds !== 'object' || bounds === null) return null;
  const b = bounds as Record<string, unknown>;
  const x = finiteInt(b['x'], -MAX_COORDINATE, MAX_COORDINATE);
  const y = finiteInt(b['y'], -MAX_COORDINATE, MAX_COORDINATE);
  const width = finiteInt(b['width'], 1, MAX_COORDINATE);
  const height = finiteInt(b['height'], 1, MAX_COORDINATE);
  if (x === null || y === null || width === null || height === null) return null;
  return { bounds: { x, y, width, height }, maximized: record['maximized'] === true };
}

export function serializeWindowState(state: WindowState): string {
  const { x, y, width, height } = state.bounds;
  return `${JSON.stringify({ bounds: { x, y, width, height }, maximized: state.maximized }, null, 2)}\n`;
}

function intersectionArea(a: Rect, b: Rect): number {
  const width = Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x);
  const height = Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y);
  return width > 0 && height > 0 ? width * height : 0;
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(Math.max(value, min), Math.max(min, max));
}

/**
 * Fits the saved bounds onto the display they overlap most (each display's work area, i.e.
 * without task bar or menu bar), shrinking the window if that display got smaller. When they
 * overlap no display, or nothing was saved, the window gets the default size, centred.
 */
export function restoreBounds(
  saved: WindowState | null,
  workAreas: readonly Rect[],
  primaryWorkArea: Rect,
): RestoredBounds {
  const fit = (width: number, height: number, area: Rect) => ({
    width: clamp(width, Math.min(MIN_SIZE.width, area.width), area.width),
    height: clamp(height, Math.min(MIN_SIZE.height, area.height), area.height),
  });
  if (!saved) {
    return {
      ...fit(DEFAULT_WINDOW_SIZE.width, DEFAULT_WINDOW_SIZE.height, primaryWorkArea),
      maximized: false,
    };
  }
  let best: Rect | null = null;
  let bestArea = 0;
  for (const area of workAreas) {
    const overlap = intersectionArea(saved.bounds, area);
    if (overlap > bestArea) {
      best = area;
      bestArea = overlap;
    }
  }
  if (!best) {
    return {
      ...fit(saved.bounds.width, saved.bounds.height, primaryWorkArea),
      maximized: saved.maximized,
    };
  }
  const size = fit(saved.bounds.width, saved.bounds.height, best);
  return {
    x: clamp(saved.bounds.x, best.x, best.x + best.width - size.width),
    y: clamp(saved.bounds.y, best.y, best.y + best.height - size.height),
    ...size,
    maximized: saved.maximized,
  };
}

export interface Timers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface Debounced {
  (): void;
  /** Runs a pending call now (on close, so the last move is not lost). */
  flush(): void;
  cancel(): void;
}

/** Moving or resizing fires dozens of events a second; the file is written once it settles. */
export function debounce(
  run: () => void,
  ms: number,
  timers: Timers = globalThis as Timers,
): Debounced {
  let handle: unknown = null;
  const cancel = () => {
    if (handle !== null) timers.clearTimeout(handle);
    handle = null;
  };
  const debounced = (() => {
    cancel();
    handle = timers.setTimeout(() => {
      handle = null;
      run();
    }, ms);
  }) as Debounced;
  debounced.flush = () => {
    if (handle === null) return;
    cancel();
    run();
  };
  debounced.cancel = cancel;
  return debounced;
}
