import { useEffect } from 'react';
import { useInventory } from '../inventory/store';
import type { PolicyDraft } from './policy-draft';
import { QueryEditor } from './QueryEditor';

interface SelectionEditorProps {
  readonly draft: PolicyDraft;
  readonly onChange: (patch: Partial<PolicyDraft>) => void;
}

/** Which VMs the policy backs up: ticked from the inventory, or chosen by a query. */
export function SelectionEditor({ draft, onChange }: SelectionEditorProps) {
  return (
    <fieldset data-testid="policy-selection">
      <legend>VMs</legend>
      <div className="field-row" role="radiogroup" aria-label="How VMs are selected">
        <label className="check">
          <input
            type="radio"
            name="selection-kind"
            checked={draft.selectionKind === 'query'}
            onChange={() => onChange({ selectionKind: 'query' })}
            data-testid="selection-query"
          />
          By query (keeps up with new VMs)
        </label>
        <label className="check">
          <input
            type="radio"
            name="selection-kind"
            checked={draft.selectionKind === 'list'}
            onChange={() => onChange({ selectionKind: 'list' })}
            data-testid="selection-list"
          />
          From a list
        </label>
      </div>
      {draft.selectionKind === 'query' ? (
        <QueryEditor query={draft.query} onChange={(query) => onChange({ query })} />
      ) : (
        <VmChecklist selected={draft.vms} onChange={(vms) => onChange({ vms })} />
      )}
    </fieldset>
  );
}

interface VmChecklistProps {
  readonly selected: readonly string[];
  readonly onChange: (vms: readonly string[]) => void;
}

function VmChecklist({ selected, onChange }: VmChecklistProps) {
  const scan = useInventory((state) => state.scan);
  const load = useInventory((state) => state.load);
  useEffect(() => {
    if (scan === null) void load();
  }, [scan, load]);

  if (scan === null) return <p className="muted">Loading the inventory…</p>;
  // A list may name VMs by ID or by name (the CLI's --vms takes either).
  const lower = new Set(selected.map((entry) => entry.toLowerCase()));
  const isSelected = (id: string, name: string) =>
    selected.includes(id) || lower.has(name.toLowerCase());
  const known = new Set(scan.vms.flatMap((vm) => [vm.id, vm.name.toLowerCase()]));
  const missing = selected.filter((entry) => !known.has(entry) && !known.has(entry.toLowerCase()));

  if (scan.vms.length === 0) {
    return (
      <p className="muted">
        The inventory has no VMs yet: <a href="#/inventory/add">add a source</a> first, or select by
        query.
      </p>
    );
  }
  return (
    <>
      <ul className="vm-checklist" data-testid="vm-checklist">
        {scan.vms.map((vm) => (
          <li key={vm.id}>
            <label className="check">
              <input
                type="checkbox"
                checked={isSelected(vm.id, vm.name)}
                data-testid="vm-check"
                data-vm-name={vm.name}
                onChange={(event) =>
                  onChange(
                    event.target.checked
                      ? [...selected, vm.id]
                      : selected.filter(
                          (entry) =>
                            entry !== vm.id && entry.toLowerCase() !== vm.name.toLowerCase(),
                        ),
                  )
                }
              />
              {vm.name}
              <span className="muted">
                {vm.disks.length} disk{vm.disks.length === 1 ? '' : 's'}
              </span>
            </label>
          </li>
        ))}
      </ul>
      {missing.length > 0 ? (
        <p className="field-hint">
          Also in the list but not in the inventory now: {missing.join(', ')}{' '}
          <button
            type="button"
            className="link-button"
            onClick={() => onChange(selected.filter((entry) => !missing.includes(entry)))}
          >
            remove them
          </button>
        </p>
      ) : null}
    </>
  );
}
