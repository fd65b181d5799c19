import { useEffect, useId, useRef } from 'react';
import type { ImageRow } from '../../../shared/images';
import {
  CONFIG_KIND_LABELS,
  RESTORE_FORMAT_LABELS,
  type MaintenanceNote,
  type PlannedFile,
} from '../../../shared/restore';
import { ErrorBox } from '../../components/ErrorBox';
import { formatBytes, formatDateTime } from '../../lib/format';
import { requestKey, requestOf } from './restore-draft';
import { useRestore } from './store';

const ACTION_LABELS: Readonly<Record<PlannedFile['action'], string>> = {
  create: 'new',
  replace: 'replaces',
  keep: 'kept',
};

const ACTION_BADGES: Readonly<Record<PlannedFile['action'], string>> = {
  create: 'badge-ok',
  replace: 'badge-partial',
  keep: 'badge-none',
};

/** The plan as a confirmation: what is read, what is written where, and what follows. */
export function RestorePlanView({ image }: { readonly image: ImageRow }) {
  const plan = useRestore((state) => state.plan);
  const planKey = useRestore((state) => state.planKey);
  const planSeq = useRestore((state) => state.planSeq);
  const draft = useRestore((state) => state.draft);
  const start = useRestore((state) => state.start);
  const starting = useRestore((state) => state.starting);
  const startError = useRestore((state) => state.startError);
  const ref = useRef<HTMLElement>(null);
  const id = useId();

  // A preview (from the form, a drop or "Restore to folder…") brings its plan into view.
  useEffect(() => {
    if (planSeq > 0) ref.current?.scrollIntoView({ block: 'nearest', behavior: 'smooth' });
  }, [planSeq]);

  if (!plan || plan.backupId !== image.backupId || !draft) {
    // Errors of the plan show beside the form; a failed start shows here, without a plan.
    return startError ? (
      <ErrorBox error={startError} title="The restore did not start" testId="restore-error" />
    ) : null;
  }
  const outcome = requestOf(draft, image);
  const current = outcome.ok && requestKey(outcome.request) === planKey;
  const confirmed = plan.target.kind === 'folder' || draft.overwrite;
  const replacing = plan.files.filter((file) => file.action === 'replace');

  return (
    <section
      ref={ref}
      className="panel restore-plan"
      aria-labelledby={`${id}-title`}
      data-testid="restore-plan"
      data-current={current}
    >
      <div className="panel-header">
        <h2 id={`${id}-title`}>Confirm the restore</h2>
        <span className="muted">
          {plan.client} · image of {formatDateTime(plan.createdAt * 1000)}{' '}
          <code className="small">{plan.backupId}</code>
        </span>
      </div>
      <p>
        {plan.target.kind === 'original' ? (
          <>
            Back to the <strong>original location</strong>
            {plan.overwrite ? ', replacing the files there' : ''}.
          </>
        ) : (
          <>
            Into <code data-testid="restore-plan-folder">{plan.target.folder}</code>.
          </>
        )}{' '}
        {plan.vm ? (
          <>
            {plan.vm.name !== plan.vm.originalName ? (
              <>
                VM <strong>{plan.vm.originalName}</strong> becomes <strong>{plan.vm.name}</strong>
              </>
            ) : (
              <>
                VM <strong>{plan.vm.name}</strong>
              </>
            )}
            , as a {CONFIG_KIND_LABELS[plan.vm.kind]}, {plan.vm.cpus} CPU
            {plan.vm.cpus === 1 ? '' : 's'}, {plan.vm.memoryMB.toLocaleString('en-US')} MiB,{' '}
            {plan.vm.idKept ? 'same ID' : 'a new ID'} <code className="small">{plan.vm.id}</code>
            {plan.vm.networkAdapters.length > 0 ? (
              <>
                , adapters on{' '}
                {plan.vm.networkAdapters
                  .map((a) => `${a.network ?? 'no network'}${a.mac ? ` (${a.mac})` : ''}`)
                  .join(', ')}
              </>
            ) : null}
            {plan.vm.droppedAdapters.length > 0 ? (
              <>; {plan.vm.droppedAdapters.length} adapter(s) left out</>
            ) : null}
            .
          </>
        ) : (
          <>Disks only: no VM configuration is written.</>
        )}
      </p>

      <div className="restore-plan-columns">
        <div>
          <h3>
            Read from the storage unit{' '}
            <span className="muted">({formatBytes(plan.readBytes)}, every block checked)</span>
          </h3>
          <table className="table table-compact" data-testid="restore-plan-reads">
            <thead>
              <tr>
                <th scope="col">#</th>
                <th scope="col">Disk</th>
                <th scope="col" className="num">
                  Size
                </th>
                <th scope="col" className="num">
                  Data
                </th>
              </tr>
            </thead>
            <tbody>
              {plan.reads.map((read) => (
                <tr key={read.position}>
                  <td>{read.position}</td>
                  <td className="path-cell" title={read.sourcePath}>
                    {read.name}
                  </td>
                  <td className="num">{formatBytes(read.virtualSize)}</td>
                  <td className="num">{formatBytes(read.dataBytes)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        <div>
          <h3>
            Written <span className="muted">(about {formatBytes(plan.writeBytes)})</span>
          </h3>
          <table className="table table-compact" data-testid="restore-plan-files">
            <thead>
              <tr>
                <th scope="col">File</th>
                <th scope="col">Format</th>
                <th scope="col" className="num">
                  Size
                </th>
                <th scope="col" />
              </tr>
            </thead>
            <tbody>
              {plan.files.map((file) => (
                <tr
                  key={file.path}
                  data-testid="restore-plan-file"
                  data-action={file.action}
                  data-kind={file.kind}
                  data-path={file.path}
                >
                  <td className="path-cell mono small">{file.path}</td>
                  <td>
                    {file.format
                      ? RESTORE_FORMAT_LABELS[file.format]
                      : plan.vm
                        ? CONFIG_KIND_LABELS[plan.vm.kind]
                        : 'configuration'}
                  </td>
                  <td className="num">{file.action === 'keep' ? '—' : formatBytes(file.bytes)}</td>
                  <td>
                    <span className={`badge ${ACTION_BADGES[file.action]}`}>
                      {ACTION_LABELS[file.action]}
                    </span>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </div>

      {replacing.length > 0 ? (
        <div className="warning-box" data-testid="restore-plan-replaced">
          <strong>
            {replacing.length === 1
              ? 'This file is replaced'
              : `${replacing.length} files are replaced`}
          </strong>
          <ul>
            {replacing.map((file) => (
              <li key={file.path} className="mono small">
                {file.path}
              </li>
            ))}
          </ul>
        </div>
      ) : null}
      {plan.warnings.length > 0 ? (
        <div className="warning-box" data-testid="restore-plan-warnings">
          <strong>Warnings</strong>
          <ul>
            {plan.warnings.map((warning) => (
              <li key={warning}>{warning}</li>
            ))}
          </ul>
        </div>
      ) : null}
      <NotesPanel
        notes={plan.notes}
        title="Maintenance after the restore"
        testId="restore-plan-notes"
      />

      {startError ? (
        <ErrorBox error={startError} title="The restore did not start" testId="restore-error" />
      ) : null}
      <div className="button-row restore-plan-actions">
        <button
          type="button"
          className={plan.target.kind === 'original' ? 'button-danger' : 'button-primary'}
          disabled={!current || !confirmed || starting}
          onClick={() => outcome.ok && void start(outcome.request)}
          data-testid="restore-start"
        >
          {starting
            ? 'Starting…'
            : plan.target.kind === 'original'
              ? 'Overwrite and restore'
              : 'Restore'}
        </button>
        {!current ? (
          <span className="field-hint" role="status" data-testid="restore-plan-stale">
            The form changed since this preview: preview again to restore.
          </span>
        ) : !confirmed ? (
          <span className="field-hint" role="status">
            Confirm the overwrite in the form first.
          </span>
        ) : null}
      </div>
    </section>
  );
}

const NOTE_KIND_LABELS: Readonly<Record<MaintenanceNote['kind'], string>> = {
  register: 'Register',
  'new-id': 'New IDs',
  'same-id': 'Same ID',
  network: 'Network',
  mac: 'MAC addresses',
  'disk-format': 'Disk format',
  'disk-paths': 'Disk paths',
  defaults: 'Defaults',
  checkpoints: 'Checkpoints',
  'disks-only': 'Disks only',
  replaced: 'Replaced',
};

/** The seed's "Virtual machine maintenance after a restore": what to do once files are back. */
export function NotesPanel({
  notes,
  title,
  testId,
}: {
  readonly notes: readonly MaintenanceNote[];
  readonly title: string;
  readonly testId: string;
}) {
  if (notes.length === 0) return null;
  return (
    <div className="restore-notes" data-testid={testId}>
      <h3>{title}</h3>
      <ul>
        {notes.map((note, index) => (
          <li key={`${note.kind}:${index}`} data-testid="restore-note" data-kind={note.kind}>
            <span className="badge badge-running">{NOTE_KIND_LABELS[note.kind] ?? note.kind}</span>{' '}
            {note.message}
          </li>
        ))}
      </ul>
    </div>
  );
}
