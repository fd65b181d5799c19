import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** The repository root, where the CLI's sources and node_modules (tsx) are. */
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** tsx's loader by absolute URL, so the CLI starts from any working directory. */
const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

export interface CliResult {
  code: number | null;
  /** Set when the process was ended by a signal (SIGKILL ...). */
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  /** Extra environment variables, on top of this process's environment. */
  readonly env?: NodeJS.ProcessEnv;
  /** Working directory (default: the repository root). */
  readonly cwd?: string;
  /** Called once the child is spawned, e.g. to interrupt or kill it. */
  readonly onSpawn?: (child: ChildProcess) => void;
}

/**
 * Runs the real `tessera` entry point in a child process, as a user's shell would. The
 * child is node itself (tsx is loaded in-process), so a signal sent to it reaches the CLI.
 */
export function tessera(args: readonly string[], options: CliOptions = {}): Promise<CliResult> {
  const { env, cwd, onSpawn } = options;
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', TSX, path.join(repoRoot, 'electron/cli/main.ts'), ...args],
      {
        cwd: cwd ?? repoRoot,
        env: env ? { ...process.env, ...env } : process.env,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
    onSpawn?.(child);
  });
}
