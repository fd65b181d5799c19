/**
 * Whole-VM restore: carries out a restore plan (restore-plan.ts).
 *
 * 1. The plan is made (or re-checked) first: nothing is written for a restore it refuses.
 * 2. Every disk is restored through restoreImage's verified block path (each block checked
 *    against its digest) into a hidden temporary name beside its target; the configuration is
 *    written the same way.
 * 3. Only when all of them are complete are they renamed into place together (swap.ts); an
 *    overwritten file is kept aside until then. A failure before that point removes the
 *    temporary files and the folders the restore made, so no half-written target is left;
 *    a failure during the swap puts the old files back, or says exactly where each file is.
 */
import { mkdir, open, rm, rmdir } from 'node:fs/promises';
import path from 'node:path';
import { TesseraError } from '../../../shared/errors.js';
import type { RestorePlan, RestoredVmDisk, VmRestoreResult } from '../../../shared/restore.js';
import { fsyncDirectory } from '../store/fs-durable.js';
import { inUseReasons } from './in-use.js';
import { restoreImage, type RestoreProgress } from './restore-image.js';
import { prepareRestore, type PreparedRestore, type RestoreContext } from './restore-plan.js';
import { besideName, commitSwaps, fileOps, type Swap, type SwapOps } from './swap.js';
import { pathState } from './target-checks.js';

export interface RestoreRunOptions {
  readonly signal?: AbortSignal;
  readonly onProgress?: (progress: RestoreProgress) => void;
  /** Lines for the job log. */
  readonly onLog?: (level: 'info' | 'warning', message: string) => void;
  /** Restore hosts (worker threads); default one per core. */
  readonly hosts?: number;
  /** File operations of the final swap (tests make them fail). */
  readonly swapOps?: SwapOps;
}

/** Plans and carries out a whole-VM restore. */
export async function restoreVm(
  context: RestoreContext,
  request: unknown,
  options: RestoreRunOptions = {},
): Promise<VmRestoreResult> {
  return runPreparedRestore(context, await prepareRestore(context, request), options);
}

/** Carries out a plan made by prepareRestore (the service plans first, then starts a job). */
export async function runPreparedRestore(
  context: RestoreContext,
  prepared: PreparedRestore,
  options: RestoreRunOptions = {},
): Promise<VmRestoreResult> {
  const { plan } = prepared;
  await recheck(context, prepared);
  const log = options.onLog ?? (() => undefined);
  const toWrite = plan.files.filter((f) => f.action !== 'keep');
  const created = await makeFolders(toWrite.map((f) => path.dirname(f.path)));
  const swaps: Swap[] = toWrite.map((f) => ({
    temp: besideName(f.path, 'restoring'),
    target: f.path,
  }));
  const tempOf = new Map(swaps.map((s) => [s.target, s.temp]));
  let committed = false;
  try {
    log(
      'info',
      `restoring ${plan.backupId}: ${plan.disks.length} disk(s), ${plan.readBytes} bytes of data to read`,
    );
    await restoreImage({
      store: context.store,
      backupId: plan.backupId,
      toDir: path.dirname(swaps[0]?.temp ?? plan.target.folder ?? '.'),
      format: 'vhdx', // unused: every disk's format is in `formats`
      positions: plan.disks.map((d) => d.position),
      paths: new Map(plan.disks.map((d) => [d.position, tempOf.get(d.targetPath)!])),
      formats: new Map(plan.disks.map((d) => [d.position, d.format])),
      identities: new Map(plan.disks.map((d) => [d.position, d.identity])),
      durable: prepared.request.durable ?? false,
      hosts: options.hosts,
      signal: options.signal,
      onProgress: options.onProgress,
    });
    const config = plan.files.find((f) => f.kind === 'configuration' && f.action !== 'keep');
    if (config && prepared.configBytes) {
      await writeTemp(
        tempOf.get(config.path)!,
        prepared.configBytes,
        prepared.request.durable ?? false,
      );
    }
    options.signal?.throwIfAborted();
    // Checked again right before the swap: a backup may have started while the disks were written.
    await recheckInUse(context, prepared);
    const swapped = await commitSwaps(swaps, options.swapOps ?? fileOps);
    committed = true;
    if (prepared.request.durable) {
      for (const dir of new Set(swaps.map((s) => path.dirname(s.target))))
        await fsyncDirectory(dir);
    }
    for (const leftover of swapped.leftovers) {
      log('warning', `the replaced file ${leftover} could not be deleted; delete it by hand`);
    }
    for (const disk of plan.disks)
      log('info', `restored disk ${disk.position} to ${disk.targetPath}`);
    if (config) log('info', `wrote the VM configuration ${config.path}`);
    return resultOf(plan, swapped.replaced, swapped.leftovers);
  } finally {
    if (!committed) {
      // restoreImage removes a disk it fails on; these are the ones it finished before that.
      await Promise.all(swaps.map((s) => rm(s.temp, { force: true })));
      await removeEmptyFolders(created);
    }
  }
}

