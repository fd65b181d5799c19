/**
 * What the tray icon says: whether a backup is running and how the last one ended. Kept as a
 * pure reducer over the job events the engine already pushes to the renderer, so the tray is
 * always in step with the app window and is tested without Electron.
 */
import type { ApiEvent } from '../../shared/api.js';
import type { JobInfo } from '../../shared/jobs.js';
import { BACKUP_NOW_POLICY } from '../../shared/policy.js';
import { statusOf } from '../../shared/status-codes.js';

export interface LastBackup {
  readonly jobId: number;
  readonly policy: string | null;
  readonly statusCode: number;
  readonly cancelled: boolean;
  /** Unix milliseconds. */
  readonly endedAt: number;
}

export interface TrayStatus {
  /** Top-level backup jobs running now. */
  readonly running: readonly number[];
  readonly last: LastBackup | null;
}

export const EMPTY_TRAY_STATUS: TrayStatus = { running: [], last: null };

/** Windows cuts tray tooltips at 127 characters. */
const MAX_TOOLTIP = 127;

function isTopLevelBackup(job: JobInfo): boolean {
  return job.parentId === null && (job.kind === 'compound' || job.kind === 'backup');
}

function lastBackupOf(job: JobInfo): LastBackup | null {
  if (job.endedAt === null || job.statusCode === null) return null;
  return {
    jobId: job.id,
    policy: job.policy,
    statusCode: job.statusCode,
    cancelled: job.state === 'cancelled',
    endedAt: job.endedAt,
  };
}

/** The starting point, from the newest jobs (as `service.listJobs` lists them, newest first). */
export function trayStatusFromJobs(jobs: readonly JobInfo[]): TrayStatus {
  const backups = jobs.filter(isTopLevelBackup);
  const running = backups.filter((job) => job.state === 'running').map((job) => job.id);
  let last: LastBackup | null = null;
  for (const job of backups) {
    const candidate = lastBackupOf(job);
    if (candidate && (!last || candidate.endedAt > last.endedAt)) last = candidate;
  }
  return { running, last };
}

export function nextTrayStatus(status: TrayStatus, event: ApiEvent): TrayStatus {
  if (event.type === 'job-started' && isTopLevelBackup(event.job)) {
    if (status.running.includes(event.job.id)) return status;
    return { ...status, running: [...status.running, event.job.id] };
  }
  if (event.type === 'job-ended' && isTopLevelBackup(event.job)) {
    const running = status.running.filter((id) => id !== event.job.id);
    return { running, last: lastBackupOf(event.job) ?? status.last };
  }
  return status;
}

export function policyLabel(policy: string | null): string {
  if (policy === null) return 'Backup';
  return policy === BACKUP_NOW_POLICY ? 'Back up now' : `Policy ${policy}`;
}

/** "succeeded", "failed: a disk could not be read"... */
export function outcomeOf(last: Pick<LastBackup, 'statusCode' | 'cancelled'>): string {
  if (last.cancelled) return 'was cancelled';
  const status = statusOf(last.statusCode);
  switch (status.severity) {
    case 'ok':
      return 'succeeded';
    case 'partial':
      return `partly succeeded (status ${status.code}: ${status.message})`;
    case 'failed':
      return `failed (status ${status.code}: ${status.message})`;
  }
}

/** The status line of the tray menu (a disabled item at its top). */
export function trayStatusLine(status: TrayStatus, formatTime: (ms: number) => string): string {
  if (status.running.length > 0) {
    return status.running.length === 1
      ? 'Backing up…'
      : `Backing up (${status.running.length} jobs)…`;
  }
  if (!status.last) return 'No backup yet';
  return `Last backup ${formatTime(status.last.endedAt)} ${outcomeOf(status.last)}`;
}

export function trayTooltip(status: TrayStatus, formatTime: (ms: number) => string): string {
  const text = `Tessera: ${trayStatusLine(status, formatTime)}`;
  return text.length <= MAX_TOOLTIP ? text : `${text.slice(0, MAX_TOOLTIP - 1)}…`;
}

/** How the tray icon is tinted. */
export function traySeverity(status: TrayStatus): 'idle' | 'running' | 'ok' | 'partial' | 'failed' {
  if (status.running.length > 0) return 'running';
  if (!status.last) return 'idle';
  if (status.last.cancelled) return 'partial';
  return statusOf(status.last.statusCode).severity;
}

const KIND_NAMES: Readonly<Partial<Record<JobInfo['kind'], string>>> = {
  compound: 'Backup',
  backup: 'Backup',
  restore: 'Restore',
  verify: 'Verification',
  expire: 'Expiry',
  gc: 'Space reclamation',
  'catalog-rebuild': 'Catalog rebuild',
};

/** The desktop notification for a top-level job that ended; null for child jobs. */
export function jobEndedNotification(job: JobInfo): { title: string; body: string } | null {
  if (job.parentId !== null || job.statusCode === null) return null;
  const what = KIND_NAMES[job.kind] ?? 'Job';
  const status = statusOf(job.statusCode);
  const title =
    job.state === 'cancelled'
      ? `${what} cancelled`
      : status.severity === 'ok'
        ? `${what} succeeded`
        : status.severity === 'partial'
          ? `${what} partly succeeded`
          : `${what} failed`;
  const subject =
    job.kind === 'compound' || job.kind === 'backup' ? `${policyLabel(job.policy)}: ` : '';
  const remedy = status.severity === 'ok' ? '' : ` ${status.remedy}`;
  return { title, body: `${subject}status ${status.code}, ${status.message}.${remedy}` };
}
