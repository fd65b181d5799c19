import { useId } from 'react';
import type { ImageRow } from '../../../shared/images';
import { EmptyState } from '../../components/EmptyState';
import { formatBytes, formatDateTime, formatRelative } from '../../lib/format';
import { useNow } from '../../lib/useNow';
import { hashOf, navigate } from '../app/router';
import { ChangeBar } from './ChangeBar';
import { useRestore } from './store';
import { changeOf, vmNameOf } from './vm-metadata';

/** Start of a local day ("YYYY-MM-DD") in Unix seconds; null for an empty input. */
function dayStart(day: string): number | null {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day)) return null;
  const [y, m, d] = day.split('-').map(Number);
  return new Date(y!, m! - 1, d!).getTime() / 1000;
}

/** Images inside the range; both ends are whole local days, "to" included. */
export function inRange(image: ImageRow, range: { from: string; to: string }): boolean {
  const from = dayStart(range.from);
  const to = dayStart(range.to);
  if (from !== null && image.createdAt < from) return false;
  if (to !== null && image.createdAt >= to + 86400) return false;
  return true;
}

export const SYNTHETIC_FULL_HELP =
  'An Accelerator image: only the blocks that changed were read and stored, the rest are linked to earlier images. It is still a complete image (a synthetic full): it restores on its own.';

interface ImageTimelineProps {
  readonly client: string;
  /** The client's images, newest first. */
  readonly images: readonly ImageRow[];
  readonly selected: string | null;
}

/** A client's images, newest first, within the date range. */
export function ImageTimeline({ client, images, selected }: ImageTimelineProps) {
  const range = useRestore((state) => state.range);
  const setRange = useRestore((state) => state.setRange);
  const now = useNow();
  const id = useId();
  const shown = images.filter((image) => inRange(image, range));
  const vmName = vmNameOf(images[0]!);

  return (
    <section className="panel restore-timeline" aria-labelledby={`${id}-title`}>
      <div className="panel-header">
        <h2 id={`${id}-title`}>
          Images of {vmName}{' '}
          <span className="muted">
            (
            {shown.length === images.length ? images.length : `${shown.length} of ${images.length}`}
            )
          </span>
        </h2>
        <div className="field-row restore-range" role="group" aria-label="Date range">
          <label htmlFor={`${id}-from`}>From</label>
          <input
            id={`${id}-from`}
            type="date"
            value={range.from}
            max={range.to || undefined}
            onChange={(event) => setRange({ ...range, from: event.target.value })}
            data-testid="restore-range-from"
          />
          <label htmlFor={`${id}-to`}>to</label>
          <input
            id={`${id}-to`}
            type="date"
            value={range.to}
            min={range.from || undefined}
            onChange={(event) => setRange({ ...range, to: event.target.value })}
            data-testid="restore-range-to"
          />
          {range.from || range.to ? (
            <button
              type="button"
              className="button-small"
              onClick={() => setRange({ from: '', to: '' })}
              data-testid="restore-range-clear"
            >
              Any date
            </button>
          ) : null}
        </div>
      </div>
      {shown.length === 0 ? (
        <EmptyState title="No images in this date range" testId="restore-range-empty">
          {vmName} has {images.length === 1 ? 'one image' : `${images.length} images`}, none between
          those dates. Widen the range, or choose “Any date”.
        </EmptyState>
      ) : (
        <table className="table table-compact" data-testid="restore-timeline">
          <thead>
            <tr>
              <th scope="col">Created</th>
              <th scope="col">Kind</th>
              <th scope="col">Status</th>
              <th scope="col" className="num">
                Read
              </th>
              <th scope="col" className="num">
                Stored
              </th>
              <th scope="col">
                <span title="Blocks read and stored anew by this image, vs. blocks linked to earlier images">
                  Changed / linked
                </span>
              </th>
              <th scope="col">Expires</th>
            </tr>
          </thead>
          <tbody>
            {shown.map((image) => {
              const change = changeOf(image.disks);
              const item = `${client}/${image.backupId}`;
              return (
                <tr
                  key={image.backupId}
                  className="selectable"
                  aria-selected={image.backupId === selected}
                  data-testid="restore-image"
                  data-backup-id={image.backupId}
                  data-kind={image.kind}
                  // The date link is the keyboard way in; the row is a bigger mouse target.
                  onClick={() => navigate('restore', item)}
                >
                  <td>
                    <a
                      href={hashOf({ screen: 'restore', item })}
                      title={image.backupId}
                      data-testid="restore-image-link"
                    >
                      {formatDateTime(image.createdAt * 1000)}
                    </a>
                    <span className="muted small restore-timeline-ago">
                      {formatRelative(image.createdAt * 1000, now)}
                    </span>
                  </td>
                  <td>
                    {image.kind === 'full' ? (
                      <span className="badge badge-none" title="Every block was read and stored">
                        full
                      </span>
                    ) : (
                      <span className="badge badge-running" title={SYNTHETIC_FULL_HELP}>
                        synthetic full
                      </span>
                    )}
                  </td>
                  <td>
                    <span
                      className="badge badge-ok"
                      title="A committed image: every disk can be restored from it, each block checked against its digest"
                    >
                      Restorable
                    </span>
                  </td>
                  <td className="num">{formatBytes(image.bytesRead)}</td>
                  <td className="num">{formatBytes(image.bytesStored)}</td>
                  <td>
                    <ChangeBar changed={change.changedBytes} linked={change.linkedBytes} />
                  </td>
                  <td>
                    {image.expiresAt === null ? (
                      <span className="muted">kept</span>
                    ) : (
                      formatDateTime(image.expiresAt * 1000)
                    )}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </section>
  );
}
