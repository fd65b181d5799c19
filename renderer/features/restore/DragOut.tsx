import type { ImageRow } from '../../../shared/images';
import { api } from '../../api/client';
import { formatPercent } from '../../lib/format';
import { useActivity } from '../activity/store';
import { hashOf } from '../app/router';
import { dragOutKey, useDragOut } from './drag-out';

/**
 * Drag-out to the file manager, for a disk row or (position null) the VM header: "Prepare to
 * drag out" stages the restore, then "Drag to a folder" is dragged onto the desktop or a
 * folder window. Desktop shell only: renders nothing in the console.
 */
export function DragOut({
  image,
  position,
  what,
}: {
  readonly image: ImageRow;
  readonly position: number | null;
  /** "disk 0, web01.qcow2" or "web01": for titles. */
  readonly what: string;
}) {
  const staged = useDragOut((state) => state.staged[dragOutKey(image.backupId, position)]);
  const prepare = useDragOut((state) => state.prepare);
  const jobId = staged?.jobId ?? null;
  const live = useActivity((state) => (jobId !== null ? state.progress[jobId] : undefined));
  const startDrag = api().startDrag;
  if (!startDrag) return null;

  if (staged?.state === 'ready') {
    return (
      <span
        className="button-small restore-drag-source"
        // Inline flex, so the grip (a flex item in the VM header) keeps its size in a row too.
        style={{ display: 'inline-flex', alignItems: 'center', gap: 6 }}
        draggable
        onDragStart={(event) => {
          // The native drag replaces the page's own (and the row's drag-to-restore).
          event.preventDefault();
          event.stopPropagation();
          startDrag(staged.paths);
        }}
        title={[
          `Drag ${what} onto a folder of your file manager (or the desktop):`,
          `it goes there from ${staged.folder}.`,
          position === null
            ? 'A libvirt or Hyper-V configuration names its disks by full path: point it at' +
              ' the new place after the drop.'
            : '',
        ].join(' ')}
        data-testid="restore-drag-out"
        data-path={staged.paths[0]}
      >
        <span className="drag-grip" aria-hidden="true" />
        Drag to a folder
      </span>
    );
  }
  if (staged?.state === 'staging') {
    return (
      <span className="muted small" role="status" data-testid="restore-drag-out-staging">
        Preparing
        {live && live.totalBytes > 0
          ? ` ${formatPercent(live.doneBytes / live.totalBytes)}`
          : ''}…{' '}
        {jobId !== null ? (
          <a href={hashOf({ screen: 'activity', item: String(jobId) })}>job {jobId}</a>
        ) : null}
      </span>
    );
  }
  return (
    <span>
      <button
        type="button"
        className="button-small"
        onClick={() => void prepare(image, position)}
        title={`Restore ${what} into a temporary folder, to drag it out to your file manager`}
        data-testid="restore-drag-out-prepare"
      >
        Prepare to drag out
      </button>
      {staged?.state === 'failed' ? (
        <span className="small" role="alert" data-testid="restore-drag-out-error">
          {' '}
          Could not prepare: {staged.error}
        </span>
      ) : null}
    </span>
  );
}
