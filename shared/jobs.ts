/**
 * Jobs as the CLI and the app see them, and the events a running job pushes: the compound
 * job tree (parent, discovery, one child per backup host), its progress and its log.
 */

export type JobKind =
  | 'backup'
  | 'restore'
  | 'verify'
  | 'expire'
  | 'gc'
  | 'discovery'
  | 'compound'
  | 'backup-host'
  | 'catalog-rebuild';

export type JobState = 'queued' | 'running' | 'done' | 'failed' | 'cancelled';

export interface JobInfo {
  readonly id: number;
  readonly parentId: number | null;
  readonly kind: JobKind;
  readonly policy: string | null;
  readonly client: string | null;
  readonly state: JobState;
  /** Set once the job has ended (see shared/status-codes.ts). */
  readonly statusCode: number | null;
  /** Unix milliseconds. */
  readonly startedAt: number;
  readonly endedAt: number | null;
  readonly detail: Readonly<Record<string, unknown>> | null;
}

export interface JobProgress {
  readonly jobId: number;
  /** Bytes of virtual disk covered so far, of totalBytes. */
  readonly doneBytes: number;
  readonly totalBytes: number;
  /** Allocated bytes read from the disks. */
  readonly readBytes: number;
  /** Compressed bytes newly added to the storage unit. */
  readonly storedBytes: number;
  readonly blocksChanged: number;
  /** Bytes of virtual disk covered per second, averaged over the job so far. */
  readonly bytesPerSecond: number;
  /** Seconds left at that rate; null until there is a rate. */
  readonly etaSeconds: number | null;
}

export type LogLevel = 'info' | 'warning' | 'error';

export interface JobLogEntry {
  readonly id: number;
  readonly jobId: number;
  /** Unix milliseconds. */
  readonly at: number;
  readonly level: LogLevel;
  readonly message: string;
}

export type JobEvent =
  | { readonly type: 'job-started'; readonly job: JobInfo }
  | { readonly type: 'job-progress'; readonly progress: JobProgress }
  | {
      readonly type: 'job-log';
      readonly jobId: number;
      readonly level: LogLevel;
      readonly message: string;
      readonly at: number;
    }
  | { readonly type: 'job-ended'; readonly job: JobInfo };

/** Rate and ETA from bytes done since `startedAt` (Unix ms) at `now`. */
export function rateAndEta(
  doneBytes: number,
  totalBytes: number,
  startedAt: number,
  now: number,
): { bytesPerSecond: number; etaSeconds: number | null } {
  const seconds = (now - startedAt) / 1000;
  const bytesPerSecond = seconds > 0 ? doneBytes / seconds : 0;
  const etaSeconds =
    bytesPerSecond > 0 ? Math.max(0, (totalBytes - doneBytes) / bytesPerSecond) : null;
  return { bytesPerSecond, etaSeconds };
}
