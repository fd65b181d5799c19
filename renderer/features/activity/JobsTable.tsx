import type { JobInfo } from '../../../shared/jobs';
import { StatusBadge } from '../../components/StatusBadge';
import { formatDateTime, formatDuration, formatRelative } from '../../lib/format';
import { useNow } from '../../lib/useNow';
import { navigate } from '../app/router';
import { kindLabel, policyName } from './job-labels';
import { durationOf } from './progress-of';

interface JobsTableProps {
  readonly jobs: readonly JobInfo[] | null;
  readonly selectedId: number | null;
}

/** Top-level jobs, newest first; a row opens its job tree. */
export function JobsTable({ jobs, selectedId }: JobsTableProps) {
  const now = useNow(1000);
  return (
    <section className="panel jobs-panel" aria-label="Jobs">
      {jobs === null ? (
        <p className="muted">Loading…</p>
      ) : (
        <table className="table table-compact" data-testid="jobs-table">
          <thead>
            <tr>
              <th scope="col">ID</th>
              <th scope="col">Policy</th>
              <th scope="col">Status</th>
              <th scope="col">Started</th>
              <th scope="col" className="num">
                Duration
              </th>
            </tr>
          </thead>
          <tbody>
            {jobs.map((job) => (
              <tr
                key={job.id}
                className="selectable"
                aria-selected={job.id === selectedId}
                data-testid="job-row"
                data-job-id={job.id}
                data-state={job.state}
                // The ID link is the keyboard way in; the whole row is a bigger mouse target.
                onClick={() => navigate('activity', job.id)}
              >
                <td>
                  <a href={`#/activity/${job.id}`} aria-label={`Job ${job.id}`}>
                    {job.id}
                  </a>
                </td>
                <td>
                  {policyName(job)}
                  {job.kind !== 'compound' ? (
                    <span className="muted"> · {kindLabel(job.kind)}</span>
                  ) : null}
                </td>
                <td>
                  <StatusBadge code={job.statusCode} state={job.state} />
                </td>
                <td title={formatDateTime(job.startedAt)}>{formatRelative(job.startedAt, now)}</td>
                <td className="num">{formatDuration(durationOf(job, now))}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
