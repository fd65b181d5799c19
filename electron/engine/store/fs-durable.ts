import { open } from 'node:fs/promises';
import { fsyncSync, openSync, closeSync } from 'node:fs';

/** Makes a rename or unlink in `dir` durable (POSIX needs the directory itself fsynced). */
export async function fsyncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

export function fsyncDirectorySync(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
