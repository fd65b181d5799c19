import type { JobState } from '../../shared/jobs';
import { statusOf } from '../../shared/status-codes';

const SEVERITY_LABEL = { ok: 'Succeeded', partial: 'Partial', failed: 'Failed' } as const;

interface StatusBadgeProps {
  /** The status code once the job (or attempt) ended; null while it runs or before any. */
  readonly code: number | null;
  readonly state?: JobState;
  readonly testId?: string;
  /** A more specific explanation (e.g. why this VM failed), added to the tooltip. */
  readonly detail?: string | null;
}

/** A job or attempt outcome in one colour-coded word, with the status message as tooltip. */
export function StatusBadge({ code, state, testId, detail }: StatusBadgeProps) {
  if (code === null) {
    const label = state === 'running' ? 'Running' : state === 'queued' ? 'Queued' : 'Never';
    return (
      <span className={`badge badge-${state ?? 'none'}`} data-testid={testId}>
        {label}
      </span>
    );
  }
  const status = statusOf(code);
  // Cancelled is a "failed" status, but a person asked for it: grey, not alarming red.
  const severity = state === 'cancelled' ? 'cancelled' : status.severity;
  const label = state === 'cancelled' ? 'Cancelled' : SEVERITY_LABEL[status.severity];
  return (
    <span
      className={`badge badge-${severity}`}
      title={`Status ${status.code}: ${status.message}${detail ? ` — ${detail}` : ''}`}
      data-testid={testId}
      data-status={status.code}
      data-severity={status.severity}
    >
      {label} <span className="badge-code">({status.code})</span>
    </span>
  );
}
