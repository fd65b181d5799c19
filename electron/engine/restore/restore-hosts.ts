import type { Worker } from 'node:worker_threads';
import { TesseraError } from '../../../shared/errors.js';
import type { FetchWindow, RestoreHostReport } from '../hosts/restore-messages.js';
import { defaultHostCount } from '../hosts/host-pool.js';
import { spawnHost } from '../hosts/spawn-host.js';

/** A filled window: block i at i × blockSize; `runs` are [start, end) pairs of checked bytes. */
export interface FetchedWindow {
  readonly buffer: ArrayBuffer;
  readonly runs: readonly number[];
}

export type WindowRequest = Omit<FetchWindow, 'type' | 'id'>;

interface Pending {
  readonly host: number;
  resolve(window: FetchedWindow): void;
  reject(error: TesseraError): void;
}

/**
 * Restore host workers started ahead of a restore, idle (unref'd: they keep no process
 * alive) until RestoreHosts takes them. A worker takes 70-100 ms to load its modules here;
 * the CLI starts them before it loads the engine's service (about 130 ms), so a restore finds
 * them ready instead of waiting for them.
 */
const warm: Worker[] = [];

/** Starts `count` restore hosts (default one per core) for the next restore to take. */
export function warmRestoreHosts(count = defaultHostCount()): void {
  while (warm.length < count) {
    const worker = spawnHost('restore-host');
    worker.unref();
    // A warm host that dies is simply not taken; its error must not go unhandled meanwhile.
    worker.on('error', () => undefined);
    worker.once('exit', () => {
      const at = warm.indexOf(worker);
      if (at >= 0) warm.splice(at, 1);
    });
    warm.push(worker);
  }
}

/** Restore hosts started ahead and not taken yet. */
export function warmRestoreHostCount(): number {
  return warm.length;
}

/** A warm restore host if one is up, else a new one. */
function takeHost(): Worker {
  const worker = warm.shift();
  if (!worker) return spawnHost('restore-host');
  worker.removeAllListeners('error');
  worker.removeAllListeners('exit');
  worker.ref();
  return worker;
}

/**
 * Restore hosts: worker threads that look up, read, decode and check the blocks of a window
 * of a disk being restored, for one storage unit.
 */
export class RestoreHosts {
  private readonly workers: Worker[] = [];
  private readonly pending = new Map<number, Pending>();
  private readonly load: number[];
  /** Why each host stopped, once it has (the engine's windows go to the others). */
  private readonly failures: Array<string | null>;
  private nextId = 0;
  private closing = false;

  constructor(count: number, storeDir: string) {
    this.load = new Array<number>(count).fill(0);
    this.failures = new Array<string | null>(count).fill(null);
    for (let host = 0; host < count; host++) {
      const worker = takeHost();
      worker.on('message', (report: RestoreHostReport) => this.settle(report));
      worker.on('error', (error) =>
        this.failHost(host, `restore host ${host} failed: ${error.message}`),
      );
      worker.on('exit', (code) => {
        if (!this.closing)
          this.failHost(host, `restore host ${host} stopped unexpectedly (exit code ${code})`);
      });
      worker.postMessage({ type: 'open', storeDir });
      this.workers.push(worker);
    }
  }

  /** Fills a window on the least busy host; a buffer given is moved to it, not copied. */
  fetch(window: WindowRequest): Promise<FetchedWindow> {
    const host = this.load.indexOf(Math.min(...this.load));
    const failure = this.failures[host];
    if (failure) return Promise.reject(new TesseraError('HOST_FAILED', failure));
    const id = this.nextId++;
    this.load[host]!++;
    return new Promise<FetchedWindow>((resolve, reject) => {
      this.pending.set(id, { host, resolve, reject });
      const request: FetchWindow = { type: 'fetch', id, ...window };
      this.workers[host]!.postMessage(request, window.buffer ? [window.buffer] : []);
    });
  }

  private settle(report: RestoreHostReport): void {
    const pending = this.pending.get(report.id);
    if (!pending) return;
    this.pending.delete(report.id);
    this.load[pending.host]!--;
    if (report.type === 'fetched') pending.resolve({ buffer: report.buffer, runs: report.runs });
    else pending.reject(new TesseraError(report.error.code, report.error.message));
  }

  private failHost(host: number, message: string): void {
    this.failures[host] ??= message;
    this.load[host] = Number.POSITIVE_INFINITY;
    for (const [id, pending] of this.pending) {
      if (pending.host !== host) continue;
      this.pending.delete(id);
      pending.reject(new TesseraError('HOST_FAILED', message));
    }
  }

  async close(): Promise<void> {
    this.closing = true;
    await Promise.all(this.workers.map((worker) => worker.terminate()));
  }
}
