/**
 * Putting restored files in place all together. Every file is first written complete under a
 * temporary name beside its target; only then are they renamed into place, one by one. A
 * target that exists (an overwrite) is first renamed aside, and deleted only once every new
 * file is in place. If a rename fails half-way, the files already swapped are swapped back, so
 * the targets are as they were; if even that fails, the error says where each file is.
 * Renames within one folder are atomic on every file system Tessera supports, so a target is
 * always either the whole old file or the whole new one.
 */
import { randomBytes } from 'node:crypto';
import { rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { TesseraError } from '../../../shared/errors.js';

export interface Swap {
  /** The complete new file, under its temporary name. */
  readonly temp: string;
  readonly target: string;
}

export interface SwapResult {
  /** Targets that existed and were replaced. */
  readonly replaced: readonly string[];
  /** Old files that could not be deleted after the swap (named for the user to delete). */
  readonly leftovers: readonly string[];
}

/** File operations, replaceable so tests can make one fail. */
export interface SwapOps {
  rename(from: string, to: string): Promise<void>;
  remove(file: string): Promise<void>;
  exists(file: string): Promise<boolean>;
}

export const fileOps: SwapOps = {
  rename: (from, to) => rename(from, to),
  remove: (file) => rm(file, { force: true }),
  exists: (file) =>
    stat(file).then(
      () => true,
      () => false,
    ),
};

/** A hidden name beside `target` for a file on its way in (`kind` restoring) or out (replaced). */
export function besideName(target: string, kind: 'restoring' | 'replaced'): string {
  const suffix = randomBytes(4).toString('hex');
  return path.join(path.dirname(target), `.${path.basename(target)}.${kind}-${suffix}`);
}

interface Done {
  readonly swap: Swap;
  /** Where the old target was moved; null when there was none. */
  readonly old: string | null;
}

export async function commitSwaps(
  swaps: readonly Swap[],
  ops: SwapOps = fileOps,
): Promise<SwapResult> {
  const done: Done[] = [];
  for (const swap of swaps) {
    let old: string | null = null;
    try {
      if (await ops.exists(swap.target)) {
        old = besideName(swap.target, 'replaced');
        await ops.rename(swap.target, old);
      }
      await ops.rename(swap.temp, swap.target);
      done.push({ swap, old });
    } catch (error) {
      const stuck: string[] = [];
      // This swap: put its old file back if it was moved aside.
      if (old !== null && !(await tryRename(ops, old, swap.target))) {
        stuck.push(`${swap.target}: the old file is at ${old}, the new one at ${swap.temp}`);
      }
      // The swaps before it: new file out, old file back.
      for (const earlier of [...done].reverse()) stuck.push(...(await undo(ops, earlier)));
      for (const s of swaps) await ops.remove(s.temp).catch(() => undefined);
      throw swapFailure(swap.target, error, stuck);
    }
  }
  const leftovers: string[] = [];
  for (const { old } of done) {
    if (old !== null) await ops.remove(old).catch(() => leftovers.push(old));
  }
  return {
    replaced: done.filter((d) => d.old !== null).map((d) => d.swap.target),
    leftovers,
  };
}

/** Swaps one done swap back; returns what could not be put back, in words. */
async function undo(ops: SwapOps, { swap, old }: Done): Promise<string[]> {
  if (!(await tryRename(ops, swap.target, swap.temp))) {
    return [
      old === null
        ? `${swap.target}: the new file stayed in place`
        : `${swap.target}: the new file stayed in place; the old one is at ${old}`,
    ];
  }
  if (old !== null && !(await tryRename(ops, old, swap.target))) {
    return [`${swap.target}: the old file is at ${old} (rename it back)`];
  }
  return [];
}

async function tryRename(ops: SwapOps, from: string, to: string): Promise<boolean> {
  return ops.rename(from, to).then(
    () => true,
    () => false,
  );
}

function swapFailure(target: string, error: unknown, stuck: readonly string[]): TesseraError {
  const reason = error instanceof Error ? error.message : String(error);
  if (stuck.length === 0) {
    return new TesseraError(
      'DISK_IO',
      `could not put ${target} in place (${reason}); every file is back as it was before the restore`,
      { cause: error },
    );
  }
  return new TesseraError(
    'DISK_IO',
    `could not put ${target} in place (${reason}), and not every file could be put back: ${stuck.join('; ')}`,
    { cause: error },
  );
}
