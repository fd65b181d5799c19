import { stat } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { TesseraError, type SerializedError } from '../../../shared/errors.js';
import type { DiskFormat } from '../disk/types.js';
import { HostPool, type HostHandlers } from '../hosts/host-pool.js';
import type { HostRegistry } from '../hosts/host-registry.js';
import {
  BLOCK_CHANGED,
  BLOCK_STORED,
  BLOCK_UNCHANGED,
  type HostReport,
  type SegmentRequest,
} from '../hosts/messages.js';
import { DIGEST_BYTES } from '../store/digest.js';
import { FINGERPRINT_BYTES } from './fingerprint.js';
import type { TrackLog } from './track-log.js';
import { storeIoError } from '../store/errors.js';
import type { DiskImageStats } from '../store/manifest.js';
import type { Store } from '../store/store.js';
import type { ExtentSet } from './extents.js';

/** Bytes of a disk one host request covers: big enough to amortise, small enough to balance. */
const SEGMENT_BYTES = 32 * 1024 * 1024;
/** Segments queued per worker, so a worker never waits for the engine between two. */
const SEGMENTS_PER_WORKER = 2;

export interface BackupDiskSource {
  readonly path: string;
  readonly format?: DiskFormat;
}

/** One disk of a VM backup as it flows through the backup hosts. */
export interface DiskWork {
  readonly position: number;
  readonly client: string;
  readonly source: BackupDiskSource;
  /** The disk as the VM knows it (recorded in the image). */
  readonly sourcePath: string;
  /** The file the hosts read: the source, or its copy-on-write snapshot. */
  readonly diskPath: string;
  readonly format: DiskFormat;
  readonly virtualSize: number;
  readonly logicalSectorSize: number;
  readonly physicalSectorSize: number;
  readonly identity: string | null;
  readonly diskKey: string;
  readonly blockSize: number;
  readonly blockCount: number;
  readonly blocksFile: string;
  readonly previousBackupId: string | null;
  readonly trackLog: TrackLog | null;
  digestHandle: FileHandle | null;
  /** Where this backup's fingerprints go, for the next one's track log; null: nowhere. */
  readonly fingerprints: PendingFingerprints | null;
  /** Size and modification time of the file read, when planned; compared when it is done. */
  readonly fileStamp: { readonly size: number; readonly mtimeMs: number };
  changedWhileRead: boolean;
  readonly changed: ExtentSet;
  readonly unchanged: ExtentSet;
  stats: { -readonly [K in keyof DiskImageStats]: DiskImageStats[K] };
}

export interface PendingFingerprints {
  readonly path: string;
  handle: FileHandle | null;
  /** A write failed: the file is incomplete and must not become a track log. */
  lost: boolean;
}

export interface WorkloadProgress {
  /** Bytes of the disks' virtual size covered so far, of totalBytes. */
  readonly doneBytes: number;
  readonly totalBytes: number;
  /** Bytes read from the disks (allocated space only). */
  readonly readBytes: number;
  /** Compressed bytes newly added to the storage unit. */
  readonly storedBytes: number;
  readonly blocksChanged: number;
}

/** A worker that reports nothing for this long while it has work is taken for hung. */
export const DEFAULT_HANG_TIMEOUT_MS = 120_000;

export interface WorkloadOptions {
  readonly store: Store;
  /** Milliseconds without a report from a worker that has work before it counts as hung. */
  readonly hangTimeoutMs?: number;
  readonly signal?: AbortSignal;
  readonly onProgress?: (progress: WorkloadProgress) => void;
  /** Every block of the disk is stored and its digest list written. */
  readonly onDiskDone?: (disk: DiskWork) => void;
  /**
   * A disk could not be read. Without this handler the whole workload fails; with it, the
   * disk's remaining segments are skipped and the other disks go on.
   */
  readonly onDiskFailed?: (disk: DiskWork, error: TesseraError) => void;
}

interface Segment {
  readonly request: SegmentRequest;
  readonly disk: DiskState;
}

interface DiskState {
  readonly work: DiskWork;
  segments: number;
  failed: boolean;
  writes: Promise<unknown>[];
}

/** How a workload that did not reject ended. */
export interface WorkloadEnd {
  /**
   * Every segment was answered and no disk failed, so the hosts are idle and hold nothing of
   * this workload (no open disk, no unacknowledged block): they may serve another. After a
   * disk failed, segments of it may still be running on them, so they must be stopped.
   */
  readonly hostsIdle: boolean;
}

/**
 * Sends every segment of `disks` to the workers of `hosts` (each worker pulls the next segment
 * when it has room, so a fast worker does more) and stores the changed blocks they report.
 * Resolves when every disk is done or failed; rejects when a worker dies, the store cannot be
 * written, or the signal aborts.
 */
