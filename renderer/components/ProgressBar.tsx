import type { JobProgress } from '../../shared/jobs';
import { formatBytes, formatDuration, formatPercent, formatRate } from '../lib/format';

interface ProgressBarProps {
  readonly progress: JobProgress | null;
  /** Shown when there is no progress yet (the job is still discovering, or just started). */
  readonly idleLabel?: string;
  readonly label: string;
  readonly testId?: string;
}

/** A job's progress: the bar, bytes done of total, rate and time left. */
export function ProgressBar({
  progress,
  idleLabel = 'Starting…',
  label,
  testId,
}: ProgressBarProps) {
  const fraction =
    progress && progress.totalBytes > 0 ? progress.doneBytes / progress.totalBytes : null;
  return (
    <div className="progress" data-testid={testId}>
      <div
        className="progress-track"
        role="progressbar"
        aria-label={label}
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={fraction === null ? undefined : Math.round(fraction * 100)}
      >
        <div
          className={`progress-fill${fraction === null ? ' progress-indeterminate' : ''}`}
          style={{ width: fraction === null ? undefined : `${Math.min(100, fraction * 100)}%` }}
        />
      </div>
      <div className="progress-text">
        {progress && fraction !== null ? (
          <>
            <span>{formatPercent(fraction)}</span>
            <span>
              {formatBytes(progress.doneBytes)} of {formatBytes(progress.totalBytes)}
            </span>
            <span data-testid={testId ? `${testId}-rate` : undefined}>
              {formatRate(progress.bytesPerSecond)}
            </span>
            {progress.etaSeconds === null ? null : (
              <span>{formatDuration(progress.etaSeconds)} left</span>
            )}
          </>
        ) : (
          <span>{idleLabel}</span>
        )}
      </div>
    </div>
  );
}
