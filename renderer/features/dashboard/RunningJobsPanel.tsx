import type { JobInfo } from '../../../shared/jobs';
import { EmptyState } from '../../components/EmptyState';
import { ProgressBar } from '../../components/ProgressBar';
import { formatRelative } from '../../lib/format';
import { useNow } from '../../lib/useNow';
import { useActivity } from '../activity/store';
import { jobTitle } from '../activity/job-labels';

/** Top-level jobs running now, each with its live progress and a way to its job tree. */
export function RunningJobsPanel({ jobs }: { readonly jobs: readonly JobInfo[] }) {
  const now = useNow();
  return (
    <section className="panel" aria-labelledby="running-jobs-title" data-testid="running-jobs">
      <h2 id="running-jobs-title">Running jobs</h2>
      {jobs.length === 0 ? (
        <EmptyState title="Nothing running">
          Start a backup with <em>Back up now</em> below, or give a policy a schedule.
        </EmptyState>
      ) : (
        <ul className="running-list">
          {jobs.map((job) => (
            <RunningJob key={job.id} job={job} now={now} />
          ))}
        </ul>
      )}
    </section>
  );
}

function RunningJob({ job, now }: { readonly job: JobInfo; readonly now: number }) {
  const progress = useActivity((state) => state.progress[job.id] ?? null);
  return (
    <li className="running-item" data-testid="running-job" data-job-id={job.id}>
      <div className="running-head">
        <a href={`#/activity/${job.id}`}>{jobTitle(job)}</a>
        <span className="muted">started {formatRelative(job.startedAt, now)}</span>
      </div>
      <ProgressBar progress={progress} label={`Progress of job ${job.id}`} />
    </li>
  );
}
