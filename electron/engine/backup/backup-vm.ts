import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, readFile, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { TesseraError, type SerializedError } from '../../../shared/errors.js';
import type { Catalog } from '../catalog/catalog.js';
import { openDisk } from '../disk/open.js';
import type { DiskFormat, VirtualDisk } from '../disk/types.js';
import { HostPool, defaultHostCount, type HostHandlers } from '../hosts/host-pool.js';
import {
  BLOCK_CHANGED,
  BLOCK_UNCHANGED,
  type HostReport,
  type SegmentRequest,
} from '../hosts/messages.js';
import { encodeBlock } from '../store/codec.js';
import { DIGEST_BYTES, digestHex, digestOf } from '../store/digest.js';
import {
  CLIENT_NAME_PATTERN,
  EMPTY_DISK_STATS,
  type DiskImageManifest,
  type ImageManifest,
  type VmMetadata,
} from '../store/manifest.js';
import type { StagedImage, Store } from '../store/store.js';
import { storeIoError } from '../store/errors.js';
import { reconcileCatalog } from './expire.js';
import { ExtentSet } from './extents.js';
import { TrackLogs } from './track-log.js';

/**
 * Default block size: 64 KiB. Measured on the bench disk (see the store design note): smaller
 * blocks store less after scattered writes but double the manifest and the per-block cost;
 * larger ones store a whole block for every 4 KiB write.
 */
export const DEFAULT_BLOCK_SIZE = 64 * 1024;
export const MIN_BLOCK_SIZE = 4 * 1024;
export const MAX_BLOCK_SIZE = 8 * 1024 * 1024;
/** Bytes of a disk one host request covers: big enough to amortise, small enough to balance. */
const SEGMENT_BYTES = 32 * 1024 * 1024;
/** Segments queued per host, so a host never waits for the engine between two. */
const SEGMENTS_PER_HOST = 2;

export interface BackupDiskSource {
  readonly path: string;
  readonly format?: DiskFormat;
}

export interface BackupProgress {
  readonly doneBytes: number;
  readonly totalBytes: number;
  readonly storedBytes: number;
}

export interface BackupRequest {
  readonly store: Store;
  readonly catalog: Catalog;
  readonly client: string;
  readonly disks: readonly BackupDiskSource[];
  readonly forcedRescan?: boolean;
  readonly blockSize?: number;
  readonly hosts?: number;
  /** Seconds the image is kept; null keeps it until expired by hand. */
  readonly retentionSeconds?: number | null;
  readonly vm?: VmMetadata | null;
  readonly trackLogDir?: string;
  readonly signal?: AbortSignal;
  readonly onProgress?: (progress: BackupProgress) => void;
  /** Unix seconds now (tests pin it). */
  readonly now?: () => number;
}

export interface BackupResult {
  readonly manifest: ImageManifest;
  readonly jobId: number;
}

interface DiskPlan {
  readonly position: number;
  readonly source: BackupDiskSource;
  readonly diskPath: string;
  readonly format: DiskFormat;
  readonly virtualSize: number;
  readonly logicalSectorSize: number;
  readonly physicalSectorSize: number;
  readonly identity: string | null;
  readonly diskKey: string;
  readonly blockCount: number;
  readonly blocksFile: string;
  readonly previousBackupId: string | null;
  readonly trackLog: string | null;
  digestHandle: FileHandle | null;
  readonly changed: ExtentSet;
  readonly unchanged: ExtentSet;
  stats: {
    bytesRead: number;
    blocksChanged: number;
    blocksUnchanged: number;
    blocksZero: number;
    bytesStored: number;
    bytesDeduplicated: number;
    bytesLinked: number;
  };
}

interface Segment {
  readonly request: SegmentRequest;
  readonly disk: DiskPlan;
}

/**
 * Backs up one VM (one or more disks) into the storage unit as a full image. The first backup
 * of a disk stores every block; later ones are Accelerator backups: the backup hosts hash each
 * allocated block and compare it with the track log, and only changed blocks travel to the
 * store; unchanged ones are linked. The image is committed only when every block it names is
 * durable, then recorded in the catalog.
 */
