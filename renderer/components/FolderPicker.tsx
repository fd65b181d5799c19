import { useCallback, useEffect, useState } from 'react';
import type { ApiCallError, DirectoryListing } from '../../shared/api';
import { api } from '../api/client';
import { asApiError } from '../lib/errors';
import { formatBytes } from '../lib/format';
import { ErrorBox } from './ErrorBox';
import { Modal } from './Modal';

interface FolderPickerProps {
  readonly title: string;
  /** Where to open; the server's default (the home folder) when absent or empty. */
  readonly initialPath?: string;
  /** 'folder' picks the folder shown; 'file' picks a file of it (e.g. a disk for a restore). */
  readonly pick?: 'folder' | 'file';
  readonly onPick: (path: string) => void;
  readonly onCancel: () => void;
}

/**
 * The in-app folder (or file) browser, for the headless console where no native dialog exists.
 * It walks the server's file system through `fs.list`, one folder at a time.
 */
export function FolderPicker({
  title,
  initialPath,
  pick = 'folder',
  onPick,
  onCancel,
}: FolderPickerProps) {
  const [listing, setListing] = useState<DirectoryListing | null>(null);
  const [error, setError] = useState<ApiCallError | null>(null);
  const [typedPath, setTypedPath] = useState(initialPath ?? '');
  const [selectedFile, setSelectedFile] = useState<string | null>(null);

  const open = useCallback(async (path: string | undefined) => {
    try {
      const next = await api().call('fs.list', path ? { path } : {});
      setListing(next);
      setTypedPath(next.path);
      setSelectedFile(null);
      setError(null);
    } catch (failure) {
      setError(asApiError(failure));
    }
  }, []);

  useEffect(() => {
    void open(initialPath || undefined);
  }, [open, initialPath]);

  const folders = listing?.entries.filter((entry) => entry.kind === 'directory') ?? [];
  const files = listing?.entries.filter((entry) => entry.kind === 'file') ?? [];
  const join = (name: string) =>
    listing ? `${listing.path.replace(/[\\/]+$/, '')}${separatorOf(listing.path)}${name}` : name;
  const chosen = pick === 'folder' ? (listing?.path ?? null) : selectedFile;

  return (
    <Modal
      title={title}
      onClose={onCancel}
      testId="folder-picker"
      wide
      footer={
        <>
          <span className="picker-chosen" data-testid="folder-picker-chosen">
            {chosen ?? (pick === 'file' ? 'Select a file' : '')}
          </span>
          <button type="button" onClick={onCancel}>
            Cancel
          </button>
          <button
            type="button"
            className="button-primary"
            disabled={chosen === null}
            data-testid="folder-picker-choose"
            onClick={() => chosen !== null && onPick(chosen)}
          >
            {pick === 'folder' ? 'Choose this folder' : 'Choose this file'}
          </button>
        </>
      }
    >
      {/* Not a <form>: the picker opens inside other forms (Add source), and forms cannot nest. */}
      <div className="picker-path">
        <button
          type="button"
          disabled={!listing?.parent}
          onClick={() => listing?.parent && void open(listing.parent)}
          aria-label="Parent folder"
          data-testid="folder-picker-up"
        >
          ↑ Up
        </button>
        <input
          type="text"
          value={typedPath}
          onChange={(event) => setTypedPath(event.target.value)}
          onKeyDown={(event) => {
            if (event.key !== 'Enter') return;
            event.preventDefault();
            void open(typedPath.trim() || undefined);
          }}
          aria-label="Folder path"
          data-testid="folder-picker-path"
          spellCheck={false}
        />
        <button type="button" onClick={() => void open(typedPath.trim() || undefined)}>
          Go
        </button>
      </div>
      {error ? <ErrorBox error={error} testId="folder-picker-error" /> : null}
      <ul className="picker-list" aria-label="Folder contents" data-testid="folder-picker-list">
        {listing && folders.length === 0 && files.length === 0 ? (
          <li className="muted picker-empty">This folder is empty.</li>
        ) : null}
        {folders.map((entry) => (
          <li key={`d:${entry.name}`}>
            <button
              type="button"
              className="picker-entry picker-folder"
              data-testid="folder-picker-entry"
              onClick={() => void open(join(entry.name))}
            >
              <span className="picker-icon picker-icon-folder" aria-hidden="true" />
              {entry.name}
              <span className="muted" aria-hidden="true">
                /
              </span>
            </button>
          </li>
        ))}
        {files.map((entry) => {
          const path = join(entry.name);
          return (
            <li key={`f:${entry.name}`}>
              <button
                type="button"
                className={`picker-entry picker-file${selectedFile === path ? ' selected' : ''}`}
                // Files are listed for orientation when picking a folder, not to be picked.
                disabled={pick === 'folder'}
                aria-pressed={pick === 'file' ? selectedFile === path : undefined}
                onClick={() => setSelectedFile(path)}
                onDoubleClick={() => onPick(path)}
              >
                <span className="picker-icon" aria-hidden="true" />
                {entry.name}
                <span className="muted">{entry.size === null ? '' : formatBytes(entry.size)}</span>
              </button>
            </li>
          );
        })}
      </ul>
    </Modal>
  );
}

/** Windows paths join with "\", the rest with "/": the server's file system decides. */
function separatorOf(path: string): string {
  return /^[A-Za-z]:\\/.test(path) || (path.includes('\\') && !path.includes('/')) ? '\\' : '/';
}
