/**
 * Drag-out's Electron-free half: which paths a page may have dragged to the file manager (only
 * existing files and folders strictly inside the staging folder, reached through no link),
 * the drag item made of them, the channel refusing foreign senders before looking at the
 * paths, and the staging folder's clean-up by age.
 */
import { existsSync } from 'node:fs';
import { mkdir, symlink, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  MAX_DRAG_PATHS,
  STAGING_MAX_AGE_MS,
  bindStartDrag,
  clearStaging,
  dragItemFor,
  pruneStaging,
  type DragItem,
} from '../../../electron/main/drag-out.js';
import type { SenderVerdict } from '../../../electron/main/sender-check.js';
import { START_DRAG_CHANNEL } from '../../../electron/preload/channels.js';
import { scratchDir } from '../../helpers/scratch.js';

let root: string;
let cleanup: () => Promise<void>;
/** <root>/data/drag-staging, holding job-1/{disk0.vhdx, web01/web01.xml} */
let staging: string;
let disk: string;
let vmFolder: string;
/** Outside the staging folder, beside it. */
let secret: string;

beforeAll(async () => {
  ({ dir: root, cleanup } = await scratchDir('tessera-drag-out-'));
  staging = path.join(root, 'data', 'drag-staging');
  vmFolder = path.join(staging, 'job-1', 'web01');
  await mkdir(vmFolder, { recursive: true });
  disk = path.join(staging, 'job-1', 'disk0.vhdx');
  await writeFile(disk, 'disk');
  await writeFile(path.join(vmFolder, 'web01.xml'), '<domain/>');
  secret = path.join(root, 'data', 'tessera.conf');
  await writeFile(secret, 'secret');
});
afterAll(() => cleanup());

const reasonOf = (paths: unknown, stagingRoot = staging) => {
  const verdict = dragItemFor(paths, stagingRoot, { caseInsensitive: false });
  if (verdict.ok) throw new Error(`expected a refusal, got ${JSON.stringify(verdict.item)}`);
  return verdict.reason;
};

describe('dragItemFor', () => {
  it('drags one staged file as `file`, and several as `files` after the first as `file`', () => {
    expect(dragItemFor([disk], staging)).toEqual({ ok: true, item: { file: disk } });
    expect(dragItemFor([vmFolder], staging)).toEqual({ ok: true, item: { file: vmFolder } });
    expect(dragItemFor([disk, vmFolder, disk], staging)).toEqual({
      ok: true,
      item: { file: disk, files: [disk, vmFolder] },
    });
  });

  it('takes a path with `.` or `..` that stays inside, as the path it resolves to', () => {
    const winding = path.join(staging, 'job-1', 'web01', '..', '.', 'disk0.vhdx');
    expect(dragItemFor([winding], staging)).toEqual({ ok: true, item: { file: disk } });
  });

  it('refuses an empty list, a list too long, and what is not a list of strings', () => {
    expect(reasonOf([])).toMatch(/nothing to drag/);
    expect(reasonOf(Array.from({ length: MAX_DRAG_PATHS + 1 }, () => disk))).toMatch(/more than/);
    expect(reasonOf(disk)).toMatch(/not a list/);
    expect(reasonOf(null)).toMatch(/not a list/);
    for (const bad of [[42], [''], [{ path: disk }], [`${disk}\0.txt`], ['x'.repeat(5000)]]) {
      expect(reasonOf(bad), JSON.stringify(bad).slice(0, 40)).toMatch(/not a plain string/);
    }
  });

  it('refuses relative paths, the staging folder itself and anything outside it', () => {
    expect(reasonOf(['job-1/disk0.vhdx'])).toMatch(/not an absolute path/);
    expect(reasonOf([staging])).toMatch(/not inside the staging folder/);
    expect(reasonOf([secret])).toMatch(/not inside the staging folder/);
    expect(reasonOf([path.join(staging, '..', 'tessera.conf')])).toMatch(/not inside/);
    expect(reasonOf([path.join(staging, 'job-1', '..', '..', '..', 'data')])).toMatch(/not inside/);
    // One bad path spoils the drag: nothing is dragged half.
    expect(reasonOf([disk, secret])).toMatch(/not inside/);
    // A sibling whose name merely starts like the staging folder is outside it.
    expect(reasonOf([`${staging}-evil${path.sep}x`])).toMatch(/not inside/);
  });

  it('refuses a missing file, and any path while the staging folder is missing', () => {
    expect(reasonOf([path.join(staging, 'job-1', 'gone.vhdx')])).toMatch(/ENOENT/);
    expect(reasonOf([disk], path.join(root, 'nowhere'))).toMatch(/staging folder .* not there/);
  });

  it.skipIf(process.platform === 'win32')('refuses links, wherever they lead', async () => {
    const outward = path.join(staging, 'job-1', 'outward.vhdx');
    await symlink(secret, outward);
    expect(reasonOf([outward])).toMatch(/through a link/);
    const outwardFolder = path.join(staging, 'job-2');
    await symlink(path.join(root, 'data'), outwardFolder);
    expect(reasonOf([path.join(outwardFolder, 'tessera.conf')])).toMatch(/through a link/);
    const inward = path.join(staging, 'job-1', 'inward.vhdx');
    await symlink(disk, inward);
    expect(reasonOf([inward])).toMatch(/through a link/);
  });

  it.skipIf(process.platform === 'win32')('follows a link above the staging folder', async () => {
    // The data directory itself may sit behind a link (macOS /var → /private/var).
    const linkedData = path.join(root, 'linked-data');
    await symlink(path.join(root, 'data'), linkedData);
    const linkedStaging = path.join(linkedData, 'drag-staging');
    const linkedDisk = path.join(linkedStaging, 'job-1', 'disk0.vhdx');
    expect(dragItemFor([linkedDisk], linkedStaging)).toEqual({
      ok: true,
      item: { file: linkedDisk },
    });
  });

  it.skipIf(process.platform === 'win32')('refuses what is neither file nor folder', async () => {
    const { execFileSync } = await import('node:child_process');
    const fifo = path.join(staging, 'job-1', 'pipe');
    try {
      execFileSync('mkfifo', [fifo]);
    } catch {
      return; // no mkfifo here
    }
    expect(reasonOf([fifo])).toMatch(/not a file or a folder/);
  });
});

