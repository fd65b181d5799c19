import { useId } from 'react';
import type { ImageRow } from '../../../shared/images';
import {
  CONFIGURATION_MODES,
  RESTORE_FORMAT_LABELS,
  RESTORE_FORMATS,
  type ConfigurationMode,
  type RestoreDiskFormat,
} from '../../../shared/restore';
import { ErrorBox } from '../../components/ErrorBox';
import { PathField } from '../../components/PathField';
import { RenameFileImport } from './RenameFileImport';
import {
  KEEP,
  diskDraftOf,
  networkRowsOf,
  requestOf,
  type NetworkChoice,
  type RestoreDraft,
} from './restore-draft';
import { useRestore } from './store';
import { recordedVmOf } from './vm-metadata';

const CONFIGURATION_LABELS: Readonly<Record<ConfigurationMode, string>> = {
  auto: 'Automatic: write one when every disk is restored',
  write: 'Always write one (refuse when it cannot be written)',
  none: 'None: restore the disks only',
};

/** Where the image goes, and what changes on the way; Preview asks the server for the plan. */
export function RestoreForm({ image }: { readonly image: ImageRow }) {
  const draft = useRestore((state) => state.draft);
  const editDraft = useRestore((state) => state.editDraft);
  const preview = useRestore((state) => state.preview);
  const planning = useRestore((state) => state.planning);
  const planError = useRestore((state) => state.planError);
  const id = useId();

  if (!draft || draft.backupId !== image.backupId) return <section className="panel" />;
  const vm = recordedVmOf(image.vm);
  const outcome = requestOf(draft, image);
  const edit = (patch: Partial<RestoreDraft>) => editDraft((d) => ({ ...d, ...patch }));
  const folderTarget = draft.target === 'folder';
  const selectedDisks = image.disks.filter((d) => draft.positions.includes(d.position));
  const vmEditsPossible = vm !== null && draft.positions.length === image.disks.length;

  return (
    <section className="panel" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>Restore</h2>
      <form
        className="form"
        data-testid="restore-form"
        onSubmit={(event) => {
          event.preventDefault();
          if (outcome.ok) void preview(outcome.request);
        }}
      >
        <fieldset>
          <legend>Target</legend>
          <div className="restore-targets" role="radiogroup" aria-label="Target">
            <label className="check">
              <input
                type="radio"
                name={`${id}-target`}
                checked={draft.target === 'original'}
                onChange={() => edit({ target: 'original', overwrite: false })}
                data-testid="restore-target-original"
              />
              Original location
            </label>
            <label className="check">
              <input
                type="radio"
                name={`${id}-target`}
                checked={folderTarget}
                onChange={() => edit({ target: 'folder', overwrite: false })}
                data-testid="restore-target-folder"
              />
              Different location
            </label>
          </div>
          {folderTarget ? (
            <div className="form-grid restore-grid">
              <label htmlFor={`${id}-folder`}>Target folder</label>
              <PathField
                id={`${id}-folder`}
                value={draft.folder}
                onChange={(folder) => edit({ folder })}
                pickerTitle="Choose the folder to restore the VM into"
                testId="restore-folder"
                required
              />
              <span />
              <label className="check">
                <input
                  type="checkbox"
                  checked={draft.overwrite}
                  onChange={(event) => edit({ overwrite: event.target.checked })}
                  data-testid="restore-replace-existing"
                />
                Replace files that already exist in the folder
              </label>
            </div>
          ) : (
            <div className="warning-box restore-overwrite-box">
              <p>
                The disks go back where {vm?.name ?? image.client} had them
                {vm?.configPath ? (
                  <>
                    {' '}
                    (configuration <code>{vm.configPath}</code>)
                  </>
                ) : null}
                , replacing what is there now. The VM must be off: files in use are not touched.
                Changes (name, format, IDs, networks) need a different location.
              </p>
              <label className="check">
                <input
                  type="checkbox"
                  checked={draft.overwrite}
                  onChange={(event) => edit({ overwrite: event.target.checked })}
                  required
                  data-testid="restore-overwrite"
                />
                <strong>Overwrite the VM&apos;s files at their original location</strong>
              </label>
            </div>
          )}
        </fieldset>

        {folderTarget ? (
          <>
            <fieldset disabled={!vmEditsPossible} data-testid="restore-vm-edits">
              <legend>Virtual machine</legend>
              {!vmEditsPossible ? (
                <p className="field-hint">
                  {vm === null
                    ? 'The image records no VM configuration: only its disks can be restored.'
                    : 'Only some disks are selected: they are restored without a VM configuration.'}
                </p>
              ) : null}
              <div className="form-grid restore-grid">
                <label htmlFor={`${id}-name`}>VM name</label>
                <input
                  id={`${id}-name`}
                  type="text"
                  value={draft.name}
                  onChange={(event) => edit({ name: event.target.value })}
                  placeholder={vm?.name ?? ''}
                  data-testid="restore-vm-name"
                />
                <span>VM ID</span>
                <div className="field-row">
                  <label className="check">
                    <input
                      type="checkbox"
                      checked={draft.newId}
                      onChange={(event) => edit({ newId: event.target.checked })}
                      data-testid="restore-new-id"
                    />
                    Make a new VM ID (and new disk IDs), so it can live beside the original
                  </label>
                  <label className="check">
                    <input
                      type="checkbox"
                      checked={draft.newMacs}
                      onChange={(event) => edit({ newMacs: event.target.checked })}
                      data-testid="restore-new-macs"
                    />
                    New MAC addresses
                  </label>
                </div>
                <label htmlFor={`${id}-cpus`}>CPUs</label>
                <div className="field-row">
                  <input
                    id={`${id}-cpus`}
                    type="number"
                    min={1}
                    max={1024}
                    value={draft.cpus}
                    onChange={(event) => edit({ cpus: event.target.value })}
                    placeholder={vm?.cpus !== null && vm?.cpus !== undefined ? String(vm.cpus) : ''}
                    data-testid="restore-cpus"
                  />
                  <label htmlFor={`${id}-memory`}>Memory</label>
                  <input
                    id={`${id}-memory`}
                    type="number"
                    min={4}
                    className="restore-memory"
                    value={draft.memoryMB}
                    onChange={(event) => edit({ memoryMB: event.target.value })}
                    placeholder={
                      vm?.memoryMB !== null && vm?.memoryMB !== undefined ? String(vm.memoryMB) : ''
                    }
                    data-testid="restore-memory"
                  />
                  <span className="muted">MiB · empty keeps what was backed up</span>
                </div>
              </div>
              <NetworkMapping image={image} draft={draft} />
            </fieldset>

            <fieldset>
              <legend>Disks</legend>
              <div className="form-grid restore-grid">
                <label htmlFor={`${id}-format`}>Format</label>
                <select
                  id={`${id}-format`}
                  value={draft.format}
                  onChange={(event) =>
                    edit({ format: event.target.value as RestoreDiskFormat | '' })
                  }
                  data-testid="restore-format"
                >
                  <option value="">Each disk&apos;s own format</option>
                  {RESTORE_FORMATS.map((format) => (
                    <option key={format} value={format}>
                      {RESTORE_FORMAT_LABELS[format]}
                    </option>
                  ))}
                </select>
              </div>
              <table className="table table-compact restore-disk-edits">
                <thead>
                  <tr>
                    <th scope="col">#</th>
                    <th scope="col">Disk</th>
                    <th scope="col">Target path (optional, relative to the folder)</th>
                    <th scope="col">Format</th>
                  </tr>
                </thead>
                <tbody>
                  {selectedDisks.map((disk) => {
                    const diskDraft = diskDraftOf(draft, disk.position);
                    const setDisk = (patch: Partial<typeof diskDraft>) =>
                      edit({
                        disks: { ...draft.disks, [disk.position]: { ...diskDraft, ...patch } },
                      });
                    return (
                      <tr key={disk.position}>
                        <td>{disk.position}</td>
                        <td className="path-cell">{disk.name}</td>
                        <td>
                          <input
                            type="text"
                            className="restore-disk-path"
                            value={diskDraft.path}
                            onChange={(event) => setDisk({ path: event.target.value })}
                            placeholder="default: in the folder, by its name"
                            aria-label={`Target path of disk ${disk.position}`}
                            spellCheck={false}
                            data-testid="restore-disk-path"
                            data-position={disk.position}
                          />
                        </td>
                        <td>
                          <select
                            value={diskDraft.format}
                            onChange={(event) =>
                              setDisk({ format: event.target.value as RestoreDiskFormat | '' })
                            }
                            aria-label={`Format of disk ${disk.position}`}
                            data-testid="restore-disk-format"
                            data-position={disk.position}
                          >
                            <option value="">
                              {draft.format ? 'As above' : `Its own (${disk.sourceFormat})`}
                            </option>
                            {RESTORE_FORMATS.map((format) => (
                              <option key={format} value={format}>
                                {RESTORE_FORMAT_LABELS[format]}
                              </option>
                            ))}
                          </select>
                        </td>
                      </tr>
                    );
                  })}
                </tbody>
              </table>
              {draft.pathChanges.length > 0 ? (
                <div className="restore-path-changes" data-testid="restore-path-changes">
                  <h3>Path changes from the rename file</h3>
                  <ul>
                    {draft.pathChanges.map((change, index) => (
                      <li key={`${change.from}:${index}`}>
                        <code>{change.from}</code> → <code>{change.to}</code>{' '}
                        <button
                          type="button"
                          className="button-small"
                          onClick={() =>
                            edit({ pathChanges: draft.pathChanges.filter((_, i) => i !== index) })
                          }
                          aria-label={`Remove the change of ${change.from}`}
                        >
                          Remove
                        </button>
                      </li>
                    ))}
                  </ul>
                </div>
              ) : null}
            </fieldset>

            <RenameFileImport />
          </>
        ) : null}

        <div className="form-grid restore-grid">
          <label htmlFor={`${id}-configuration`}>VM configuration</label>
          <select
            id={`${id}-configuration`}
            value={draft.configuration}
            onChange={(event) => edit({ configuration: event.target.value as ConfigurationMode })}
            data-testid="restore-configuration"
          >
            {CONFIGURATION_MODES.map((mode) => (
              <option key={mode} value={mode}>
                {CONFIGURATION_LABELS[mode]}
              </option>
            ))}
          </select>
        </div>

        {!outcome.ok ? (
          <ul className="restore-problems" data-testid="restore-form-problems">
            {outcome.problems.map((problem) => (
              <li key={problem}>{problem}</li>
            ))}
          </ul>
        ) : null}
        {planError ? (
          <ErrorBox
            error={planError}
            title="The restore cannot be planned"
            testId="restore-error"
          />
        ) : null}
        <div className="button-row">
          <button
            type="submit"
            className="button-primary"
            disabled={!outcome.ok || planning}
            data-testid="restore-preview"
          >
            {planning ? 'Planning…' : 'Preview'}
          </button>
          <span className="field-hint">
            Preview shows what is read and written where, before anything is.
          </span>
        </div>
      </form>
    </section>
  );
}

