/**
 * Finding a file a configuration names. Configurations record paths of the machine that wrote
 * them (Hyper-V: `C:\Hyper-V\VM1\Virtual Hard Disks\vm1.vhdx`; VirtualBox: relative to the
 * .vbox or absolute); VMs are routinely copied to another machine, so after the recorded path
 * the file's name is looked for in the folders where the hypervisor keeps disks.
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';

export interface Located {
  /** Absolute local path: the file found, else the first place looked. */
  readonly path: string;
  /** Null when found; otherwise why not, naming every place looked. */
  readonly missing: string | null;
}

/** True for `C:\...`, `C:/...`, `\\server\share` and `\\?\Volume{...}` paths. */
export function isWindowsAbsolute(recorded: string): boolean {
  return /^[a-z]:[\\/]/i.test(recorded) || recorded.startsWith('\\\\');
}

/** The last component of a Windows or POSIX path. */
export function baseName(recorded: string): string {
  return recorded.split(/[\\/]/).filter(Boolean).pop() ?? '';
}

/** The places to look for `recorded`, most likely first, without duplicates. */
export function candidatePaths(
  recorded: string,
  baseDir: string,
  fallbackDirs: readonly string[],
): string[] {
  const candidates: string[] = [];
  if (!isWindowsAbsolute(recorded)) {
    // A relative path may still use Windows separators (VirtualBox on Windows writes them).
    const local = path.isAbsolute(recorded) ? recorded : recorded.replace(/\\/g, '/');
    candidates.push(path.resolve(baseDir, local));
  }
  const name = baseName(recorded);
  if (name) for (const dir of fallbackDirs) candidates.push(path.resolve(dir, name));
  return [...new Set(candidates)];
}

/** Looks for the file at each candidate path in turn. */
export async function locateFile(
  recorded: string,
  baseDir: string,
  fallbackDirs: readonly string[],
): Promise<Located> {
  const candidates = candidatePaths(recorded, baseDir, fallbackDirs);
  for (const candidate of candidates) {
    if (await isFile(candidate)) return { path: candidate, missing: null };
  }
  const first = candidates[0] ?? path.resolve(baseDir, baseName(recorded) || recorded);
  return {
    path: first,
    missing: `${first}: not found (recorded as "${recorded}"); looked for ${candidates.join(', ')}`,
  };
}

async function isFile(file: string): Promise<boolean> {
  return stat(file).then(
    (info) => info.isFile() || info.isBlockDevice(),
    () => false,
  );
}
