import os from 'node:os';
import type { Worker } from 'node:worker_threads';
import { TesseraError } from '../../../shared/errors.js';
import type { HostReport, HostRequest } from './messages.js';
import type { HostRegistry } from './host-registry.js';
import { spawnHost } from './spawn-host.js';

export interface HostHandlers {
  onReport(host: number, report: HostReport): void;
  /** A host died (crashed, killed) or could not start: the job must fail. */
  onFailure(host: number, error: TesseraError): void;
}

/** How many backup or restore hosts to run: one per core, since hashing is CPU-bound. */
export function defaultHostCount(): number {
  return Math.max(1, os.availableParallelism());
}

interface Attached {
  readonly worker: Worker;
  readonly onMessage: (report: HostReport) => void;
  readonly onError: (error: Error) => void;
  readonly onExit: (code: number) => void;
}

/**
 * A fixed set of backup host workers that the engine sends requests to, for one job: started
 * for it, or taken from a registry of long-lived hosts and given back when the job ends well.
 */
export class HostPool {
  private readonly hosts: Attached[] = [];
  private closing = false;

  /** `label` names the workers in errors: "backup host 1 stream 0 stopped...". */
  constructor(
    count: number,
    handlers: HostHandlers,
    readonly label = 'backup host',
    private readonly registry?: HostRegistry,
  ) {
    for (let host = 0; host < count; host++) {
      const name = `${label} ${host}`;
      const worker = registry ? registry.take() : spawnHost();
      const attached: Attached = {
        worker,
        onMessage: (report) => handlers.onReport(host, report),
        onError: (error) =>
          handlers.onFailure(
            host,
            new TesseraError('HOST_FAILED', `${name} failed: ${error.message}`, {
              cause: error,
            }),
          ),
        onExit: (code) => {
          if (!this.closing) {
            handlers.onFailure(
              host,
              new TesseraError('HOST_FAILED', `${name} stopped unexpectedly (exit code ${code})`),
            );
          }
        },
      };
      worker.on('message', attached.onMessage);
      worker.on('error', attached.onError);
      worker.on('exit', attached.onExit);
      this.hosts.push(attached);
    }
  }

  get size(): number {
    return this.hosts.length;
  }

  send(host: number, request: HostRequest): void {
    this.hosts[host]!.worker.postMessage(request);
  }

  broadcast(request: HostRequest): void {
    for (const { worker } of this.hosts) worker.postMessage(request);
  }

  /** For tests of host failure: the worker behind host `host`. */
  worker(host: number): Worker {
    return this.hosts[host]!.worker;
  }

  /** Stops the hosts (a failed, cancelled or hung job: nothing of theirs is trusted again). */
  async close(): Promise<void> {
    this.closing = true;
    await Promise.all(this.hosts.map(({ worker }) => worker.terminate()));
  }

  /**
   * Ends the pool after a job whose every request was answered: the hosts go back to the
   * registry for the next job (without one, they are stopped).
   */
  async release(): Promise<void> {
    if (!this.registry) return this.close();
    this.closing = true;
    for (const host of this.hosts) {
      host.worker.off('message', host.onMessage);
      host.worker.off('error', host.onError);
      host.worker.off('exit', host.onExit);
      this.registry.give(host.worker);
    }
  }
}
