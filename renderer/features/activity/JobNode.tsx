import type { ReactNode } from 'react';
import type { JobInfo } from '../../../shared/jobs';
import { statusOf } from '../../../shared/status-codes';
import { ProgressBar } from '../../components/ProgressBar';
import { StatusBadge } from '../../components/StatusBadge';
import { formatDuration } from '../../lib/format';
import { useNow } from '../../lib/useNow';
import { childTitle, jobTitle } from './job-labels';
import { durationOf, isActive, progressOf } from './progress-of';
import { useActivity } from './store';

interface JobNodeProps {
  readonly job: JobInfo;
  readonly isParent?: boolean;
  readonly children?: ReactNode;
}

/** One job of the tree: its state, live progress, outcome (message and remedy) and Cancel. */
export function JobNode({ job, isParent = false, children }: JobNodeProps) {
  const live = useActivity((state) => state.progress[job.id]);
  const cancel = useActivity((state) => state.cancel);
  const now = useNow(1000);
  const title = isParent ? jobTitle(job) : childTitle(job);
  const progress = progressOf(job, live);
  const status = job.statusCode !== null ? statusOf(job.statusCode) : null;
  // Discovery has no bytes to count; a bar would only ever be empty.
  const showsProgress = job.kind !== 'discovery';
  const testId = isParent ? 'job-node-parent' : `job-node-${job.kind}`;

  return (
    <li className={`job-node job-node-${job.state}`}>
      {/* The test ID wraps this job's own content only, not its children's: a query scoped to
          the parent must not find a child's progress bar. */}
      <div className="job-node-body" data-testid={testId} data-job-id={job.id}>
        <div className="job-node-head">
          <strong>{title}</strong>
          <span className="muted">#{job.id}</span>
          <StatusBadge code={job.statusCode} state={job.state} testId={`${testId}-status`} />
          <span className="muted">{formatDuration(durationOf(job, now))}</span>
          <JobFacts job={job} />
          <span className="spacer" />
          {isActive(job) ? (
            <button
              type="button"
              className="button-small button-danger"
              onClick={() => void cancel(job.id)}
              aria-label={`Cancel ${title}`}
              data-testid="job-cancel"
            >
              Cancel
            </button>
          ) : null}
        </div>
        {showsProgress && (isActive(job) || progress) ? (
          <ProgressBar
            progress={progress}
            label={`Progress of ${title}`}
            idleLabel={isActive(job) ? 'Waiting for the first progress…' : 'No progress recorded'}
            testId={`${testId}-progress`}
          />
        ) : null}
        {status && status.severity !== 'ok' && job.state !== 'cancelled' ? (
          <div className={`job-outcome job-outcome-${status.severity}`} data-testid="job-outcome">
            <div>
              Status {status.code}: {status.message}
            </div>
            <div className="remedy">{status.remedy}</div>
          </div>
        ) : null}
      </div>
      {children}
    </li>
  );
}

/** What the job's detail says about it: hosts and streams, disks, VMs selected. */
function JobFacts({ job }: { readonly job: JobInfo }) {
  const detail = job.detail ?? {};
  const facts: string[] = [];
  const number = (key: string): number | null =>
    typeof detail[key] === 'number' ? (detail[key] as number) : null;
  if (job.kind === 'compound') {
    const hosts = number('hosts');
    const streams = number('streams');
    if (hosts !== null) facts.push(`${hosts} host${hosts === 1 ? '' : 's'}`);
    if (streams !== null) facts.push(`${streams} stream${streams === 1 ? '' : 's'}/host`);
  } else if (job.kind === 'backup-host') {
    const disks = number('disks');
    const streams = number('streams');
    if (disks !== null) facts.push(`${disks} disk${disks === 1 ? '' : 's'}`);
    if (streams !== null) facts.push(`${streams} stream${streams === 1 ? '' : 's'}`);
  } else if (job.kind === 'discovery') {
    const vms = number('vms');
    const skipped = number('skipped');
    if (vms !== null) facts.push(`${vms} VM${vms === 1 ? '' : 's'} selected`);
    if (skipped) facts.push(`${skipped} skipped`);
  }
  if (facts.length === 0) return null;
  return <span className="muted job-facts">{facts.join(' · ')}</span>;
}
