import type { ImageRow } from '../../../shared/images';
import { EmptyState } from '../../components/EmptyState';
import { formatBytes, formatDateTime } from '../../lib/format';

interface ImagesTableProps {
  readonly images: readonly ImageRow[] | null;
  readonly selected: ReadonlySet<string>;
  readonly onSelect: (selected: ReadonlySet<string>) => void;
}

/** Every backup image in the storage unit, newest first, selectable for verify and expire. */
export function ImagesTable({ images, selected, onSelect }: ImagesTableProps) {
  if (images === null) return <p className="muted">Loading…</p>;
  if (images.length === 0) {
    return (
      <section className="panel">
        <EmptyState title="No backup images yet" testId="images-empty">
          Images appear here after the first backup: use <a href="#/dashboard">Back up now</a> on
          the Dashboard.
        </EmptyState>
      </section>
    );
  }
  const toggle = (id: string, on: boolean) => {
    const next = new Set(selected);
    if (on) next.add(id);
    else next.delete(id);
    onSelect(next);
  };
  const allSelected = selected.size === images.length;
  return (
    <section className="panel" aria-labelledby="images-title">
      <h2 id="images-title">
        Images <span className="muted">({images.length})</span>
      </h2>
      <table className="table table-compact" data-testid="images-table">
        <thead>
          <tr>
            <th scope="col">
              <input
                type="checkbox"
                checked={allSelected}
                onChange={(event) =>
                  onSelect(
                    event.target.checked ? new Set(images.map((i) => i.backupId)) : new Set(),
                  )
                }
                aria-label="Select all images"
              />
            </th>
            <th scope="col">Backup ID</th>
            <th scope="col">Client</th>
            <th scope="col">Created</th>
            <th scope="col">Kind</th>
            <th scope="col" className="num">
              Disks
            </th>
            <th scope="col" className="num">
              Read
            </th>
            <th scope="col" className="num">
              Stored
            </th>
            <th scope="col">Expires</th>
          </tr>
        </thead>
        <tbody>
          {images.map((image) => (
            <tr key={image.backupId} data-testid="image-row" data-backup-id={image.backupId}>
              <td>
                <input
                  type="checkbox"
                  checked={selected.has(image.backupId)}
                  onChange={(event) => toggle(image.backupId, event.target.checked)}
                  aria-label={`Select ${image.backupId}`}
                  data-testid="image-select"
                />
              </td>
              <td className="mono">{image.backupId}</td>
              <td>{image.vm?.name ?? image.client}</td>
              <td>{formatDateTime(image.createdAt * 1000)}</td>
              <td>
                <span className={`badge ${image.kind === 'full' ? 'badge-none' : 'badge-running'}`}>
                  {image.kind === 'full' ? 'full' : 'accelerator'}
                </span>
              </td>
              <td className="num">{image.diskCount}</td>
              <td className="num">{formatBytes(image.bytesRead)}</td>
              <td className="num">{formatBytes(image.bytesStored)}</td>
              <td>
                {image.expiresAt === null ? (
                  <span className="muted">kept</span>
                ) : (
                  formatDateTime(image.expiresAt * 1000)
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