export async function runWorkload(
  hosts: RelayedPool,
  disks: readonly DiskWork[],
  options: WorkloadOptions,
): Promise<WorkloadEnd> {
  const { store } = options;
  const states = disks.map((work): DiskState => ({ work, segments: 0, failed: false, writes: [] }));
  const segments: Segment[] = [];
  for (const disk of states) {
    const { work } = disk;
    const perSegment = Math.max(1, Math.floor(SEGMENT_BYTES / work.blockSize));
    for (let first = 0; first < work.blockCount; first += perSegment) {
      disk.segments++;
      segments.push({
        disk,
        request: {
          type: 'segment',
          segment: segments.length,
          diskPath: work.diskPath,
          sourceFormat: work.source.format,
          blockSize: work.blockSize,
          firstBlock: first,
          blockCount: Math.min(perSegment, work.blockCount - first),
          trackLog: work.trackLog?.digests ?? null,
          trackFingerprints: work.trackLog?.fingerprints ?? null,
          blockIndex: store.layout.index,
        },
      });
    }
  }
  const progress = {
    doneBytes: 0,
    totalBytes: disks.reduce((sum, d) => sum + d.virtualSize, 0),
    readBytes: 0,
    storedBytes: 0,
    blocksChanged: 0,
  };
  const pool = hosts.pool;
  let open = states.filter((d) => d.segments > 0).length;
  if (open === 0) return { hostsIdle: true };

  await new Promise<void>((resolve, reject) => {
    let next = 0;
    let failed = false;
    const outstanding = new Array<number>(pool.size).fill(0);
    // Blocks are stored one at a time, in arrival order: the pack writer appends.
    let storing: Promise<void> = Promise.resolve();

    // A hung worker (stuck reading a dead network share, say) fails the workload as a dead
    // one would: its host's child ends with HOST_FAILED and the others go on.
    const hangTimeout = options.hangTimeoutMs ?? DEFAULT_HANG_TIMEOUT_MS;
    const lastHeard = new Array<number>(pool.size).fill(Date.now());
    const watchdog = setInterval(
      () => {
        const now = Date.now();
        for (let worker = 0; worker < pool.size; worker++) {
          if (outstanding[worker]! > 0 && now - lastHeard[worker]! > hangTimeout) {
            fail(
              new TesseraError(
                'HOST_FAILED',
                `${pool.label} ${worker} stopped responding (nothing for ${Math.round(hangTimeout / 1000)} s); it was stopped`,
              ),
            );
          }
        }
      },
      Math.min(hangTimeout, 5000),
    );
    watchdog.unref();
    const fail = (error: unknown): void => {
      if (failed) return;
      failed = true;
      clearInterval(watchdog);
      void hosts.close();
      reject(error);
    };
    const feed = (worker: number): void => {
      while (!failed && next < segments.length && outstanding[worker]! < SEGMENTS_PER_WORKER) {
        const segment = segments[next++]!;
        if (segment.disk.failed) continue;
        if (outstanding[worker] === 0) lastHeard[worker] = Date.now();
        outstanding[worker]!++;
        pool.send(worker, segment.request);
      }
    };
    const settle = (disk: DiskState): void => {
      if (--open === 0) {
        clearInterval(watchdog);
        void storing.then(() => (failed ? undefined : resolve()), fail);
      }
      pool.broadcast({ type: 'close-disk', diskPath: disk.work.diskPath });
    };
    const diskFailed = (disk: DiskState, error: TesseraError): void => {
      if (disk.failed) return;
      if (!options.onDiskFailed) return fail(error);
      disk.failed = true;
      options.onDiskFailed(disk.work, error);
      settle(disk);
    };
    const segmentDone = (disk: DiskState): void => {
      if (--disk.segments > 0 || disk.failed) return;
      const writes = Promise.all(disk.writes);
      void storing
        .then(() => writes)
        .then(() => fileChanged(disk.work))
        .then((changed) => {
          if (failed || disk.failed) return;
          disk.work.changedWhileRead = changed;
          options.onDiskDone?.(disk.work);
          settle(disk);
        }, fail);
    };
    const onReport = (worker: number, report: HostReport): void => {
      if (failed) return;
      lastHeard[worker] = Date.now();
      const segment = segments[report.segment];
      if (!segment) return; // not this workload's: hosts are only reused when idle, but be sure
      const disk = segment.disk;
      const work = disk.work;
      switch (report.type) {
        case 'block': {
          if (disk.failed) {
            pool.send(worker, { type: 'ack', bytes: report.data.byteLength });
            break;
          }
          const digest = Buffer.from(
            report.digest.buffer,
            report.digest.byteOffset,
            report.digest.byteLength,
          );
          const data = Buffer.from(
            report.data.buffer,
            report.data.byteOffset,
            report.data.byteLength,
          );
          storing = storing.then(async () => {
            if (failed) return;
            const isNew = await store.putBlock(digest, data, report.rawLength, report.codec);
            if (isNew) {
              work.stats.bytesStored += data.byteLength;
              progress.storedBytes += data.byteLength;
            } else {
              work.stats.bytesDeduplicated += report.rawLength;
            }
            pool.send(worker, { type: 'ack', bytes: data.byteLength });
            // A worker waiting for acks waits on us, not hung.
            lastHeard[worker] = Date.now();
          });
          storing.catch(fail);
          break;
        }
        case 'segment-done': {
          outstanding[worker]!--;
          if (!disk.failed) {
            const { firstBlock, blockCount } = segment.request;
            disk.writes.push(
              work
                .digestHandle!.write(
                  report.digests,
                  0,
                  report.digests.byteLength,
                  firstBlock * DIGEST_BYTES,
                )
                .catch((cause: unknown) =>
                  fail(storeIoError(store.layout.tmp, 'cannot write the image digest list', cause)),
                ),
            );
            const pending = work.fingerprints;
            // A host that cannot fingerprint (no addon) leaves its blocks' fingerprints zero.
            if (pending && !report.fingerprinted) pending.lost = true;
            if (pending?.handle && !pending.lost) {
              // Losing them costs the next backup speed, not correctness: never fail for it.
              disk.writes.push(
                pending.handle
                  .write(
                    report.fingerprints,
                    0,
                    report.fingerprints.byteLength,
                    firstBlock * FINGERPRINT_BYTES,
                  )
                  .catch(() => (pending.lost = true)),
              );
            }
            const changedBefore = work.stats.blocksChanged;
            tally(work, report.states, firstBlock, blockCount);
            progress.blocksChanged += work.stats.blocksChanged - changedBefore;
            work.stats.bytesRead += report.bytesRead;
            progress.readBytes += report.bytesRead;
            progress.doneBytes += Math.min(
              blockCount * work.blockSize,
              work.virtualSize - firstBlock * work.blockSize,
            );
            options.onProgress?.({ ...progress });
            segmentDone(disk);
          }
          feed(worker);
          break;
        }
        case 'segment-failed':
          outstanding[worker]!--;
          diskFailed(disk, hostError(report.error, work.sourcePath));
          feed(worker);
          break;
      }
    };
    hosts.attach({ onReport, onFailure: (_worker, error) => fail(error) });
    const cancelled = (): TesseraError => new TesseraError('CANCELLED', 'the backup was cancelled');
    options.signal?.addEventListener('abort', () => fail(cancelled()), { once: true });
    if (options.signal?.aborted) fail(cancelled());
    for (let worker = 0; worker < pool.size; worker++) feed(worker);
  });
  return { hostsIdle: states.every((disk) => !disk.failed) };
}

