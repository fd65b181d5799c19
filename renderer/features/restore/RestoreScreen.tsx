import { useEffect, useMemo } from 'react';
import { EmptyState } from '../../components/EmptyState';
import { ErrorBox } from '../../components/ErrorBox';
import { useRouter } from '../app/router';
import { ClientList } from './ClientList';
import { DropZone } from './DropZone';
import { ImageBrowser } from './ImageBrowser';
import { ImageTimeline } from './ImageTimeline';
import { RestoreForm } from './RestoreForm';
import { RestoreJobPanel } from './RestoreJobPanel';
import { RestorePlanView } from './RestorePlanView';
import { useRestore } from './store';

/** "web01/web01_1700000000" -> its client and backup ID; "web01" -> the client only. */
function selectionOf(item: string | null): { client: string | null; backupId: string | null } {
  if (item === null) return { client: null, backupId: null };
  const slash = item.indexOf('/');
  if (slash < 0) return { client: item, backupId: null };
  return { client: item.slice(0, slash), backupId: item.slice(slash + 1) || null };
}

/**
 * The Backup, Archive and Restore browser: a client, an image from its timeline, what the
 * image holds, then where it goes (with a preview of the plan before anything is written).
 */
export function RestoreScreen() {
  const images = useRestore((state) => state.images);
  const error = useRestore((state) => state.error);
  const load = useRestore((state) => state.load);
  const openImage = useRestore((state) => state.openImage);
  const jobId = useRestore((state) => state.jobId);
  const routeItem = useRouter((state) => state.route.item);
  const { client, backupId } = selectionOf(routeItem);

  useEffect(() => {
    void load();
  }, [load]);

  const clientImages = useMemo(
    () => (images ?? []).filter((image) => image.client === client),
    [images, client],
  );
  const image = clientImages.find((i) => i.backupId === backupId) ?? null;

  useEffect(() => {
    if (image) openImage(image);
  }, [image, openImage]);

  return (
    <div className="screen restore-screen">
      <header className="screen-header">
        <h1>Restore</h1>
        <span className="spacer" />
        <button type="button" onClick={() => void load()} data-testid="restore-refresh">
          Refresh
        </button>
      </header>
      <p className="screen-intro">
        Pick a VM and one of its backup images, look at what it holds, then restore it: to where it
        was, or to another folder with a new name, new IDs and other disk formats. Every block is
        checked against its digest as it is written back.
      </p>
      {error ? (
        <ErrorBox error={error} title="The backup images did not load" onRetry={load} />
      ) : null}
      {images === null ? (
        error ? null : (
          <p className="muted">Loading…</p>
        )
      ) : images.length === 0 ? (
        <section className="panel">
          <EmptyState title="Nothing to restore yet" testId="restore-empty">
            Restores start from a backup image, and there is none yet. Back up a VM first: use{' '}
            <a href="#/dashboard">Back up now</a> on the Dashboard.
          </EmptyState>
        </section>
      ) : (
        <>
          <div className="restore-top">
            <ClientList images={images} selected={client} />
            {client === null ? (
              <section className="panel">
                <EmptyState title="Pick a VM">
                  Choose a VM on the left to see the timeline of its backup images.
                </EmptyState>
              </section>
            ) : clientImages.length === 0 ? (
              <section className="panel">
                <EmptyState title={`No images of ${client}`} testId="restore-client-missing">
                  The storage unit holds no image of this client (it may have expired). Pick another
                  VM on the left.
                </EmptyState>
              </section>
            ) : (
              <ImageTimeline client={client} images={clientImages} selected={backupId} />
            )}
          </div>
          {backupId !== null && clientImages.length > 0 && !image ? (
            <div className="warning-box" data-testid="restore-image-missing">
              Image <code>{backupId}</code> is not in the storage unit (any more). Pick another
              image from the timeline.
            </div>
          ) : null}
          {image ? (
            <>
              {/* The drop zone beside what is dragged: both in view at once. */}
              <div className="restore-columns">
                <ImageBrowser image={image} />
                <DropZone image={image} />
              </div>
              <RestoreForm image={image} />
              <RestorePlanView image={image} />
            </>
          ) : null}
          {jobId !== null ? <RestoreJobPanel jobId={jobId} /> : null}
        </>
      )}
    </div>
  );
}