describe('bindStartDrag', () => {
  interface Event {
    readonly trusted: boolean;
  }
  type Listener = (event: Event, ...args: unknown[]) => void;

  function bind(options: { stagingRoot?: string | null; startDrag?: () => void } = {}) {
    const listeners = new Map<string, Listener>();
    const ipc = {
      on: vi.fn((channel: string, listener: Listener) => listeners.set(channel, listener)),
      removeListener: vi.fn((channel: string, listener: Listener) => {
        if (listeners.get(channel) === listener) listeners.delete(channel);
      }),
    };
    const authorize = vi.fn((event: Event): SenderVerdict =>
      event.trusted ? { trusted: true } : { trusted: false, reason: 'sent from a subframe' },
    );
    const drags: [Event, DragItem][] = [];
    const log = vi.fn<(message: string) => void>();
    const unbind = bindStartDrag<Event>({
      ipc,
      authorize,
      stagingRoot: () => (options.stagingRoot === undefined ? staging : options.stagingRoot),
      startDrag: options.startDrag ?? ((event, item) => drags.push([event, item])),
      log,
      check: { caseInsensitive: false },
    });
    const send = (event: Event, ...args: unknown[]) =>
      listeners.get(START_DRAG_CHANNEL)?.(event, ...args);
    return { listeners, authorize, drags, log, unbind, send };
  }

  it('starts the drag for a trusted sender with the checked item', () => {
    const { drags, send, log } = bind();
    const ours = { trusted: true };
    send(ours, [disk, vmFolder]);
    expect(drags).toEqual([[ours, { file: disk, files: [disk, vmFolder] }]]);
    expect(log).not.toHaveBeenCalled();
  });

  it('refuses a foreign sender before looking at the paths', () => {
    const { drags, send, log } = bind();
    const paths = {
      get length(): number {
        throw new Error('the paths were looked at');
      },
    };
    send({ trusted: false }, paths);
    send({ trusted: false }, [disk]);
    expect(drags).toEqual([]);
    expect(log).toHaveBeenCalledWith(
      `tessera: refused IPC on ${START_DRAG_CHANNEL}: sent from a subframe`,
    );
  });

  it('starts no drag for bad paths, before the service is open, or when startDrag throws', () => {
    const refused = bind();
    refused.send({ trusted: true }, [secret]);
    refused.send({ trusted: true });
    expect(refused.drags).toEqual([]);
    expect(refused.log).toHaveBeenCalledWith(
      expect.stringMatching(/^tessera: no drag: .*not inside/),
    );
    expect(refused.log).toHaveBeenCalledWith('tessera: no drag: the paths are not a list');

    const closed = bind({ stagingRoot: null });
    closed.send({ trusted: true }, [disk]);
    expect(closed.drags).toEqual([]);

    const failing = bind({
      startDrag: () => {
        throw new Error('no drag in progress');
      },
    });
    expect(() => failing.send({ trusted: true }, [disk])).not.toThrow();
    expect(failing.log).toHaveBeenCalledWith(expect.stringMatching(/no drag in progress/));
  });

  it('unbinds', () => {
    const { listeners, unbind } = bind();
    expect(listeners.has(START_DRAG_CHANNEL)).toBe(true);
    unbind();
    expect(listeners.has(START_DRAG_CHANNEL)).toBe(false);
  });
});

