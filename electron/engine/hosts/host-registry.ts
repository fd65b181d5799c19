import type { Worker } from 'node:worker_threads';
import { spawnHost } from './spawn-host.js';

/** How long a backup host waits idle for the next job before it is stopped. */
export const DEFAULT_HOST_IDLE_MS = 60_000;

interface IdleHost {
  readonly worker: Worker;
  readonly timer: NodeJS.Timeout;
  readonly onExit: () => void;
  readonly onError: () => void;
}

/**
 * Backup hosts that outlive a job. Starting a host costs about 0.1 s of a core (a thread, its
 * modules, their compilation), which every child job of every scheduled backup paid again; a
 * host that finished its job cleanly waits here for the next one instead, and is stopped after
 * `idleMs` without work, so an idle app holds no threads. A host whose job failed, was
 * cancelled or hung is never given back: it is terminated, and the next job starts a new one.
 */
export class HostRegistry {
  private readonly idle: IdleHost[] = [];
  private closed = false;
  private started = 0;

  constructor(
    private readonly idleMs = DEFAULT_HOST_IDLE_MS,
    private readonly spawn: () => Worker = () => spawnHost('backup-host'),
  ) {}

  /** Hosts started since the registry was made (reused ones count once). */
  get startedCount(): number {
    return this.started;
  }

  get idleCount(): number {
    return this.idle.length;
  }

  /** An idle host, or a new one. */
  take(): Worker {
    const host = this.idle.pop();
    if (host) {
      this.forget(host);
      host.worker.ref();
      return host.worker;
    }
    this.started++;
    return this.spawn();
  }

  /** Takes back a host whose job ended cleanly (its requests all answered, its disks closed). */
  give(worker: Worker): void {
    if (this.closed) {
      void worker.terminate();
      return;
    }
    const host: IdleHost = {
      worker,
      timer: setTimeout(() => {
        this.remove(host);
        void worker.terminate();
      }, this.idleMs).unref(),
      onExit: () => this.remove(host),
      // An idle host that fails is dropped; the 'error' listener keeps it from throwing here.
      onError: () => this.remove(host),
    };
    worker.once('exit', host.onExit);
    worker.on('error', host.onError);
    // Idle hosts never keep the process alive: a CLI that forgets to close still exits.
    worker.unref();
    this.idle.push(host);
  }

  /** Stops every idle host; hosts given back later are stopped at once. */
  async close(): Promise<void> {
    this.closed = true;
    const hosts = this.idle.splice(0);
    for (const host of hosts) this.forget(host);
    await Promise.all(hosts.map((host) => host.worker.terminate()));
  }

  private remove(host: IdleHost): void {
    const at = this.idle.indexOf(host);
    if (at === -1) return;
    this.idle.splice(at, 1);
    this.forget(host);
  }

  private forget(host: IdleHost): void {
    clearTimeout(host.timer);
    host.worker.off('exit', host.onExit);
    host.worker.off('error', host.onError);
  }
}
