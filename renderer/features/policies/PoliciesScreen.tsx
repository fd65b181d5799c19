import { useEffect } from 'react';
import { ErrorBox } from '../../components/ErrorBox';
import { useRouter } from '../app/router';
import { PoliciesTable } from './PoliciesTable';
import { PolicyEditor } from './PolicyEditor';
import { usePolicies } from './store';

/** The policy list, or (with a route item) the editor of one policy; "new" creates one. */
export function PoliciesScreen() {
  const item = useRouter((state) => state.route.item);
  const policies = usePolicies((state) => state.policies);
  const error = usePolicies((state) => state.error);
  const load = usePolicies((state) => state.load);

  useEffect(() => {
    void load();
  }, [load]);

  if (item !== null) {
    const existing = item === 'new' ? null : (policies?.find((p) => p.name === item) ?? null);
    if (item !== 'new' && policies === null) return <p className="screen muted">Loading…</p>;
    if (item !== 'new' && existing === null) {
      return (
        <div className="screen">
          <h1>Policies</h1>
          <p>
            There is no policy “{item}”. <a href="#/policies">Back to the policies</a>
          </p>
        </div>
      );
    }
    return <PolicyEditor key={item} existing={existing} />;
  }

  return (
    <div className="screen">
      <header className="screen-header">
        <h1>Policies</h1>
        <span className="spacer" />
        <a className="button button-primary" href="#/policies/new" data-testid="policy-new">
          New policy
        </a>
      </header>
      <p className="screen-intro">
        A policy says which VMs to back up (a list, or a query such as{' '}
        <code>name contains &quot;sql&quot;</code> that keeps up with new VMs), how, and on what
        schedules.
      </p>
      {error ? <ErrorBox error={error} title="The policies did not load" onRetry={load} /> : null}
      <PoliciesTable policies={policies} />
    </div>
  );
}
