import { useEffect, useId, useState } from 'react';
import type { ApiCallError } from '../../../shared/api';
import type { Policy } from '../../../shared/policy';
import { ConfirmButton } from '../../components/ConfirmButton';
import { ErrorBox } from '../../components/ErrorBox';
import { navigate } from '../app/router';
import { useHosts } from '../hosts/store';
import { draftOf, emptyDraft, policyOf, type PolicyDraft } from './policy-draft';
import { SchedulesEditor } from './SchedulesEditor';
import { SelectionEditor } from './SelectionEditor';
import { usePolicies } from './store';
import { runAndFollow } from './run-and-follow';

/** Creates a policy (existing null) or edits one; checks it client side before saving. */
export function PolicyEditor({ existing }: { readonly existing: Policy | null }) {
  const [draft, setDraft] = useState<PolicyDraft>(() =>
    existing ? draftOf(existing) : emptyDraft(),
  );
  const [invalid, setInvalid] = useState<string | null>(null);
  const [serverError, setServerError] = useState<ApiCallError | null>(null);
  const [saving, setSaving] = useState(false);
  const save = usePolicies((state) => state.save);
  const remove = usePolicies((state) => state.remove);
  const hostSettings = useHosts((state) => state.settings);
  const loadHosts = useHosts((state) => state.load);
  const id = useId();

  useEffect(() => {
    if (hostSettings === null) void loadHosts();
  }, [hostSettings, loadHosts]);

  const update = (patch: Partial<PolicyDraft>) => setDraft((d) => ({ ...d, ...patch }));

  async function submit(): Promise<void> {
    setServerError(null);
    const result = policyOf(draft);
    if (!result.ok) {
      setInvalid(result.message);
      return;
    }
    setInvalid(null);
    setSaving(true);
    const failure = await save(result.policy, existing ? 'replace' : 'create');
    setSaving(false);
    if (failure) setServerError(failure);
    else navigate('policies');
  }

  return (
    <div className="screen">
      <header className="screen-header">
        <h1>{existing ? `Policy ${existing.name}` : 'New policy'}</h1>
        <span className="spacer" />
        {existing ? (
          <>
            <button
              type="button"
              onClick={() => void runAndFollow(existing.name)}
              data-testid="policy-editor-run"
            >
              Run now
            </button>
            <ConfirmButton
              label="Delete"
              title={`Delete policy "${existing.name}"?`}
              testId="policy-editor-delete"
              onConfirm={async () => {
                if (await remove(existing.name)) navigate('policies');
              }}
            >
              <p>Its schedules stop. The images it made stay until they expire.</p>
            </ConfirmButton>
          </>
        ) : null}
      </header>
      <form
        className="form policy-form"
        data-testid="policy-form"
        noValidate
        onSubmit={(event) => {
          event.preventDefault();
          void submit();
        }}
      >
        <fieldset>
          <legend>General</legend>
          <div className="form-grid">
            <label htmlFor={`${id}-name`}>Name</label>
            <div>
              <input
                id={`${id}-name`}
                type="text"
                value={draft.name}
                readOnly={existing !== null}
                onChange={(event) => update({ name: event.target.value })}
                data-testid="policy-name"
                placeholder="e.g. nightly"
              />
              <div className="field-hint">
                {existing
                  ? 'A policy keeps its name; create a new one to rename it.'
                  : 'Letters, digits, dot, dash and underscore.'}
              </div>
            </div>
            <span>Enabled</span>
            <label className="check">
              <input
                type="checkbox"
                checked={draft.enabled}
                onChange={(event) => update({ enabled: event.target.checked })}
                data-testid="policy-enabled"
              />
              Run this policy&apos;s schedules
            </label>
          </div>
        </fieldset>

        <SelectionEditor draft={draft} onChange={update} />

        <fieldset>
          <legend>Backups</legend>
          <div className="form-grid">
            <span>Accelerator</span>
            <label className="check">
              <input
                type="checkbox"
                checked={draft.accelerator}
                onChange={(event) => update({ accelerator: event.target.checked })}
                data-testid="policy-accelerator"
              />
              Read only the blocks that changed since the last backup
            </label>
            <label htmlFor={`${id}-rescan`}>Forced rescan every</label>
            <div className="field-row">
              <input
                id={`${id}-rescan`}
                type="number"
                min={1}
                max={1000}
                value={draft.forcedRescanEvery}
                onChange={(event) => update({ forcedRescanEvery: event.target.value })}
                placeholder="never"
                data-testid="policy-forced-rescan"
              />
              <span className="field-hint">
                backups (blank: never). A forced rescan hashes every block, catching changes the
                change tracking missed.
              </span>
            </div>
            <span>Snapshot first</span>
            <label className="check">
              <input
                type="checkbox"
                checked={draft.snapshotFirst}
                onChange={(event) => update({ snapshotFirst: event.target.checked })}
                data-testid="policy-snapshot-first"
              />
              Clone each disk (copy-on-write) before reading it, so it cannot change under the read
            </label>
            <label htmlFor={`${id}-hosts`}>Backup hosts</label>
            <div className="field-row">
              <input
                id={`${id}-hosts`}
                type="number"
                min={1}
                max={64}
                value={draft.hosts}
                onChange={(event) => update({ hosts: event.target.value })}
                placeholder={hostSettings ? String(hostSettings.hosts) : ''}
                data-testid="policy-hosts"
              />
              <label htmlFor={`${id}-streams`}>streams per host</label>
              <input
                id={`${id}-streams`}
                type="number"
                min={1}
                max={64}
                value={draft.streamsPerHost}
                onChange={(event) => update({ streamsPerHost: event.target.value })}
                placeholder={hostSettings ? String(hostSettings.streamsPerHost) : ''}
                data-testid="policy-streams"
              />
              <span className="field-hint">
                blank: tessera.conf&apos;s (<a href="#/hosts">Backup hosts</a>)
              </span>
            </div>
          </div>
        </fieldset>

        <SchedulesEditor
          schedules={draft.schedules}
          onChange={(schedules) => update({ schedules })}
        />

        {invalid ? (
          <div className="error-box" role="alert" data-testid="policy-invalid">
            <strong>Not saved: </strong>
            {invalid}
          </div>
        ) : null}
        {serverError ? (
          <ErrorBox error={serverError} title="Not saved" testId="policy-server-error" />
        ) : null}
        <div className="button-row">
          <button
            type="submit"
            className="button-primary"
            disabled={saving}
            data-testid="policy-save"
          >
            {saving ? 'Saving…' : existing ? 'Save changes' : 'Create policy'}
          </button>
          <a className="button" href="#/policies" data-testid="policy-cancel">
            Cancel
          </a>
        </div>
      </form>
    </div>
  );
}
