import { useId, useState } from 'react';
import type { ApiCallError } from '../../../shared/api';
import { SOURCE_KINDS, type SourceKind } from '../../../shared/policy';
import { ErrorBox } from '../../components/ErrorBox';
import { PathField } from '../../components/PathField';
import { useInventory } from './store';

const KIND_HELP: Readonly<Record<SourceKind, string>> = {
  folder: 'A folder of VM folders and disks (Hyper-V exports, loose VHDX/VHD/raw disks).',
  libvirt: 'A libvirt domain XML file, or a folder of them (e.g. /etc/libvirt/qemu).',
  virtualbox: 'A VirtualBox .vbox file, or a folder of VM folders (e.g. ~/VirtualBox VMs).',
};

export function AddSourceForm() {
  const addSource = useInventory((state) => state.addSource);
  const [kind, setKind] = useState<SourceKind>('folder');
  const [path, setPath] = useState('');
  const [name, setName] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiCallError | null>(null);
  const id = useId();

  async function submit(): Promise<void> {
    setBusy(true);
    const failure = await addSource({
      kind,
      path: path.trim(),
      ...(name.trim() ? { name: name.trim() } : {}),
    });
    setBusy(false);
    setError(failure);
    if (!failure) {
      setPath('');
      setName('');
    }
  }

  return (
    <section className="panel" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>Add source</h2>
      <form
        className="form"
        data-testid="add-source-form"
        onSubmit={(event) => {
          event.preventDefault();
          void submit();
        }}
      >
        <div className="form-grid form-grid-narrow">
          <label htmlFor={`${id}-kind`}>Kind</label>
          <select
            id={`${id}-kind`}
            value={kind}
            onChange={(event) => setKind(event.target.value as SourceKind)}
            data-testid="source-kind"
          >
            {SOURCE_KINDS.map((option) => (
              <option key={option} value={option}>
                {option}
              </option>
            ))}
          </select>
          <label htmlFor={`${id}-path`}>Path</label>
          <PathField
            id={`${id}-path`}
            value={path}
            onChange={setPath}
            pickerTitle="Choose the folder to add"
            testId="source-path"
            required
          />
          <label htmlFor={`${id}-name`}>Name</label>
          <input
            id={`${id}-name`}
            type="text"
            value={name}
            onChange={(event) => setName(event.target.value)}
            placeholder="optional: the folder's name"
            data-testid="source-name"
          />
        </div>
        <p className="field-hint">{KIND_HELP[kind]}</p>
        {error ? <ErrorBox error={error} title="The source was not added" /> : null}
        <div className="button-row">
          <button
            type="submit"
            className="button-primary"
            disabled={busy || path.trim() === ''}
            data-testid="source-add"
          >
            {busy ? 'Adding…' : 'Add source'}
          </button>
        </div>
      </form>
    </section>
  );
}
