/** Reads and writes window-state.json in userData (errors only cost the remembered size). */
import { readFileSync } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseWindowState, serializeWindowState, type WindowState } from './window-state.js';

export function loadWindowState(file: string): WindowState | null {
  try {
    // Synchronous: it is read once, before the first window, and is a few bytes.
    return parseWindowState(readFileSync(file, 'utf8'));
  } catch {
    return null;
  }
}

/** Written to a temporary file and renamed, so a crash mid-write cannot leave half a file. */
export async function saveWindowState(file: string, state: WindowState): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}.tmp`;
  await writeFile(temporary, serializeWindowState(state), 'utf8');
  await rename(temporary, file);
}