export async function backupVm(request: BackupRequest): Promise<BackupResult> {
  const { store, catalog } = request;
  if (!CLIENT_NAME_PATTERN.test(request.client)) {
    throw new TesseraError(
      'BAD_REQUEST',
      `client name "${request.client}" must be letters, digits, dots and dashes (at most 128)`,
    );
  }
  if (request.disks.length === 0)
    throw new TesseraError('BAD_REQUEST', 'a backup needs at least one disk');
  const blockSize = request.blockSize ?? DEFAULT_BLOCK_SIZE;
  if (
    !Number.isInteger(blockSize) ||
    blockSize < MIN_BLOCK_SIZE ||
    blockSize > MAX_BLOCK_SIZE ||
    (blockSize & (blockSize - 1)) !== 0
  ) {
    throw new TesseraError(
      'BAD_REQUEST',
      `block size ${blockSize} must be a power of two from 4 KiB to 8 MiB`,
    );
  }
  const jobId = catalog.createJob({ kind: 'backup', client: request.client });
  // The job log must never hide what it reports: a log line that cannot be written is dropped.
  const log = (level: 'info' | 'warning' | 'error', message: string): void => {
    try {
      catalog.appendLog(jobId, level, message);
    } catch {
      // the catalog's own failure surfaces where it matters (recordImage, finishJob)
    }
  };
  let staged: StagedImage | null = null;
  let plans: DiskPlan[] = [];
  // The hosts start now, so their start-up overlaps the planning below.
  const hosts = new RelayedPool(request.hosts ?? defaultHostCount());
  try {
    const reconciled = await reconcileCatalog(store, catalog);
    if (reconciled.recorded + reconciled.forgotten > 0) {
      log(
        'info',
        `catalog brought in line with the storage unit: ${reconciled.recorded} images recorded, ${reconciled.forgotten} forgotten`,
      );
    }
    const recovered = await store.recover();
    if (recovered.removedTemporary + recovered.indexedPacks > 0) {
      log(
        'info',
        `cleaned up after an interrupted run: ${recovered.removedTemporary} temporary files removed, ${recovered.indexedPacks} stored packs reused`,
      );
    }
    const { backupId, createdAt } = store.claimBackupId(
      request.client,
      (request.now ?? nowSeconds)(),
    );
    staged = await store.stageImage(backupId);
    const trackLogs = new TrackLogs(request.trackLogDir ?? store.layout.trackLogs);
    plans = await planDisks(request, blockSize, trackLogs, staged);
    for (const plan of plans) {
      log(
        'info',
        plan.previousBackupId
          ? `disk ${plan.position} (${plan.diskPath}): Accelerator backup against ${plan.previousBackupId}`
          : `disk ${plan.position} (${plan.diskPath}): full backup${request.forcedRescan ? ' (forced rescan)' : ''}`,
      );
    }
    await runHosts(request, plans, blockSize, hosts);
    for (const plan of plans) {
      await plan.digestHandle!.close();
      plan.digestHandle = null;
    }
    const built = await buildManifest(request, backupId, createdAt, blockSize, plans, staged);
    const manifest = await commitWithRepair(store, staged, built, plans, blockSize, log);
    staged = null;
    try {
      catalog.recordImage(manifest);
    } catch (cause) {
      throw new TesseraError(
        'CATALOG_IO',
        `image ${backupId} is committed in the storage unit but could not be recorded in the catalog (${(cause as Error).message}); the next backup records it, or run tessera catalog rebuild`,
        { cause },
      );
    }
    for (const [i, plan] of plans.entries()) {
      await trackLogs
        .save(
          {
            diskKey: plan.diskKey,
            backupId,
            blockSize,
            blockCount: plan.blockCount,
            sha256: manifest.disks[i]!.blocksSha256,
          },
          store.layout.digestList(backupId, plan.blocksFile),
        )
        .catch((error: unknown) =>
          log(
            'warning',
            `track log not saved (the next backup reads the image instead): ${String(error)}`,
          ),
        );
    }
    const stored = manifest.disks.reduce((sum, d) => sum + d.stats.bytesStored, 0);
    log('info', `image ${backupId} committed: ${stored} bytes added to the storage unit`);
    catalog.finishJob(jobId, { state: 'done', statusCode: 0, detail: { backupId } });
    return { manifest, jobId };
  } catch (error) {
    await hosts.close();
    for (const plan of plans) await plan.digestHandle?.close().catch(() => undefined);
    // Seal what was stored (other backups on this Store may share the open pack, and an
    // interrupted backup's blocks are reused by the next); drop it only if it cannot be sealed.
    await store.flush().catch(() => store.writer.abort());
    if (staged) await store.discardStaged(staged);
    const cancelled = request.signal?.aborted ?? false;
    log('error', error instanceof Error ? error.message : String(error));
    try {
      catalog.finishJob(jobId, {
        state: cancelled ? 'cancelled' : 'failed',
        statusCode: cancelled ? 150 : 1,
      });
    } catch {
      // the job stays 'running' in a catalog that cannot be written; the error below says why
    }
    throw error;
  }
}

