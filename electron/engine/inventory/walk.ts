/**
 * Walks a folder tree for the sources that search folders. Deterministic (entries sorted by
 * name), bounded in depth, and never follows a symbolic link to a folder (so a link loop cannot
 * trap it); links to files are followed. A folder that cannot be read is reported through
 * `onError` and skipped, and the walk goes on.
 */
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';

/** Deeper than any real VM store; stops a runaway walk over a whole volume. */
export const MAX_WALK_DEPTH = 16;

export interface FolderListing {
  /** Absolute path of the folder. */
  readonly dir: string;
  /** Absolute paths of the regular files in it (and links to files), sorted. */
  readonly files: readonly string[];
  /** Absolute paths of its sub-folders (not links to folders), sorted. */
  readonly subdirs: readonly string[];
}

/** Lists one folder; throws what readdir throws. */
export async function listFolder(dir: string): Promise<FolderListing> {
  const entries = await readdir(dir, { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const files: string[] = [];
  const subdirs: string[] = [];
  for (const entry of entries) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) subdirs.push(full);
    else if (entry.isFile()) files.push(full);
    else if (entry.isSymbolicLink() || entry.isBlockDevice()) {
      const target = await stat(full).catch(() => null);
      if (target?.isFile()) files.push(full);
    }
  }
  return { dir, files, subdirs };
}

/** Every folder under `root` (itself included, parents before children), up to `maxDepth`. */
export async function walkTree(
  root: string,
  onError: (dir: string, error: unknown) => void,
  maxDepth = MAX_WALK_DEPTH,
): Promise<FolderListing[]> {
  const listings: FolderListing[] = [];
  const visit = async (dir: string, depth: number): Promise<void> => {
    let listing: FolderListing;
    try {
      listing = await listFolder(dir);
    } catch (error) {
      onError(dir, error);
      return;
    }
    listings.push(listing);
    if (depth >= maxDepth) return;
    for (const subdir of listing.subdirs) await visit(subdir, depth + 1);
  };
  await visit(path.resolve(root), 0);
  return listings;
}