const NETWORK_MODES: ReadonlyArray<[NetworkChoice['mode'], string]> = [
  ['keep', 'Keep'],
  ['map', 'Map to'],
  ['remove', 'Remove the adapters'],
];

/** Per network of the VM: keep its adapters there, move them, or leave them out. */
function NetworkMapping({
  image,
  draft,
}: {
  readonly image: ImageRow;
  readonly draft: RestoreDraft;
}) {
  const editDraft = useRestore((state) => state.editDraft);
  const networks = networkRowsOf(draft, image);
  const setChoice = (network: string | null, choice: NetworkChoice) =>
    editDraft((d) =>
      network === null
        ? { ...d, everyNetwork: choice }
        : { ...d, networks: { ...d.networks, [network]: choice } },
    );
  const rows: Array<[string | null, string]> = [
    ...networks.map((n): [string, string] => [n, n]),
    [null, networks.length > 0 ? 'Any other network' : 'Every adapter'],
  ];
  if (networks.length === 0 && draft.everyNetwork.mode === 'keep') {
    return (
      <div className="restore-networks">
        <h3>Network adapters</h3>
        <p className="muted small">The image records no network adapters.</p>
      </div>
    );
  }
  return (
    <div className="restore-networks">
      <h3>Network adapters</h3>
      <table className="table table-compact" data-testid="restore-networks">
        <tbody>
          {rows.map(([network, label]) => {
            const choice =
              network === null ? draft.everyNetwork : (draft.networks[network] ?? KEEP);
            return (
              <tr key={network ?? '*'} data-testid="restore-network" data-network={network ?? '*'}>
                <th scope="row" className={network === null ? 'muted' : undefined}>
                  {label}
                </th>
                <td>
                  <div className="field-row">
                    <select
                      value={choice.mode}
                      onChange={(event) =>
                        setChoice(network, {
                          ...choice,
                          mode: event.target.value as NetworkChoice['mode'],
                        })
                      }
                      aria-label={`Adapters on ${label}`}
                      data-testid="restore-network-mode"
                    >
                      {NETWORK_MODES.map(([mode, text]) => (
                        <option key={mode} value={mode}>
                          {text}
                        </option>
                      ))}
                    </select>
                    {choice.mode === 'map' ? (
                      <input
                        type="text"
                        value={choice.to}
                        onChange={(event) =>
                          setChoice(network, { ...choice, to: event.target.value })
                        }
                        placeholder="network, bridge or switch"
                        aria-label={`New network for the adapters on ${label}`}
                        data-testid="restore-network-to"
                      />
                    ) : null}
                  </div>
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
