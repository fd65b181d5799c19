/**
 * Drag-out to the file manager (desktop shell only). A native drag needs finished files when it
 * starts, so it takes two steps: "Prepare to drag out" restores the disk (or the whole VM, with
 * its configuration) into a fresh folder under AppInfo.stagingDir with an ordinary restore job
 * (the Activity Monitor shows it); once that job is done the row can be dragged out, and
 * dragstart hands the staged paths to window.tessera.startDrag. The main process checks them
 * (electron/main/drag-out.ts) and removes what was staged after a day and at quit.
 */
import { create } from 'zustand';
import type { ImageRow } from '../../../shared/images';
import type { JobInfo } from '../../../shared/jobs';
import type { RestoredVmDisk, VmRestoreRequest } from '../../../shared/restore';
import { statusOf } from '../../../shared/status-codes';
import { api } from '../../api/client';
import { asApiError } from '../../lib/errors';
import { isActive } from '../activity/progress-of';
import { useApp } from '../app/store';
import { joinPath } from './drag';
import { recordedVmOf } from './vm-metadata';

export interface StagedDrag {
  readonly state: 'staging' | 'ready' | 'failed';
  /** The staging restore job, once it exists. */
  readonly jobId: number | null;
  /** The disk position staged; null for the whole VM. */
  readonly position: number | null;
  /** The restore's target folder. */
  readonly folder: string;
  /** What the drag hands the file manager (when ready). */
  readonly paths: readonly string[];
  readonly error: string | null;
}

interface DragOutState {
  /** By {@link dragOutKey}. */
  readonly staged: Readonly<Record<string, StagedDrag>>;
  /** Restores a disk (or, for null, the whole VM) of the image into the staging folder. */
  prepare(image: ImageRow, position: number | null): Promise<void>;
  /** Reads how a staging job ended: ready with its paths, or failed. */
  settle(jobId: number): Promise<void>;
}

export function dragOutKey(backupId: string, position: number | null): string {
  return `${backupId}#${position ?? 'vm'}`;
}

/** A name every file system takes: no separators, reserved or control characters. */
function fileSafe(name: string): string {
  // eslint-disable-next-line no-control-regex -- control characters are what it replaces
  const safe = name.replace(/[<>:"/\\|?*\u0000-\u001f\u007f]/g, '_').replace(/[. ]+$/, '');
  return safe === '' ? 'vm' : safe.slice(0, 100);
}

/** The restored disk's path, or the VM's folder (its disks and configuration). */
function pathsOf(staged: StagedDrag, job: JobInfo): string[] {
  if (staged.position === null) return [staged.folder];
  const disks = Array.isArray(job.detail?.['disks'])
    ? (job.detail['disks'] as RestoredVmDisk[])
    : [];
  return disks
    .filter((disk) => disk.position === staged.position && typeof disk.path === 'string')
    .map((disk) => disk.path);
}

let listening = false;

export const useDragOut = create<DragOutState>()((set, get) => {
  const update = (key: string, change: Partial<StagedDrag>) => {
    const current = get().staged[key];
    if (current) set({ staged: { ...get().staged, [key]: { ...current, ...change } } });
  };
  const keyOfJob = (jobId: number) =>
    Object.keys(get().staged).find((key) => get().staged[key]?.jobId === jobId);

  return {
    staged: {},

    async prepare(image, position) {
      const key = dragOutKey(image.backupId, position);
      if (get().staged[key]?.state === 'staging') return;
      if (!listening) {
        listening = true;
        api().subscribe((event) => {
          if (event.type === 'job-ended' && keyOfJob(event.job.id)) {
            void get().settle(event.job.id);
          }
        });
      }
      let folder = '';
      try {
        const info = useApp.getState().info ?? (await api().call('app.info', {}));
        if (!info.stagingDir) throw new Error('this shell cannot drag out to the file manager');
        const unique = `${fileSafe(image.backupId)}-${crypto.randomUUID().slice(0, 8)}`;
        folder = joinPath(info.stagingDir, unique);
        // The whole VM goes in a folder named after it: that folder is what is dragged.
        if (position === null) {
          folder = joinPath(folder, fileSafe(recordedVmOf(image.vm)?.name ?? image.client));
        }
        set({
          staged: {
            ...get().staged,
            [key]: { state: 'staging', jobId: null, position, folder, paths: [], error: null },
          },
        });
        const request: VmRestoreRequest = {
          image: { backupId: image.backupId },
          target: { kind: 'folder', path: folder },
          // A disk alone; the whole VM with its configuration when the image records one.
          ...(position === null
            ? { configuration: 'auto' }
            : { configuration: 'none', positions: [position] }),
        };
        const { jobId } = await api().call('restore.start', request);
        update(key, { jobId });
        // It may have ended before its ID arrived.
        await get().settle(jobId);
      } catch (error) {
        const message = asApiError(error).message;
        set({
          staged: {
            ...get().staged,
            [key]: { state: 'failed', jobId: null, position, folder, paths: [], error: message },
          },
        });
      }
    },

    async settle(jobId) {
      let job: JobInfo;
      try {
        ({ job } = await api().call('jobs.get', { id: jobId }));
      } catch (error) {
        const key = keyOfJob(jobId);
        if (key) update(key, { state: 'failed', error: asApiError(error).message });
        return;
      }
      const key = keyOfJob(jobId);
      const staged = key ? get().staged[key] : undefined;
      if (!key || !staged || staged.state !== 'staging' || isActive(job)) return;
      const status = job.statusCode === null ? null : statusOf(job.statusCode);
      const paths = job.state === 'done' ? pathsOf(staged, job) : [];
      if (status && status.severity !== 'failed' && paths.length > 0) {
        update(key, { state: 'ready', paths });
      } else {
        update(key, {
          state: 'failed',
          error:
            job.state === 'cancelled'
              ? 'the restore was cancelled'
              : (status?.message ?? 'the restore wrote nothing to drag'),
        });
      }
    },
  };
});
