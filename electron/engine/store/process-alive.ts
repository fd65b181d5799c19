/**
 * Whether the process that named a temporary file still runs: its files are then in use, not
 * debris of a crash. (A signal-0 probe; EPERM means it runs under another user.)
 */
export function isProcessAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