/** Whether the file the hosts read changed size or modification time since it was planned. */
async function fileChanged(disk: DiskWork): Promise<boolean> {
  const now = await stat(disk.diskPath).catch(() => null);
  return !now || now.size !== disk.fileStamp.size || now.mtimeMs !== disk.fileStamp.mtimeMs;
}

/**
 * A host pool started before its handlers exist: reports and failures that arrive before
 * attach() are held (a failure is replayed on attach), so nothing is lost while planning.
 */
export class RelayedPool {
  readonly pool: HostPool;
  private handlers: HostHandlers | null = null;
  private early: TesseraError | null = null;
  private closed = false;

  constructor(count: number, label = 'backup host', registry?: HostRegistry) {
    this.pool = new HostPool(
      count,
      {
        onReport: (worker, report) => this.handlers?.onReport(worker, report),
        onFailure: (worker, error) => {
          if (this.handlers) this.handlers.onFailure(worker, error);
          else this.early ??= error;
        },
      },
      label,
      registry,
    );
  }

  attach(handlers: HostHandlers): void {
    this.handlers = handlers;
    if (this.early) handlers.onFailure(0, this.early);
  }

  /** Stops the hosts. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.close();
  }

  /** After a workload that ended well: hosts go back to their registry (unless stopped). */
  async release(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await (this.early ? this.pool.close() : this.pool.release());
  }
}

function hostError(error: SerializedError, diskPath: string): TesseraError {
  return new TesseraError(
    error.code,
    error.message.includes(diskPath) ? error.message : `${diskPath}: ${error.message}`,
  );
}

/** Adds a segment's block states to the disk's counts and changed/unchanged extents. */
function tally(disk: DiskWork, states: Uint8Array, firstBlock: number, count: number): void {
  const { blockSize } = disk;
  for (let i = 0; i < count;) {
    const state = states[i]!;
    let run = 1;
    while (i + run < count && states[i + run] === state) run++;
    const start = (firstBlock + i) * blockSize;
    const end = (firstBlock + i + run) * blockSize;
    if (state === BLOCK_CHANGED || state === BLOCK_STORED) {
      disk.stats.blocksChanged += run;
      disk.changed.add(start, end);
      // Blocks the store held already were not sent; counted as the engine counts a block
      // it was sent and found stored.
      if (state === BLOCK_STORED) {
        disk.stats.bytesDeduplicated += Math.min(end, disk.virtualSize) - start;
      }
    } else if (state === BLOCK_UNCHANGED) {
      disk.stats.blocksUnchanged += run;
      disk.stats.bytesLinked += Math.min(end, disk.virtualSize) - start;
      disk.unchanged.add(start, end);
    } else {
      disk.stats.blocksZero += run;
    }
    i += run;
  }
}