function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

async function planDisks(
  request: BackupRequest,
  blockSize: number,
  trackLogs: TrackLogs,
  staged: StagedImage,
): Promise<DiskPlan[]> {
  const plans: DiskPlan[] = [];
  const keys = new Set<string>();
  for (const [position, source] of request.disks.entries()) {
    const disk: VirtualDisk = await openDisk(source.path, { format: source.format });
    const facts = {
      diskPath: disk.path,
      format: disk.format,
      virtualSize: disk.virtualSize,
      logicalSectorSize: disk.logicalSectorSize,
      physicalSectorSize: disk.physicalSectorSize,
      identity: disk.identity,
    };
    await disk.close();
    if (facts.virtualSize === 0) {
      throw new TesseraError(
        'BAD_REQUEST',
        `${facts.diskPath}: the disk is empty (0 bytes); there is nothing to back up`,
      );
    }
    let diskKey = `${request.client}:${facts.identity ?? path.resolve(facts.diskPath)}`;
    while (keys.has(diskKey)) diskKey += '+';
    keys.add(diskKey);
    const blockCount = Math.ceil(facts.virtualSize / blockSize);
    const previous = request.forcedRescan
      ? null
      : await previousImage(request, diskKey, blockSize, facts.virtualSize);
    const trackLog = previous
      ? ((await trackLogs.find(diskKey, previous.backupId, blockSize, blockCount)) ??
        previous.digestList)
      : null;
    const blocksFile = `disk-${position}.blocks`;
    const digestHandle = await open(staged.digestListPath(blocksFile), 'wx');
    await digestHandle.truncate(blockCount * DIGEST_BYTES);
    plans.push({
      position,
      source,
      ...facts,
      diskKey,
      blockCount,
      blocksFile,
      previousBackupId: previous?.backupId ?? null,
      trackLog,
      digestHandle,
      changed: new ExtentSet(facts.virtualSize),
      unchanged: new ExtentSet(facts.virtualSize),
      stats: { ...EMPTY_DISK_STATS },
    });
  }
  return plans;
}

/** The previous image of this disk usable as its track log: same block size and disk size. */
async function previousImage(
  request: BackupRequest,
  diskKey: string,
  blockSize: number,
  virtualSize: number,
): Promise<{ backupId: string; digestList: string } | null> {
  const latest = request.catalog.latestImageOfDisk(diskKey);
  if (!latest || !(await request.store.hasImage(latest.backupId))) return null;
  const manifest = await request.store.readManifest(latest.backupId);
  const disk = manifest.disks.find((d) => d.diskKey === diskKey);
  if (!disk || disk.blockSize !== blockSize || disk.virtualSize !== virtualSize) return null;
  return {
    backupId: latest.backupId,
    digestList: request.store.layout.digestList(latest.backupId, disk.blocksFile),
  };
}

