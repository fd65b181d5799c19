import type { JobEvent, JobInfo, JobKind, JobProgress } from '../../../shared/jobs.js';
import { rateAndEta } from '../../../shared/jobs.js';
import { STATUS, statusOf } from '../../../shared/status-codes.js';
import type { Catalog } from '../catalog/catalog.js';
import type { JobDetail, JobRow } from '../catalog/types.js';

export type JobListener = (event: JobEvent) => void;

/** Progress events per job at most this often; the last one always goes out. */
const PROGRESS_EVERY_MS = 200;

export function jobInfoOf(row: JobRow): JobInfo {
  return {
    id: row.id,
    parentId: row.parentId,
    kind: row.kind as JobKind,
    policy: row.policy,
    client: row.client,
    state: row.state,
    statusCode: row.statusCode,
    startedAt: row.startedAt,
    endedAt: row.endedAt,
    detail: row.detail,
  };
}

/**
 * Writes a job's life to the catalog and tells listeners as it goes: started, log lines,
 * progress (rate and ETA), ended. A log line the catalog cannot take is still sent to
 * listeners, so a failing catalog never hides what a job reports.
 */
export class JobRecorder {
  private readonly lastProgress = new Map<number, number>();

  constructor(
    private readonly catalog: Catalog,
    private readonly listener: JobListener,
    private readonly clock: () => number = Date.now,
  ) {}

  start(job: {
    kind: JobKind;
    parentId?: number | null;
    policy?: string | null;
    client?: string | null;
    detail?: JobDetail | null;
  }): number {
    const id = this.catalog.createJob(job);
    this.emit({ type: 'job-started', job: this.info(id) });
    return id;
  }

  log(jobId: number, level: 'info' | 'warning' | 'error', message: string): void {
    try {
      this.catalog.appendLog(jobId, level, message);
    } catch {
      // listeners still get the line; the catalog's failure surfaces at finish
    }
    this.emit({ type: 'job-log', jobId, level, message, at: this.clock() });
  }

  progress(
    jobId: number,
    startedAt: number,
    counts: Omit<JobProgress, 'jobId' | 'bytesPerSecond' | 'etaSeconds'>,
    final = false,
  ): JobProgress {
    const now = this.clock();
    const progress: JobProgress = {
      jobId,
      ...counts,
      ...rateAndEta(counts.doneBytes, counts.totalBytes, startedAt, now),
    };
    const last = this.lastProgress.get(jobId) ?? 0;
    if (final || now - last >= PROGRESS_EVERY_MS) {
      this.lastProgress.set(jobId, now);
      this.emit({ type: 'job-progress', progress });
    }
    return progress;
  }

  /** Ends the job: done for success and partial success, cancelled (150) or failed otherwise. */
  end(jobId: number, statusCode: number, detail?: JobDetail): void {
    const severity = statusOf(statusCode).severity;
    const state =
      severity !== 'failed'
        ? 'done'
        : statusCode === STATUS.CANCELLED.code
          ? 'cancelled'
          : 'failed';
    try {
      this.catalog.finishJob(jobId, { state, statusCode, ...(detail ? { detail } : {}) });
    } catch {
      // a job the catalog cannot end is marked interrupted at the next start
    }
    this.lastProgress.delete(jobId);
    const row = this.catalog.getJob(jobId);
    if (row) this.emit({ type: 'job-ended', job: jobInfoOf(row) });
  }

  private info(id: number): JobInfo {
    return jobInfoOf(this.catalog.getJob(id)!);
  }

  private emit(event: JobEvent): void {
    try {
      this.listener(event);
    } catch {
      // a listener's bug must not break the job
    }
  }
}
