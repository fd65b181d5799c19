/** File system questions a restore plan asks of its targets before anything is written. */
import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import path from 'node:path';

export type PathState = 'absent' | 'file' | 'folder' | 'other';

export async function pathState(file: string): Promise<PathState> {
  try {
    const info = await stat(file);
    return info.isFile() ? 'file' : info.isDirectory() ? 'folder' : 'other';
  } catch (error) {
    // ENOTDIR: a folder on the way is a file, so this path holds nothing (the writability
    // check says why nothing can be made there either).
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return 'absent';
    return 'other';
  }
}

/**
 * Why files cannot be created in `folder` (it, or the nearest folder above it that exists,
 * must be a folder this process may write to), or null when they can.
 */
export async function unwritableReason(folder: string): Promise<string | null> {
  let at = path.resolve(folder);
  for (;;) {
    const state = await pathState(at);
    if (state === 'folder') {
      const writable = await access(at, constants.W_OK | constants.X_OK).then(
        () => true,
        () => false,
      );
      if (writable) return null;
      return at === folder
        ? `the folder ${at} is not writable`
        : `${folder} cannot be created: ${at} is not writable`;
    }
    if (state === 'file' || state === 'other') {
      return `${folder} cannot be created: ${at} is not a folder`;
    }
    const parent = path.dirname(at);
    if (parent === at) return `${folder} cannot be created: no folder above it exists`;
    at = parent;
  }
}
