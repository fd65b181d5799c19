import { useId, useState } from 'react';
import type { ApiCallError } from '../../../shared/api';
import { api } from '../../api/client';
import { ErrorBox } from '../../components/ErrorBox';
import { asApiError } from '../../lib/errors';
import { withEdits } from './restore-draft';
import { useRestore } from './store';

const EXAMPLE = `# one change per line, as nbrestorevm's -R rename file
change vmname to web01-restored
change vmid to new
change format to vhd-fixed
change network default to isolated`;

/** "Import rename file…": the edits of an nbrestorevm-style rename file, put into the form. */
export function RenameFileImport() {
  const editDraft = useRestore((state) => state.editDraft);
  const [open, setOpen] = useState(false);
  const [text, setText] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiCallError | null>(null);
  const [applied, setApplied] = useState(false);
  const id = useId();

  async function apply(): Promise<void> {
    setBusy(true);
    setApplied(false);
    try {
      const edits = await api().call('restore.parseRenameFile', { text });
      editDraft((draft) => withEdits(draft, edits));
      setError(null);
      setApplied(true);
    } catch (failure) {
      setError(asApiError(failure));
    } finally {
      setBusy(false);
    }
  }

  if (!open) {
    return (
      <div>
        <button type="button" onClick={() => setOpen(true)} data-testid="restore-rename-open">
          Import rename file…
        </button>
      </div>
    );
  }
  return (
    <fieldset className="restore-rename" data-testid="restore-rename">
      <legend>Import rename file</legend>
      <label htmlFor={`${id}-text`} className="field-hint">
        Paste a rename file (as <code>tessera restore -R</code> and nbrestorevm take): its changes
        fill the form above, which you can still edit.
      </label>
      <textarea
        id={`${id}-text`}
        rows={6}
        value={text}
        onChange={(event) => {
          setText(event.target.value);
          setApplied(false);
        }}
        placeholder={EXAMPLE}
        spellCheck={false}
        aria-invalid={error !== null}
        data-testid="restore-rename-text"
      />
      {error ? (
        <ErrorBox
          error={error}
          title="The rename file has a problem"
          testId="restore-rename-error"
        />
      ) : null}
      {applied ? (
        <p className="field-hint" role="status" data-testid="restore-rename-applied">
          The rename file&apos;s changes are in the form.
        </p>
      ) : null}
      <div className="button-row">
        <button
          type="button"
          disabled={busy || text.trim() === ''}
          onClick={() => void apply()}
          data-testid="restore-rename-apply"
        >
          {busy ? 'Reading…' : 'Apply to the form'}
        </button>
        <button
          type="button"
          onClick={() => {
            setOpen(false);
            setError(null);
            setApplied(false);
          }}
        >
          Close
        </button>
      </div>
    </fieldset>
  );
}