describe('staging clean-up', () => {
  const DAY = STAGING_MAX_AGE_MS;

  async function stage(dir: string, name: string, ageMs: number, now: number): Promise<void> {
    const entry = path.join(dir, name);
    await mkdir(path.join(entry, 'web01'), { recursive: true });
    await writeFile(path.join(entry, 'web01', 'disk0.vhdx'), name);
    const at = new Date(now - ageMs);
    await utimes(entry, at, at);
  }

  it('removes what is over a day old and keeps what is fresh', async () => {
    const dir = path.join(root, 'prune');
    const now = Date.now();
    await stage(dir, 'two-days', 2 * DAY, now);
    await stage(dir, 'a-day-and-a-minute', DAY + 60_000, now);
    await stage(dir, 'an-hour', 3600_000, now);
    await stage(dir, 'just-now', 0, now);
    await writeFile(path.join(dir, 'stray-file'), 'x');
    await utimes(path.join(dir, 'stray-file'), new Date(now - 3 * DAY), new Date(now - 3 * DAY));

    expect(await pruneStaging(dir, { now })).toEqual([
      'a-day-and-a-minute',
      'stray-file',
      'two-days',
    ]);
    expect(existsSync(path.join(dir, 'an-hour', 'web01', 'disk0.vhdx'))).toBe(true);
    expect(existsSync(path.join(dir, 'just-now'))).toBe(true);
    expect(existsSync(path.join(dir, 'two-days'))).toBe(false);
    // A shorter age, as a test or a later policy may ask.
    expect(await pruneStaging(dir, { now, maxAgeMs: 60_000 })).toEqual(['an-hour']);
  });

  it.skipIf(process.platform === 'win32')(
    'removes an old link, never what it points to',
    async () => {
      const dir = path.join(root, 'prune-link');
      await mkdir(dir, { recursive: true });
      const kept = path.join(root, 'kept-by-link');
      await mkdir(kept, { recursive: true });
      await writeFile(path.join(kept, 'precious'), 'x');
      const link = path.join(dir, 'link');
      await symlink(kept, link);
      expect(await pruneStaging(dir, { now: Date.now() + 2 * DAY })).toEqual(['link']);
      expect(existsSync(path.join(kept, 'precious'))).toBe(true);
    },
  );

  it('finds nothing to do in a staging folder that was never made', async () => {
    const log = vi.fn();
    expect(await pruneStaging(path.join(root, 'never'), { log })).toEqual([]);
    expect(log).not.toHaveBeenCalled();
  });

  it('clears the whole staging folder at quit, and a missing one quietly', async () => {
    const dir = path.join(root, 'clear');
    await stage(dir, 'just-now', 0, Date.now());
    const log = vi.fn();
    await clearStaging(dir, log);
    expect(existsSync(dir)).toBe(false);
    await clearStaging(dir, log);
    expect(log).not.toHaveBeenCalled();
  });
});
