import type { Policy } from '../../../shared/policy';
import { ConfirmButton } from '../../components/ConfirmButton';
import { EmptyState } from '../../components/EmptyState';
import { navigate } from '../app/router';
import { usePolicies } from './store';
import { runAndFollow } from './run-and-follow';

export function PoliciesTable({ policies }: { readonly policies: readonly Policy[] | null }) {
  const remove = usePolicies((state) => state.remove);
  if (policies === null) return <p className="muted">Loading…</p>;
  if (policies.length === 0) {
    return (
      <section className="panel">
        <EmptyState
          title="No policy yet"
          testId="policies-empty"
          action={
            <a className="button button-primary" href="#/policies/new">
              Create a policy
            </a>
          }
        >
          Create a policy to back up VMs on a schedule. Until then, <em>Back up now</em> on the
          Dashboard backs up any VM by hand.
        </EmptyState>
      </section>
    );
  }
  return (
    <section className="panel" aria-label="Policies">
      <table className="table" data-testid="policies-table">
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Enabled</th>
            <th scope="col">Selection</th>
            <th scope="col">Schedules</th>
            <th scope="col">Backups</th>
            <th scope="col">
              <span className="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {policies.map((policy) => (
            <tr key={policy.name} data-testid="policy-row" data-policy-name={policy.name}>
              <th scope="row">
                <a href={`#/policies/${encodeURIComponent(policy.name)}`}>{policy.name}</a>
              </th>
              <td>{policy.enabled ? 'yes' : <span className="muted">no</span>}</td>
              <td className="selection-cell">
                {policy.selection.kind === 'query' ? (
                  <code>{policy.selection.query}</code>
                ) : (
                  `${policy.selection.vms.length} VM${policy.selection.vms.length === 1 ? '' : 's'}`
                )}
              </td>
              <td>
                {policy.schedules.length === 0 ? (
                  <span className="muted">none (by hand)</span>
                ) : (
                  policy.schedules.map((s) => s.name).join(', ')
                )}
              </td>
              <td>{policy.accelerator ? 'Accelerator' : 'full every time'}</td>
              <td className="actions">
                <div className="button-row row-actions">
                  <button
                    type="button"
                    className="button-small"
                    onClick={() => void runAndFollow(policy.name)}
                    aria-label={`Run ${policy.name} now`}
                    data-testid="policy-run"
                  >
                    Run now
                  </button>
                  <button
                    type="button"
                    className="button-small"
                    onClick={() => navigate('policies', policy.name)}
                    aria-label={`Edit ${policy.name}`}
                    data-testid="policy-edit"
                  >
                    Edit
                  </button>
                  <ConfirmButton
                    label="Delete"
                    className="button-small button-danger"
                    title={`Delete policy "${policy.name}"?`}
                    ariaLabel={`Delete ${policy.name}`}
                    testId="policy-delete"
                    onConfirm={() => remove(policy.name).then(() => undefined)}
                  >
                    <p>
                      Its schedules stop. The images it made stay in the storage unit until they
                      expire.
                    </p>
                  </ConfirmButton>
                </div>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
