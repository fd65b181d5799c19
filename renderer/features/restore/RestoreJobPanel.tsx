import { useId } from 'react';
import type { JobInfo } from '../../../shared/jobs';
import {
  RESTORE_FORMAT_LABELS,
  type MaintenanceNote,
  type RestoredVmDisk,
} from '../../../shared/restore';
import { statusOf } from '../../../shared/status-codes';
import { ErrorBox } from '../../components/ErrorBox';
import { ProgressBar } from '../../components/ProgressBar';
import { StatusBadge } from '../../components/StatusBadge';
import { formatBytes } from '../../lib/format';
import { hashOf } from '../app/router';
import { isActive, progressOf } from '../activity/progress-of';
import { useActivity } from '../activity/store';
import { NotesPanel } from './RestorePlanView';
import { useRestore } from './store';

/** What a restore job's end detail holds (service.ts records a VmRestoreResult there). */
interface RestoreOutcome {
  readonly target: string | null;
  readonly disks: readonly RestoredVmDisk[];
  readonly configPath: string | null;
  readonly replaced: readonly string[];
  readonly notes: readonly MaintenanceNote[];
  readonly warnings: readonly string[];
}

function outcomeOf(job: JobInfo): RestoreOutcome {
  const detail = job.detail ?? {};
  const list = <T,>(key: string): readonly T[] =>
    Array.isArray(detail[key]) ? (detail[key] as T[]) : [];
  return {
    target: typeof detail['target'] === 'string' ? detail['target'] : null,
    disks: list<RestoredVmDisk>('disks'),
    configPath: typeof detail['configPath'] === 'string' ? detail['configPath'] : null,
    replaced: list<string>('replaced'),
    notes: list<MaintenanceNote>('notes'),
    warnings: list<string>('warnings'),
  };
}

/** The restore started here: live progress, then what was written and what to do next. */
export function RestoreJobPanel({ jobId }: { readonly jobId: number }) {
  const job = useRestore((state) => state.job);
  const jobError = useRestore((state) => state.jobError);
  const jobLog = useRestore((state) => state.jobLog);
  const loadJob = useRestore((state) => state.loadJob);
  const closeJob = useRestore((state) => state.closeJob);
  const live = useActivity((state) => state.progress[jobId]);
  const id = useId();
  const ownJob = job?.id === jobId ? job : null;
  const running = ownJob === null || isActive(ownJob);

  return (
    <section
      className="panel restore-job"
      aria-labelledby={`${id}-title`}
      data-testid={running ? 'restore-progress' : 'restore-result'}
      data-job-id={jobId}
      data-state={ownJob?.state ?? 'running'}
      aria-live="polite"
    >
      <div className="panel-header">
        <h2 id={`${id}-title`}>Restore job {jobId}</h2>
        {ownJob ? (
          <StatusBadge code={ownJob.statusCode} state={ownJob.state} testId="restore-status" />
        ) : null}
        <a
          href={hashOf({ screen: 'activity', item: String(jobId) })}
          data-testid="restore-job-link"
        >
          Open in Activity Monitor
        </a>
        {!running ? (
          <button type="button" className="button-small" onClick={closeJob}>
            Close
          </button>
        ) : null}
      </div>
      {jobError ? (
        <ErrorBox error={jobError} title={`Job ${jobId} did not load`} onRetry={loadJob} />
      ) : null}
      <ProgressBar
        progress={ownJob ? progressOf(ownJob, live) : (live ?? null)}
        label={`Restore job ${jobId}`}
        testId="restore-progress-bar"
      />
      {ownJob && !running ? <RestoreResult job={ownJob} log={jobLog} /> : null}
    </section>
  );
}

function RestoreResult({
  job,
  log,
}: {
  readonly job: JobInfo;
  readonly log: ReturnType<typeof useRestore.getState>['jobLog'];
}) {
  const status = statusOf(job.statusCode ?? 0);
  if (job.state === 'failed' || job.state === 'cancelled') {
    const errors = log.filter((entry) => entry.level === 'error');
    return (
      <div
        className={`job-outcome job-outcome-${job.state === 'cancelled' ? 'partial' : 'failed'}`}
        data-testid="restore-failure"
      >
        <div>
          Status {status.code}: {status.message}
        </div>
        {errors.map((entry) => (
          <div key={entry.id} className="restore-failure-line">
            {entry.message}
          </div>
        ))}
        {job.state !== 'cancelled' ? <div className="remedy">{status.remedy}</div> : null}
      </div>
    );
  }
  const outcome = outcomeOf(job);
  return (
    <div className="restore-outcome">
      {status.severity !== 'ok' ? (
        <div className="job-outcome job-outcome-partial">
          Status {status.code}: {status.message}
          <div className="remedy">{status.remedy}</div>
        </div>
      ) : null}
      <h3>
        Written
        {outcome.target ? (
          <>
            {' '}
            to <code>{outcome.target}</code>
          </>
        ) : null}
      </h3>
      <table className="table table-compact" data-testid="restore-result-files">
        <thead>
          <tr>
            <th scope="col">#</th>
            <th scope="col">File</th>
            <th scope="col">Format</th>
            <th scope="col" className="num">
              Size
            </th>
            <th scope="col">Disk ID</th>
          </tr>
        </thead>
        <tbody>
          {outcome.disks.map((disk) => (
            <tr
              key={disk.path}
              data-testid="restore-result-file"
              data-path={disk.path}
              data-format={disk.format}
            >
              <td>{disk.position}</td>
              <td className="path-cell mono small">{disk.path}</td>
              <td>{RESTORE_FORMAT_LABELS[disk.format] ?? disk.format}</td>
              <td className="num">{formatBytes(disk.virtualSize)}</td>
              <td className="mono small">{disk.identity}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <p>
        VM configuration:{' '}
        {outcome.configPath ? (
          <code data-testid="restore-config-path">{outcome.configPath}</code>
        ) : (
          <span className="muted" data-testid="restore-config-path">
            none written
          </span>
        )}
      </p>
      {outcome.replaced.length > 0 ? (
        <div className="warning-box" data-testid="restore-result-replaced">
          <strong>Replaced</strong>
          <ul>
            {outcome.replaced.map((path) => (
              <li key={path} className="mono small">
                {path}
              </li>
            ))}
          </ul>
        </div>
      ) : null}
      {outcome.warnings.length > 0 ? (
        <div className="warning-box" data-testid="restore-result-warnings">
          <strong>Warnings</strong>
          <ul>
            {outcome.warnings.map((warning) => (
              <li key={warning}>{warning}</li>
            ))}
          </ul>
        </div>
      ) : null}
      <NotesPanel
        notes={outcome.notes}
        title="Virtual machine maintenance after the restore"
        testId="restore-notes"
      />
    </div>
  );
}
