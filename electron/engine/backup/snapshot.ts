import { constants } from 'node:fs';
import { copyFile, rm } from 'node:fs/promises';
import path from 'node:path';

export type SnapshotResult =
  | { readonly kind: 'clone'; readonly path: string }
  | { readonly kind: 'live'; readonly reason: string };

/** Errors that mean "this file system cannot clone", as opposed to a real failure. */
const NO_CLONE = new Set(['EOPNOTSUPP', 'ENOTSUP', 'EXDEV', 'EINVAL', 'ENOSYS', 'ENOTTY']);

/**
 * Takes an instant copy-on-write clone of a disk file beside it (a clone must stay on the same
 * file system, and beside the original a differencing disk's relative parent locator still
 * resolves). COPYFILE_FICLONE_FORCE never falls back to a slow full copy: where the file
 * system cannot clone (ext4, tmpfs, NTFS), the caller reads the live disk and warns.
 */
export async function snapshotDisk(diskPath: string, tag: string): Promise<SnapshotResult> {
  const clone = path.join(
    path.dirname(diskPath),
    `.${path.basename(diskPath)}.tessera-snapshot-${tag}`,
  );
  try {
    await copyFile(diskPath, clone, constants.COPYFILE_FICLONE_FORCE | constants.COPYFILE_EXCL);
    return { kind: 'clone', path: clone };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? '';
    await rm(clone, { force: true }).catch(() => undefined);
    if (NO_CLONE.has(code)) {
      return {
        kind: 'live',
        reason: `the file system of ${path.dirname(diskPath)} cannot make copy-on-write clones (${code})`,
      };
    }
    return { kind: 'live', reason: `the clone of ${diskPath} failed (${code || String(error)})` };
  }
}

export async function dropSnapshot(clonePath: string): Promise<void> {
  await rm(clonePath, { force: true });
}
