import { TesseraError } from '../../../shared/errors.js';
import { STATUS, statusForError } from '../../../shared/status-codes.js';
import { defaultHostCount } from '../hosts/host-pool.js';
import type { ImageManifest } from '../store/manifest.js';
import { reconcileCatalog } from './expire.js';
import {
  DEFAULT_BLOCK_SIZE,
  VmBackup,
  checkBlockSize,
  type JobLogger,
  type VmBackupRequest,
} from './vm-backup.js';
import { RelayedPool, runWorkload } from './workload.js';

export { DEFAULT_BLOCK_SIZE, MAX_BLOCK_SIZE, MIN_BLOCK_SIZE } from './vm-backup.js';
export type { BackupDiskSource } from './workload.js';

export interface BackupProgress {
  readonly doneBytes: number;
  readonly totalBytes: number;
  readonly storedBytes: number;
}

export interface BackupRequest extends Omit<VmBackupRequest, 'log'> {
  /** Backup host workers; every one works on every disk. Default one per core. */
  readonly hosts?: number;
  readonly signal?: AbortSignal;
  readonly onProgress?: (progress: BackupProgress) => void;
}

export interface BackupResult {
  readonly manifest: ImageManifest;
  readonly jobId: number;
  /** 0, or DISK_CHANGED's code when a disk changed while it was read. */
  readonly statusCode: number;
}

/**
 * Backs up one VM (one or more disks) into the storage unit as a full image, as one job: the
 * first backup of a disk stores every block; later ones are Accelerator backups, where the
 * backup hosts hash each allocated block and compare it with the track log, and only changed
 * blocks travel to the store. Every host works on every disk (segment by segment), which is
 * the fastest way through a single VM; compound jobs (jobs/) spread many VMs over hosts.
 */
export async function backupVm(request: BackupRequest): Promise<BackupResult> {
  const { store, catalog } = request;
  // Before the job exists: a bad request makes no job row.
  checkBlockSize(request.blockSize ?? DEFAULT_BLOCK_SIZE);
  const jobId = catalog.createJob({ kind: 'backup', client: request.client });
  // The job log must never hide what it reports: a log line that cannot be written is dropped.
  const log: JobLogger = (level, message) => {
    try {
      catalog.appendLog(jobId, level, message);
    } catch {
      // the catalog's own failure surfaces where it matters (recordImage, finishJob)
    }
  };
  let backup: VmBackup | null = null;
  // The hosts start now, so their start-up overlaps the planning below.
  const hosts = new RelayedPool(request.hosts ?? defaultHostCount());
  try {
    const reconciled = await reconcileCatalog(store, catalog);
    if (reconciled.recorded + reconciled.forgotten > 0) {
      log(
        'info',
        `catalog brought in line with the storage unit: ${reconciled.recorded} images recorded, ${reconciled.forgotten} forgotten`,
      );
    }
    const recovered = await store.recover();
    if (recovered.removedTemporary + recovered.indexedPacks > 0) {
      log(
        'info',
        `cleaned up after an interrupted run: ${recovered.removedTemporary} temporary files removed, ${recovered.indexedPacks} stored packs reused`,
      );
    }
    backup = await VmBackup.prepare({ ...request, log });
    await runWorkload(hosts, backup.disks, {
      store,
      signal: request.signal,
      onProgress: (p) => request.onProgress?.(p),
    });
    await hosts.close();
    const changed = backup.changedDisks();
    for (const disk of changed) {
      log('warning', `${disk.sourcePath}: ${STATUS.DISK_CHANGED.message}`);
    }
    const manifest = await backup.finish();
    const statusCode = changed.length > 0 ? STATUS.DISK_CHANGED.code : STATUS.SUCCESS.code;
    catalog.finishJob(jobId, {
      state: 'done',
      statusCode,
      detail: { backupId: manifest.backupId },
    });
    return { manifest, jobId, statusCode };
  } catch (error) {
    await hosts.close();
    await backup?.discard();
    // Seal what was stored (other backups on this Store may share the open pack, and an
    // interrupted backup's blocks are reused by the next); drop it only if it cannot be sealed.
    await store.flush().catch(() => store.writer.abort());
    const cancelled = request.signal?.aborted ?? false;
    log('error', error instanceof Error ? error.message : String(error));
    try {
      catalog.finishJob(jobId, {
        state: cancelled ? 'cancelled' : 'failed',
        statusCode: cancelled
          ? STATUS.CANCELLED.code
          : statusForError(error instanceof TesseraError ? error.code : undefined).code,
      });
    } catch {
      // the job stays 'running' in a catalog that cannot be written; the error below says why
    }
    throw error;
  }
}
