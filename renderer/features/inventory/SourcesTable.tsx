import type { InventorySource } from '../../../shared/inventory';
import { ConfirmButton } from '../../components/ConfirmButton';
import { EmptyState } from '../../components/EmptyState';
import { useInventory } from './store';

export function SourcesTable({ sources }: { readonly sources: readonly InventorySource[] | null }) {
  const removeSource = useInventory((state) => state.removeSource);
  return (
    <section className="panel" aria-labelledby="sources-title" data-testid="sources">
      <h2 id="sources-title">Sources</h2>
      {sources === null ? (
        <p className="muted">Loading…</p>
      ) : sources.length === 0 ? (
        <EmptyState title="No source yet" testId="sources-empty">
          Add the folder where your VMs live with the form beside this list; Tessera then lists the
          VMs it finds below.
        </EmptyState>
      ) : (
        <table className="table table-compact" data-testid="sources-table">
          <thead>
            <tr>
              <th scope="col">Kind</th>
              <th scope="col">Name</th>
              <th scope="col">Path</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {sources.map((source) => (
              <tr key={source.id} data-testid="source-row" data-source-name={source.name}>
                <td>{source.kind}</td>
                <th scope="row">{source.name}</th>
                <td className="mono path-cell">{source.path}</td>
                <td className="actions">
                  <ConfirmButton
                    label="Remove"
                    className="button-small button-danger"
                    title={`Remove source "${source.name}"?`}
                    ariaLabel={`Remove source ${source.name}`}
                    testId="source-remove"
                    onConfirm={() => removeSource(source)}
                  >
                    <p>
                      Tessera stops looking for VMs in <code>{source.path}</code>. Nothing on disk
                      is deleted, and the images already backed up stay in the storage unit.
                    </p>
                  </ConfirmButton>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
