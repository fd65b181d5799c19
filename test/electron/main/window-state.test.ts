/** The remembered window bounds: parsed defensively, restored onto a display that exists. */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import {
  DEFAULT_WINDOW_SIZE,
  debounce,
  parseWindowState,
  restoreBounds,
  serializeWindowState,
  type Rect,
  type WindowState,
} from '../../../electron/main/window-state.js';
import { loadWindowState, saveWindowState } from '../../../electron/main/window-state-file.js';

const laptop: Rect = { x: 0, y: 25, width: 1440, height: 875 };
const rightMonitor: Rect = { x: 1440, y: 0, width: 2560, height: 1440 };
const state = (bounds: Rect, maximized = false): WindowState => ({ bounds, maximized });

describe('parseWindowState', () => {
  it('round-trips what serializeWindowState writes', () => {
    const saved = state({ x: -200, y: 40, width: 1000, height: 700 }, true);
    expect(parseWindowState(serializeWindowState(saved))).toEqual(saved);
  });

  it('returns null for a missing, corrupt or foreign file', () => {
    for (const text of [
      null,
      '',
      '{',
      '[]',
      'null',
      '{"bounds":null}',
      '{"bounds":{"x":0,"y":0,"width":"800","height":600}}',
      '{"bounds":{"x":0,"y":0,"width":0,"height":600}}',
      '{"bounds":{"x":1e9,"y":0,"width":800,"height":600}}',
      '{"bounds":{"x":0,"y":0,"width":800}}',
    ]) {
      expect(parseWindowState(text), String(text)).toBeNull();
    }
  });

  it('rounds fractional pixels and treats a missing maximized as false', () => {
    expect(parseWindowState('{"bounds":{"x":1.4,"y":2.6,"width":800,"height":600}}')).toEqual(
      state({ x: 1, y: 3, width: 800, height: 600 }),
    );
  });
});

describe('restoreBounds', () => {
  it('centres the default size when nothing was saved', () => {
    expect(restoreBounds(null, [laptop], laptop)).toEqual({
      ...DEFAULT_WINDOW_SIZE,
      maximized: false,
    });
  });

  it('keeps bounds that are fully on a display', () => {
    const bounds = { x: 1600, y: 100, width: 1200, height: 800 };
    expect(restoreBounds(state(bounds, true), [laptop, rightMonitor], laptop)).toEqual({
      ...bounds,
      maximized: true,
    });
  });

  it('centres on the primary display when the saved display is gone', () => {
    const onUnplugged = state({ x: 1600, y: 100, width: 2000, height: 1200 });
    const restored = restoreBounds(onUnplugged, [laptop], laptop);
    expect(restored.x).toBeUndefined();
    expect(restored.y).toBeUndefined();
    expect(restored).toMatchObject({ width: 1440, height: 875 });
  });

  it('pulls a window hanging off an edge back onto the display it overlaps most', () => {
    const hanging = state({ x: 1300, y: -50, width: 800, height: 600 });
    expect(restoreBounds(hanging, [laptop, rightMonitor], laptop)).toEqual({
      x: 1440,
      y: 0,
      width: 800,
      height: 600,
      maximized: false,
    });
    const offLeft = state({ x: -700, y: 500, width: 800, height: 600 });
    expect(restoreBounds(offLeft, [laptop], laptop)).toMatchObject({ x: 0, y: 300 });
  });

  it('shrinks a window larger than its display', () => {
    const huge = state({ x: 0, y: 25, width: 3000, height: 2000 });
    expect(restoreBounds(huge, [laptop], laptop)).toEqual({
      x: 0,
      y: 25,
      width: 1440,
      height: 875,
      maximized: false,
    });
  });
});

describe('window state file', () => {
  it('saves atomically and loads back; a bad file loads as null', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'tessera-window-'));
    try {
      const file = path.join(dir, 'nested', 'window-state.json');
      expect(loadWindowState(file)).toBeNull();
      const saved = state({ x: 10, y: 20, width: 900, height: 650 });
      await saveWindowState(file, saved);
      expect(loadWindowState(file)).toEqual(saved);
      expect(JSON.parse(await readFile(file, 'utf8'))).toEqual(saved);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('debounce', () => {
  it('runs once after the events settle, and flush runs a pending call now', () => {
    vi.useFakeTimers();
    try {
      const run = vi.fn();
      const save = debounce(run, 500);
      save();
      save();
      vi.advanceTimersByTime(499);
      save();
      vi.advanceTimersByTime(499);
      expect(run).not.toHaveBeenCalled();
      vi.advanceTimersByTime(1);
      expect(run).toHaveBeenCalledTimes(1);
      save();
      save.flush();
      expect(run).toHaveBeenCalledTimes(2);
      save.flush();
      vi.advanceTimersByTime(1000);
      expect(run).toHaveBeenCalledTimes(2);
      save();
      save.cancel();
      vi.advanceTimersByTime(1000);
      expect(run).toHaveBeenCalledTimes(2);
    } finally {
      vi.useRealTimers();
    }
  });
});
