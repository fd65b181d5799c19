/**
 * Folder listings for the app's own folder and disk picker: the headless console has no native
 * dialog, and a browser cannot see the server's file system.
 */
import { readdir, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { DirectoryEntry, DirectoryListing } from '../../shared/api.js';
import { TesseraError } from '../../shared/errors.js';

/** More entries than a picker can show usefully; the rest are left out. */
const MAX_ENTRIES = 5000;

export async function listDirectory(requested?: string): Promise<DirectoryListing> {
  const dir = path.resolve(requested ?? os.homedir());
  let names;
  try {
    names = await readdir(dir, { withFileTypes: true });
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT' ? 'does not exist' : code === 'ENOTDIR' ? 'is not a folder' : code;
    throw new TesseraError('BAD_REQUEST', `cannot list ${dir}: it ${why ?? 'cannot be read'}`, {
      cause,
    });
  }
  const entries: DirectoryEntry[] = [];
  for (const entry of names.slice(0, MAX_ENTRIES)) {
    const full = path.join(dir, entry.name);
    // Symbolic links are followed, as a file dialog does; a dangling one is left out.
    const info = entry.isSymbolicLink() ? await stat(full).catch(() => null) : entry;
    if (!info) continue;
    if (info.isDirectory()) entries.push({ name: entry.name, kind: 'directory', size: null });
    else if (info.isFile()) {
      const size = (await stat(full).catch(() => null))?.size ?? null;
      entries.push({ name: entry.name, kind: 'file', size });
    }
  }
  entries.sort((a, b) =>
    a.kind === b.kind ? a.name.localeCompare(b.name) : a.kind === 'directory' ? -1 : 1,
  );
  const parent = path.dirname(dir);
  return { path: dir, parent: parent === dir ? null : parent, entries };
}