/** Sends every segment of every disk to the backup hosts and stores what they report. */
async function runHosts(
  request: BackupRequest,
  plans: DiskPlan[],
  blockSize: number,
  hosts: RelayedPool,
): Promise<void> {
  const { store } = request;
  const segments: Segment[] = [];
  const perSegment = Math.max(1, Math.floor(SEGMENT_BYTES / blockSize));
  for (const disk of plans) {
    for (let first = 0; first < disk.blockCount; first += perSegment) {
      segments.push({
        disk,
        request: {
          type: 'segment',
          segment: segments.length,
          diskPath: disk.diskPath,
          sourceFormat: disk.source.format,
          blockSize,
          firstBlock: first,
          blockCount: Math.min(perSegment, disk.blockCount - first),
          trackLog: disk.trackLog,
        },
      });
    }
  }
  const totalBytes = plans.reduce((sum, p) => sum + p.virtualSize, 0);
  let doneBytes = 0;
  let storedBytes = 0;
  const hostCount = hosts.pool.size;

  if (segments.length === 0) return hosts.close();
  await new Promise<void>((resolve, reject) => {
    let next = 0;
    let finished = 0;
    let failed = false;
    const outstanding = new Array<number>(hostCount).fill(0);
    // Blocks are stored one at a time, in arrival order: the pack writer appends.
    let storing: Promise<void> = Promise.resolve();
    const writes: Promise<unknown>[] = [];

    const fail = (error: unknown): void => {
      if (failed) return;
      failed = true;
      void hosts.close();
      reject(error);
    };
    const feed = (host: number): void => {
      while (!failed && next < segments.length && outstanding[host]! < SEGMENTS_PER_HOST) {
        outstanding[host]!++;
        pool.send(host, segments[next++]!.request);
      }
    };
    const onReport = (host: number, report: HostReport): void => {
      if (failed) return;
      const segment = segments[report.segment]!;
      const disk = segment.disk;
      switch (report.type) {
        case 'block': {
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
              disk.stats.bytesStored += data.byteLength;
              storedBytes += data.byteLength;
            } else {
              disk.stats.bytesDeduplicated += report.rawLength;
            }
            pool.send(host, { type: 'ack', bytes: data.byteLength });
          });
          storing.catch(fail);
          break;
        }
        case 'segment-done': {
          const { firstBlock, blockCount } = segment.request;
          writes.push(
            disk
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
          tally(disk, report.states, firstBlock, blockCount, blockSize);
          disk.stats.bytesRead += report.bytesRead;
          doneBytes += Math.min(blockCount * blockSize, disk.virtualSize - firstBlock * blockSize);
          request.onProgress?.({ doneBytes, totalBytes, storedBytes });
          outstanding[host]!--;
          finished++;
          if (finished === segments.length) {
            void storing
              .then(() => Promise.all(writes))
              .then(() => hosts.close())
              .then(() => (failed ? undefined : resolve()), fail);
          } else {
            feed(host);
          }
          break;
        }
        case 'segment-failed':
          fail(hostError(report.error, disk.diskPath));
          break;
      }
    };
    const pool = hosts.pool;
    hosts.attach({ onReport, onFailure: (_host, error) => fail(error) });
    request.signal?.addEventListener(
      'abort',
      () => fail(new TesseraError('CANCELLED', 'the backup was cancelled')),
      { once: true },
    );
    if (request.signal?.aborted) fail(new TesseraError('CANCELLED', 'the backup was cancelled'));
    for (let host = 0; host < hostCount; host++) feed(host);
  });
}

/**
 * A host pool started before its handlers exist: reports and failures that arrive before
 * attach() are held (a failure is replayed on attach), so nothing is lost while planning.
 */
class RelayedPool {
  readonly pool: HostPool;
  private handlers: HostHandlers | null = null;
  private early: TesseraError | null = null;
  private closed = false;

  constructor(count: number) {
    this.pool = new HostPool(count, {
      onReport: (host, report) => this.handlers?.onReport(host, report),
      onFailure: (host, error) => {
        if (this.handlers) this.handlers.onFailure(host, error);
        else this.early ??= error;
      },
    });
  }

  attach(handlers: HostHandlers): void {
    this.handlers = handlers;
    if (this.early) handlers.onFailure(0, this.early);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.close();
  }
}

function hostError(error: SerializedError, diskPath: string): TesseraError {
  return new TesseraError(
    error.code,
    error.message.includes(diskPath) ? error.message : `${diskPath}: ${error.message}`,
  );
}

