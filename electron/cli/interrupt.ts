/**
 * Ctrl-C: the first press cancels the running command through this signal, so a writer can
 * delete its partial image; a second press exits at once.
 */
const controller = new AbortController();

export const interruptSignal: AbortSignal = controller.signal;

export function installInterruptHandler(exitCode: number): void {
  process.on('SIGINT', () => {
    if (controller.signal.aborted) process.exit(exitCode);
    process.stderr.write(
      '\ntessera: interrupted, cleaning up (press Ctrl-C again to quit at once)\n',
    );
    controller.abort();
  });
}

export function isInterruption(error: unknown): boolean {
  return interruptSignal.aborted && (error as Error | undefined)?.name === 'AbortError';
}
