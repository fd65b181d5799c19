import type { UpcomingRun } from '../../../shared/api';
import { EmptyState } from '../../components/EmptyState';
import { formatDateTime, formatRelative } from '../../lib/format';
import { useNow } from '../../lib/useNow';

export function UpcomingRunsPanel({ runs }: { readonly runs: readonly UpcomingRun[] }) {
  const now = useNow();
  return (
    <section className="panel" aria-labelledby="upcoming-title" data-testid="upcoming-runs">
      <h2 id="upcoming-title">Next scheduled runs</h2>
      {runs.length === 0 ? (
        <EmptyState title="No schedule yet">
          Backups run on their own once a policy has a schedule:{' '}
          <a href="#/policies/new">create a policy</a>.
        </EmptyState>
      ) : (
        <table className="table table-compact">
          <thead>
            <tr>
              <th scope="col">Policy</th>
              <th scope="col">Schedule</th>
              <th scope="col">When</th>
            </tr>
          </thead>
          <tbody>
            {runs.map((run) => (
              <tr key={`${run.policy}:${run.schedule}:${run.at}`} data-testid="upcoming-run">
                <td>
                  <a href={`#/policies/${encodeURIComponent(run.policy)}`}>{run.policy}</a>
                </td>
                <td>{run.schedule}</td>
                <td title={formatDateTime(run.at)}>{formatRelative(run.at, now)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
