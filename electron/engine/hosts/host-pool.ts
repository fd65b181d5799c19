import os from 'node:os';
import type { Worker } from 'node:worker_threads';
import { TesseraError } from '../../../shared/errors.js';
import type { HostReport, HostRequest } from './messages.js';
import { spawnHost } from './spawn-host.js';

export interface HostHandlers {
  onReport(host: number, report: HostReport): void;
  /** A host died (crashed, killed) or could not start: the job must fail. */
  onFailure(host: number, error: TesseraError): void;
}

/** How many backup hosts to run: one per core, since hashing is CPU-bound. */
export function defaultHostCount(): number {
  return Math.max(1, os.availableParallelism());
}

/** A fixed set of backup host workers that the engine sends requests to. */
export class HostPool {
  private readonly workers: Worker[] = [];
  private closing = false;

  /** `label` names the workers in errors: "backup host 1 stream 0 stopped...". */
  constructor(
    count: number,
    handlers: HostHandlers,
    readonly label = 'backup host',
  ) {
    for (let host = 0; host < count; host++) {
      const name = `${label} ${host}`;
      const worker = spawnHost();
      worker.on('message', (report: HostReport) => handlers.onReport(host, report));
      worker.on('error', (error) =>
        handlers.onFailure(
          host,
          new TesseraError('HOST_FAILED', `${name} failed: ${error.message}`, {
            cause: error,
          }),
        ),
      );
      worker.on('exit', (code) => {
        if (!this.closing) {
          handlers.onFailure(
            host,
            new TesseraError('HOST_FAILED', `${name} stopped unexpectedly (exit code ${code})`),
          );
        }
      });
      this.workers.push(worker);
    }
  }

  get size(): number {
    return this.workers.length;
  }

  send(host: number, request: HostRequest): void {
    this.workers[host]!.postMessage(request);
  }

  broadcast(request: HostRequest): void {
    for (const worker of this.workers) worker.postMessage(request);
  }

  /** For tests of host failure: the worker behind host `host`. */
  worker(host: number): Worker {
    return this.workers[host]!;
  }

  async close(): Promise<void> {
    this.closing = true;
    await Promise.all(this.workers.map((worker) => worker.terminate()));
  }
}
