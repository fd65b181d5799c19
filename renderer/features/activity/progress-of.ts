import type { JobInfo, JobProgress } from '../../../shared/jobs';

/**
 * A job's progress: the newest live event, else what the job recorded in its detail when it
 * ended (children and parents keep their last totals there), else null.
 */
export function progressOf(job: JobInfo, live: JobProgress | undefined): JobProgress | null {
  // An ended job has no time left, whatever its last live event estimated.
  if (live) return isActive(job) ? live : { ...live, etaSeconds: null };
  const detail = job.detail;
  if (!detail) return null;
  const done = detail['doneBytes'];
  const total = detail['totalBytes'];
  if (typeof done !== 'number' || typeof total !== 'number') return null;
  const number = (key: string): number => {
    const value = detail[key];
    return typeof value === 'number' ? value : 0;
  };
  const seconds = job.endedAt !== null ? (job.endedAt - job.startedAt) / 1000 : 0;
  return {
    jobId: job.id,
    doneBytes: done,
    totalBytes: total,
    readBytes: number('readBytes'),
    storedBytes: number('storedBytes'),
    blocksChanged: number('blocksChanged'),
    bytesPerSecond: seconds > 0 ? done / seconds : 0,
    etaSeconds: null,
  };
}

/** Seconds a job ran (or has been running). */
export function durationOf(job: JobInfo, now: number): number {
  return ((job.endedAt ?? now) - job.startedAt) / 1000;
}

export function isActive(job: JobInfo): boolean {
  return job.state === 'running' || job.state === 'queued';
}