/** Adds a segment's block states to the disk's counts and changed/unchanged extents. */
function tally(
  disk: DiskPlan,
  states: Uint8Array,
  firstBlock: number,
  count: number,
  blockSize: number,
): void {
  for (let i = 0; i < count;) {
    const state = states[i]!;
    let run = 1;
    while (i + run < count && states[i + run] === state) run++;
    const start = (firstBlock + i) * blockSize;
    const end = (firstBlock + i + run) * blockSize;
    if (state === BLOCK_CHANGED) {
      disk.stats.blocksChanged += run;
      disk.changed.add(start, end);
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

async function buildManifest(
  request: BackupRequest,
  backupId: string,
  createdAt: number,
  blockSize: number,
  plans: DiskPlan[],
  staged: StagedImage,
): Promise<ImageManifest> {
  const disks: DiskImageManifest[] = [];
  for (const plan of plans) {
    const sha = createHash('sha256');
    for await (const chunk of createReadStream(staged.digestListPath(plan.blocksFile))) {
      sha.update(chunk as Buffer);
    }
    disks.push({
      position: plan.position,
      diskKey: plan.diskKey,
      name: path.basename(plan.diskPath),
      sourcePath: plan.diskPath,
      sourceFormat: plan.format,
      virtualSize: plan.virtualSize,
      logicalSectorSize: plan.logicalSectorSize,
      physicalSectorSize: plan.physicalSectorSize,
      identity: plan.identity,
      blockSize,
      blockCount: plan.blockCount,
      previousBackupId: plan.previousBackupId,
      forcedRescan: request.forcedRescan ?? false,
      blocksFile: plan.blocksFile,
      blocksSha256: sha.digest('hex'),
      changedExtents: plan.changed.toExtents(),
      unchangedExtents: plan.unchanged.toExtents(),
      stats: { ...plan.stats },
    });
  }
  const previous = plans.map((p) => p.previousBackupId).find((id) => id !== null) ?? null;
  return {
    format: 'tessera-image',
    version: 1,
    backupId,
    client: request.client,
    createdAt,
    kind: disks.some((d) => d.previousBackupId !== null) ? 'accelerator' : 'full',
    previousBackupId: previous,
    expiresAt:
      request.retentionSeconds === null || request.retentionSeconds === undefined
        ? null
        : createdAt + request.retentionSeconds,
    vm: request.vm ?? null,
    disks,
  };
}

/**
 * Commits the image; if a garbage collection swept blocks this backup linked to meanwhile,
 * reads those blocks from the source again, stores them, and retries. Returns the manifest as
 * committed (its stats count the blocks stored again as stored, not linked).
 */
async function commitWithRepair(
  store: Store,
  staged: StagedImage,
  manifest: ImageManifest,
  plans: DiskPlan[],
  blockSize: number,
  log: (level: 'info' | 'warning', message: string) => void,
): Promise<ImageManifest> {
  let current = manifest;
  for (let attempt = 0; attempt < 5; attempt++) {
    const result = await store.commitImage(staged, current);
    if (result.committed) return current;
    log(
      'warning',
      `${result.missing.length} linked blocks were removed by a garbage collection during the backup; storing them again`,
    );
    await restoreMissing(store, staged, plans, blockSize, new Set(result.missing.map(digestHex)));
    current = {
      ...current,
      disks: current.disks.map((disk, i) => ({ ...disk, stats: { ...plans[i]!.stats } })),
    };
  }
  throw new TesseraError(
    'BLOCK_MISSING',
    `image ${manifest.backupId}: blocks keep disappearing during commit (is a garbage collection looping?)`,
  );
}

/** Reads the blocks named by `missing` from the sources again and stores them. */
async function restoreMissing(
  store: Store,
  staged: StagedImage,
  plans: DiskPlan[],
  blockSize: number,
  missing: ReadonlySet<string>,
): Promise<void> {
  const stored = new Set<string>();
  for (const plan of plans) {
    const digests = await readFile(staged.digestListPath(plan.blocksFile));
    const unchanged = plan.unchanged.toExtents();
    let extent = 0;
    const disk = await openDisk(plan.diskPath, { format: plan.source.format });
    try {
      for (let block = 0; block < plan.blockCount; block++) {
        const digest = digests.subarray(block * DIGEST_BYTES, (block + 1) * DIGEST_BYTES);
        const hex = digestHex(digest);
        if (!missing.has(hex)) continue;
        const offset = block * blockSize;
        const length = Math.min(blockSize, plan.virtualSize - offset);
        while (
          extent < unchanged.length &&
          unchanged[extent]![0] + unchanged[extent]![1] <= offset
        ) {
          extent++;
        }
        const wasLinked = extent < unchanged.length && unchanged[extent]![0] <= offset;
        // A linked block is now stored. A changed one was counted as deduplicated, or as
        // stored when this backup wrote it itself (into a pack that was then lost).
        if (wasLinked) plan.stats.bytesLinked -= length;
        else if (plan.stats.bytesDeduplicated >= length) plan.stats.bytesDeduplicated -= length;
        if (stored.has(hex)) continue;
        const data = Buffer.alloc(length);
        await disk.read(data, offset);
        if (!digestOf(data).equals(digest)) {
          throw new TesseraError(
            'HOST_FAILED',
            `${plan.diskPath}: the disk changed during the backup (block at ${offset}); back it up from a checkpoint or with the VM stopped`,
          );
        }
        const encoded = encodeBlock(data);
        await store.writer.add(Buffer.from(digest), encoded.data, data.byteLength, encoded.codec);
        plan.stats.bytesStored += encoded.data.byteLength;
        stored.add(hex);
      }
    } finally {
      await disk.close();
    }
  }
  await store.flush();
}
