import { formatBytes, formatDuration } from './human.js';

/**
 * A one-line progress bar with rate and ETA, redrawn at most a few times a second. It draws
 * only on a terminal, so piped and --json output stays clean.
 */
export class ProgressBar {
  private readonly started = Date.now();
  private lastDraw = 0;
  private readonly enabled: boolean;

  constructor(
    private readonly label: string,
    private readonly stream: NodeJS.WriteStream = process.stderr,
  ) {
    this.enabled = Boolean(stream.isTTY);
  }

  update(done: number, total: number): void {
    if (!this.enabled) return;
    const now = Date.now();
    if (now - this.lastDraw < 200 && done < total) return;
    this.lastDraw = now;
    const elapsed = (now - this.started) / 1000;
    const rate = elapsed > 0 ? done / elapsed : 0;
    const eta = rate > 0 ? (total - done) / rate : Infinity;
    const fraction = total > 0 ? Math.min(1, done / total) : 1;
    const width = 30;
    const filled = Math.round(fraction * width);
    const bar = '#'.repeat(filled) + '-'.repeat(width - filled);
    const line =
      `${this.label} [${bar}] ${(fraction * 100).toFixed(1).padStart(5)}% ` +
      `${formatBytes(done)}/${formatBytes(total)} ${formatBytes(rate)}/s ETA ${formatDuration(eta)}`;
    this.stream.write(`\r${line.slice(0, (this.stream.columns ?? 120) - 1)}\x1b[K`);
  }

  finish(): void {
    if (this.enabled) this.stream.write('\n');
  }
}
