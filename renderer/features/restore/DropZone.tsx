import { useEffect, useId, useState } from 'react';
import type { ApiCallError, DirectoryListing } from '../../../shared/api';
import type { ImageRow } from '../../../shared/images';
import { api } from '../../api/client';
import { ErrorBox } from '../../components/ErrorBox';
import { PathField } from '../../components/PathField';
import { asApiError } from '../../lib/errors';
import { useDebounced } from '../../lib/useDebounced';
import { carriesRestore, joinPath, restorePayloadOf } from './drag';
import { useRestore } from './store';

/**
 * Drag-to-restore: drop the VM or a disk of the browsed image on the destination folder (or
 * one of its folders) and the form gets that folder and that selection, then previews.
 */
export function DropZone({ image }: { readonly image: ImageRow }) {
  const dropFolder = useRestore((state) => state.dropFolder);
  const setDropFolder = useRestore((state) => state.setDropFolder);
  const restoreToFolder = useRestore((state) => state.restoreToFolder);
  const draft = useRestore((state) => state.draft);
  const [listing, setListing] = useState<DirectoryListing | null>(null);
  const [error, setError] = useState<ApiCallError | null>(null);
  const [over, setOver] = useState<string | null>(null);
  const settled = useDebounced(dropFolder.trim(), 300);
  const id = useId();

  useEffect(() => {
    let live = true;
    api()
      .call('fs.list', settled ? { path: settled } : {})
      .then(
        (next) => {
          if (!live) return;
          setListing(next);
          setError(null);
          // The server's default (the home folder) starts the destination, unless one was
          // typed while it was on its way.
          if (!settled && useRestore.getState().dropFolder.trim() === '') setDropFolder(next.path);
        },
        (failure: unknown) => {
          if (!live) return;
          setListing(null);
          setError(asApiError(failure));
        },
      );
    return () => {
      live = false;
    };
  }, [settled, setDropFolder]);

  const folders = listing?.entries.filter((entry) => entry.kind === 'directory') ?? [];
  const selectionCount = draft?.backupId === image.backupId ? draft.positions.length : 0;

  const dropHandlers = (folder: string) => ({
    onDragOver: (event: React.DragEvent) => {
      if (!carriesRestore(event)) return;
      event.preventDefault();
      event.stopPropagation();
      event.dataTransfer.dropEffect = 'copy';
      if (over !== folder) setOver(folder);
    },
    onDragLeave: (event: React.DragEvent) => {
      // Leaving for a child of the same target is no leave.
      if (event.currentTarget.contains(event.relatedTarget as Node | null)) return;
      if (over === folder) setOver(null);
    },
    onDrop: (event: React.DragEvent) => {
      const payload = restorePayloadOf(event);
      setOver(null);
      if (!payload) return;
      event.preventDefault();
      event.stopPropagation();
      void restoreToFolder(payload, folder);
    },
  });

  const here = listing?.path ?? dropFolder.trim();
  return (
    <section className="panel restore-drop" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>Drag to restore</h2>
      <p className="field-hint">
        Drag the VM (its header) or a disk row from the image onto this folder, or onto one of its
        folders: the form takes the folder and what you dropped, and shows the plan. Nothing is
        written before you confirm.
      </p>
      <PathField
        id={`${id}-folder`}
        value={dropFolder}
        onChange={setDropFolder}
        pickerTitle="Choose the folder to restore into"
        testId="restore-drop-folder"
      />
      <div
        className={`restore-drop-zone${over === here ? ' restore-drop-over' : ''}`}
        data-testid="restore-drop-zone"
        data-path={here}
        {...(here ? dropHandlers(here) : {})}
      >
        <div className="restore-drop-here">
          <span className="picker-icon picker-icon-folder" aria-hidden="true" />
          <span className="mono small restore-drop-path">{here || '…'}</span>
        </div>
        <div className="restore-drop-label">Drop here to restore</div>
        {error ? <ErrorBox error={error} testId="restore-drop-error" /> : null}
        <ul className="restore-drop-list" aria-label="Folders to drop on">
          {listing?.parent ? (
            <li>
              <button
                type="button"
                className="picker-entry"
                onClick={() => setDropFolder(listing.parent!)}
                data-testid="restore-drop-up"
              >
                ↑ Up
              </button>
            </li>
          ) : null}
          {folders.map((entry) => {
            const path = joinPath(listing!.path, entry.name);
            return (
              <li
                key={entry.name}
                className={over === path ? 'restore-drop-over' : undefined}
                data-testid="restore-drop-target"
                data-path={path}
                {...dropHandlers(path)}
              >
                <button
                  type="button"
                  className="picker-entry picker-folder"
                  onClick={() => setDropFolder(path)}
                  title={`Open ${path}`}
                >
                  <span className="picker-icon picker-icon-folder" aria-hidden="true" />
                  {entry.name}
                </button>
              </li>
            );
          })}
          {listing && folders.length === 0 ? (
            <li className="muted small restore-drop-empty">No folders inside.</li>
          ) : null}
        </ul>
      </div>
      <div className="button-row">
        <button
          type="button"
          disabled={!here || selectionCount === 0}
          onClick={() => void restoreToFolder({ backupId: image.backupId, positions: null }, here)}
          data-testid="restore-drop-here"
        >
          Restore the selection here
        </button>
        <span className="field-hint">
          {selectionCount === image.disks.length
            ? 'The whole VM'
            : `${selectionCount} of ${image.disks.length} disks`}
        </span>
      </div>
    </section>
  );
}