function resultOf(
  plan: RestorePlan,
  replaced: readonly string[],
  leftovers: readonly string[],
): VmRestoreResult {
  const disks: RestoredVmDisk[] = plan.disks.map((d) => ({
    position: d.position,
    path: d.targetPath,
    virtualSize: d.virtualSize,
    format: d.format,
    identity: d.identity,
  }));
  const config = plan.files.find((f) => f.kind === 'configuration' && f.action !== 'keep');
  return {
    backupId: plan.backupId,
    disks,
    configPath: config?.path ?? null,
    replaced,
    notes: plan.notes,
    warnings: [
      ...plan.warnings,
      ...leftovers.map(
        (file) => `the replaced file ${file} could not be deleted; delete it by hand`,
      ),
    ],
  };
}

/** Between the plan and now, a file may have appeared or the VM come into use. */
async function recheck(context: RestoreContext, prepared: PreparedRestore): Promise<void> {
  for (const file of prepared.plan.files) {
    if (file.action !== 'create') continue;
    if ((await pathState(file.path)) !== 'absent') {
      throw new TesseraError(
        'BAD_REQUEST',
        `${file.path} appeared since the restore was planned; plan the restore again`,
      );
    }
  }
  await recheckInUse(context, prepared);
}

async function recheckInUse(context: RestoreContext, prepared: PreparedRestore): Promise<void> {
  const replacing = prepared.plan.files.filter((f) => f.action === 'replace').map((f) => f.path);
  if (replacing.length === 0) return;
  const reasons = await inUseReasons(context, prepared.inventoryId, replacing);
  if (reasons.length > 0) {
    throw new TesseraError(
      'BAD_REQUEST',
      `the files to be replaced are in use: ${reasons.join('; ')}; nothing was replaced`,
    );
  }
}

/** Creates the folders; returns the ones it created (outermost first), to remove on failure. */
async function makeFolders(folders: readonly string[]): Promise<string[]> {
  const created: string[] = [];
  for (const folder of [...new Set(folders)].sort()) {
    const first = await mkdir(folder, { recursive: true });
    if (first === undefined) continue;
    // mkdir names the outermost folder it made; every folder from there down to `folder` is new.
    for (let at = folder; at.length >= first.length; at = path.dirname(at)) created.push(at);
  }
  return [...new Set(created)].sort((a, b) => a.length - b.length);
}

/** Removes folders the restore made, innermost first, if nothing else was put in them. */
async function removeEmptyFolders(created: readonly string[]): Promise<void> {
  for (const folder of [...created].reverse()) await rmdir(folder).catch(() => undefined);
}

async function writeTemp(file: string, bytes: Buffer, durable: boolean): Promise<void> {
  const handle = await open(file, 'wx');
  try {
    await handle.writeFile(bytes);
    if (durable) await handle.sync();
  } catch (error) {
    await handle.close().catch(() => undefined);
    await rm(file, { force: true });
    throw error;
  }
  await handle.close();
}
