import { useEffect, useState } from 'react';
import { ConfirmButton } from '../../components/ConfirmButton';
import { ErrorBox } from '../../components/ErrorBox';
import { StorageTiles } from '../dashboard/StorageTiles';
import { ImagesTable } from './ImagesTable';
import { MaintenanceReports } from './MaintenanceReports';
import { useStorage } from './store';

export function StorageScreen() {
  const summary = useStorage((state) => state.summary);
  const images = useStorage((state) => state.images);
  const error = useStorage((state) => state.error);
  const busy = useStorage((state) => state.busy);
  const load = useStorage((state) => state.load);
  const verify = useStorage((state) => state.verify);
  const collectGarbage = useStorage((state) => state.collectGarbage);
  const expire = useStorage((state) => state.expire);
  const [selected, setSelected] = useState<ReadonlySet<string>>(new Set());

  useEffect(() => {
    void load();
  }, [load]);

  // Images that went away (expired) leave the selection.
  useEffect(() => {
    if (!images) return;
    const present = new Set(images.map((image) => image.backupId));
    setSelected((current) => new Set([...current].filter((id) => present.has(id))));
  }, [images]);

  const hasImages = (images?.length ?? 0) > 0;
  const selectedIds = [...selected];

  return (
    <div className="screen">
      <header className="screen-header">
        <h1>Storage</h1>
      </header>
      {error ? (
        <ErrorBox error={error} title="The storage unit did not load" onRetry={load} />
      ) : null}
      {summary ? <StorageTiles storage={summary} /> : null}
      <section className="panel" aria-labelledby="maintenance-title">
        <h2 id="maintenance-title">Maintenance</h2>
        <div className="button-row">
          <button
            type="button"
            disabled={busy !== null || !hasImages}
            onClick={() => void verify()}
            data-testid="verify-all"
          >
            {busy === 'verify' ? 'Verifying…' : 'Verify all'}
          </button>
          <button
            type="button"
            disabled={busy !== null || selected.size === 0}
            onClick={() => void verify(selectedIds)}
            data-testid="verify-selected"
          >
            Verify selected ({selected.size})
          </button>
          <button
            type="button"
            disabled={busy !== null}
            onClick={() => void collectGarbage()}
            data-testid="gc-run"
          >
            {busy === 'gc' ? 'Collecting…' : 'Collect garbage'}
          </button>
          <ConfirmButton
            label={busy === 'expire' ? 'Expiring…' : 'Expire due images'}
            title="Expire the images past their retention?"
            confirmLabel="Expire"
            disabled={busy !== null || !hasImages}
            testId="expire-due"
            onConfirm={() => expire()}
          >
            <p>
              Every image whose schedule&apos;s retention has passed is removed from the catalog.
              Run garbage collection afterwards to reclaim their space. This cannot be undone.
            </p>
          </ConfirmButton>
          <ConfirmButton
            label="Expire selected"
            title={`Expire ${selected.size} selected image(s)?`}
            confirmLabel="Expire"
            disabled={busy !== null || selected.size === 0}
            testId="expire-selected"
            onConfirm={() => expire(selectedIds)}
          >
            <p>These images are removed now, whatever their retention:</p>
            <ul className="mono small">
              {selectedIds.map((id) => (
                <li key={id}>{id}</li>
              ))}
            </ul>
            <p>This cannot be undone.</p>
          </ConfirmButton>
        </div>
        <p className="field-hint">
          Verify reads every block of the images and checks its digest. Garbage collection deletes
          blocks no image uses any more. Expire removes images past their retention.
        </p>
        <MaintenanceReports />
      </section>
      <ImagesTable images={images} selected={selected} onSelect={setSelected} />
    </div>
  );
}
