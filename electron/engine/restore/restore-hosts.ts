import type { Worker } from 'node:worker_threads';
import { TesseraError } from '../../../shared/errors.js';
import type { RestoreHostReport, StoredBlock } from '../hosts/restore-messages.js';
import { spawnHost } from '../hosts/spawn-host.js';

export interface Piece {
  readonly offset: number;
  readonly data: Buffer;
}

interface Pending {
  readonly host: number;
  resolve(pieces: Piece[]): void;
  reject(error: TesseraError & { packGone?: boolean }): void;
}

/** Restore hosts: worker threads that fetch, decode and check blocks for a restore. */
export class RestoreHosts {
  private readonly workers: Worker[] = [];
  private readonly pending = new Map<number, Pending>();
  private readonly load: number[];
  private nextId = 0;
  private closing = false;

  constructor(count: number) {
    this.load = new Array<number>(count).fill(0);
    for (let host = 0; host < count; host++) {
      const worker = spawnHost('restore-host');
      worker.on('message', (report: RestoreHostReport) => this.settle(report));
      worker.on('error', (error) =>
        this.failHost(host, `restore host ${host} failed: ${error.message}`),
      );
      worker.on('exit', (code) => {
        if (!this.closing)
          this.failHost(host, `restore host ${host} stopped unexpectedly (exit code ${code})`);
      });
      this.workers.push(worker);
    }
  }

  /** Fetches blocks (in disk order) on the least busy host; resolves to joined pieces. */
  fetch(blocks: readonly StoredBlock[]): Promise<Piece[]> {
    const host = this.load.indexOf(Math.min(...this.load));
    const id = this.nextId++;
    this.load[host]!++;
    return new Promise<Piece[]>((resolve, reject) => {
      this.pending.set(id, { host, resolve, reject });
      this.workers[host]!.postMessage({ type: 'fetch', id, blocks });
    });
  }

  private settle(report: RestoreHostReport): void {
    const pending = this.pending.get(report.id);
    if (!pending) return;
    this.pending.delete(report.id);
    this.load[pending.host]!--;
    if (report.type === 'fetched') {
      pending.resolve(
        report.offsets.map((offset, i) => {
          const piece = report.pieces[i]!;
          return { offset, data: Buffer.from(piece.buffer, piece.byteOffset, piece.byteLength) };
        }),
      );
    } else {
      const error: TesseraError & { packGone?: boolean } = new TesseraError(
        report.error.code,
        report.error.message,
      );
      error.packGone = report.packGone;
      pending.reject(error);
    }
  }

  private failHost(host: number, message: string): void {
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
