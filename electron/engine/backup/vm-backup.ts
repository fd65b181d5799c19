import type { Stats } from 'node:fs';
import { open, readFile, rm, stat, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { TesseraError } from '../../../shared/errors.js';
import type { Catalog } from '../catalog/catalog.js';
import { openDisk } from '../disk/open.js';
import type { VirtualDisk } from '../disk/types.js';
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
import { ExtentSet } from './extents.js';
import { dropSnapshot, snapshotDisk } from './snapshot.js';
import { fileSha256 } from './file-sha256.js';
import { FINGERPRINT_BYTES } from './fingerprint.js';
import { removeSnapshots, TrackLogs, type TrackLog } from './track-log.js';
import type { BackupDiskSource, DiskWork, PendingFingerprints } from './workload.js';

/**
 * Default block size: 64 KiB. Measured on the bench disk (see the store design note): smaller
 * blocks store less after scattered writes but double the manifest and the per-block cost;
 * larger ones store a whole block for every 4 KiB write.
 */
export const DEFAULT_BLOCK_SIZE = 64 * 1024;
export const MIN_BLOCK_SIZE = 4 * 1024;
export const MAX_BLOCK_SIZE = 8 * 1024 * 1024;

export type JobLogger = (level: 'info' | 'warning' | 'error', message: string) => void;

export interface VmBackupRequest {
  readonly store: Store;
  readonly catalog: Catalog;
  readonly client: string;
  readonly disks: readonly BackupDiskSource[];
  readonly forcedRescan?: boolean;
  readonly blockSize?: number;
  /** Seconds the image is kept; null keeps it until expired by hand. */
  readonly retentionSeconds?: number | null;
  readonly vm?: VmMetadata | null;
  readonly trackLogDir?: string;
  /** Clone each disk copy-on-write before reading it (falls back to the live disk, warning). */
  readonly snapshotFirst?: boolean;
  /** Unix seconds now (tests pin it). */
  readonly now?: () => number;
  readonly log: JobLogger;
}

export function checkBlockSize(blockSize: number): void {
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
}

/**
 * The backup of one VM, from its claimed backup ID to its committed image. `prepare` claims
 * the ID, stages the image and plans each disk (previous image, track log, snapshot); the
 * disks' blocks then flow through a workload (see workload.ts), possibly on several backup
 * hosts; `finish` commits the image once every block it names is durable, or `discard` drops
 * it. Nothing here reads disk blocks in bulk: that is the hosts' work.
 */
export class VmBackup {
  private finished = false;

  private constructor(
    private readonly request: VmBackupRequest,
    readonly backupId: string,
    readonly createdAt: number,
    readonly blockSize: number,
    readonly disks: DiskWork[],
    private readonly staged: StagedImage,
    private readonly trackLogs: TrackLogs,
  ) {}

  get client(): string {
    return this.request.client;
  }

  static async prepare(request: VmBackupRequest): Promise<VmBackup> {
    const { store } = request;
    if (!CLIENT_NAME_PATTERN.test(request.client)) {
      throw new TesseraError(
        'BAD_REQUEST',
        `client name "${request.client}" must be letters, digits, dots and dashes (at most 128)`,
      );
    }
    if (request.disks.length === 0)
      throw new TesseraError('BAD_REQUEST', 'a backup needs at least one disk');
    const blockSize = request.blockSize ?? DEFAULT_BLOCK_SIZE;
    checkBlockSize(blockSize);
    const { backupId, createdAt } = store.claimBackupId(
      request.client,
      (request.now ?? nowSeconds)(),
    );
    const staged = await store.stageImage(backupId);
    const trackLogs = new TrackLogs(request.trackLogDir ?? store.layout.trackLogs);
    const disks: DiskWork[] = [];
    try {
      await planDisks(request, backupId, blockSize, trackLogs, staged, disks);
    } catch (error) {
      await closeDisks(disks);
      await dropSnapshots(disks);
      await dropTemporaryFiles(disks);
      await store.discardStaged(staged);
      throw error;
    }
    for (const disk of disks) {
      request.log(
        'info',
        disk.previousBackupId
          ? `${request.client} disk ${disk.position} (${disk.sourcePath}): Accelerator backup against ${disk.previousBackupId}, comparing ${disk.trackLog?.fingerprints ? 'fingerprints' : 'digests'}`
          : `${request.client} disk ${disk.position} (${disk.sourcePath}): full backup${request.forcedRescan ? ' (forced rescan)' : ''}`,
      );
    }
    return new VmBackup(request, backupId, createdAt, blockSize, disks, staged, trackLogs);
  }

  /** Disks whose file changed (size or modification time) while they were read. */
  changedDisks(): DiskWork[] {
    return this.disks.filter((disk) => disk.changedWhileRead);
  }

  /**
   * Commits the image (every disk must be done) and records it in the catalog. A catalog
   * failure after the commit is reported as CATALOG_IO: the image itself is safe.
   */
  async finish(): Promise<ImageManifest> {
    const { store, catalog, log } = this.request;
    this.finished = true;
    try {
      for (const disk of this.disks) {
        await disk.digestHandle?.close();
        disk.digestHandle = null;
        await closePendingFingerprints(disk);
      }
      const built = await this.buildManifest();
      const manifest = await commitWithRepair(store, this.staged, built, this.disks, log);
      try {
        catalog.recordImage(manifest);
      } catch (cause) {
        throw new TesseraError(
          'CATALOG_IO',
          `image ${this.backupId} is committed in the storage unit but could not be recorded in the catalog (${(cause as Error).message}); the next backup records it, or run tessera catalog rebuild`,
          { cause },
        );
      }
      await this.saveTrackLogs(manifest);
      const stored = manifest.disks.reduce((sum, d) => sum + d.stats.bytesStored, 0);
      log('info', `image ${this.backupId} committed: ${stored} bytes added to the storage unit`);
      return manifest;
    } catch (error) {
      await store.discardStaged(this.staged).catch(() => undefined);
      throw error;
    } finally {
      await closeDisks(this.disks);
      await dropSnapshots(this.disks);
      await dropTemporaryFiles(this.disks);
    }
  }

  /** Drops the staged image and any snapshots; the claimed backup ID is released. */
  async discard(): Promise<void> {
    if (this.finished) return;
    this.finished = true;
    await closeDisks(this.disks);
    await dropSnapshots(this.disks);
    await dropTemporaryFiles(this.disks);
    await this.request.store.discardStaged(this.staged).catch(() => undefined);
  }

  private async saveTrackLogs(manifest: ImageManifest): Promise<void> {
    const { store, log } = this.request;
    for (const [i, disk] of this.disks.entries()) {
      const fingerprints =
        disk.fingerprints && !disk.fingerprints.lost ? disk.fingerprints.path : null;
      await this.trackLogs
        .save(
          {
            diskKey: disk.diskKey,
            backupId: this.backupId,
            blockSize: this.blockSize,
            blockCount: disk.blockCount,
            sha256: manifest.disks[i]!.blocksSha256,
          },
          store.layout.digestList(this.backupId, disk.blocksFile),
          fingerprints,
        )
        .catch((error: unknown) =>
          log(
            'warning',
            `track log not saved (the next backup reads the image instead): ${String(error)}`,
          ),
        );
    }
  }

  private async buildManifest(): Promise<ImageManifest> {
    const request = this.request;
    const disks: DiskImageManifest[] = [];
    for (const disk of this.disks) {
      const blocksSha256 = await fileSha256(this.staged.digestListPath(disk.blocksFile));
      disks.push({
        position: disk.position,
        diskKey: disk.diskKey,
        name: path.basename(disk.sourcePath),
        sourcePath: disk.sourcePath,
        sourceFormat: disk.format,
        virtualSize: disk.virtualSize,
        logicalSectorSize: disk.logicalSectorSize,
        physicalSectorSize: disk.physicalSectorSize,
        identity: disk.identity,
        blockSize: this.blockSize,
        blockCount: disk.blockCount,
        previousBackupId: disk.previousBackupId,
        forcedRescan: request.forcedRescan ?? false,
        blocksFile: disk.blocksFile,
        blocksSha256,
        changedExtents: disk.changed.toExtents(),
        unchangedExtents: disk.unchanged.toExtents(),
        stats: { ...disk.stats },
      });
    }
    const previous = this.disks.map((d) => d.previousBackupId).find((id) => id !== null) ?? null;
    return {
      format: 'tessera-image',
      version: 1,
      backupId: this.backupId,
      client: request.client,
      createdAt: this.createdAt,
      kind: disks.some((d) => d.previousBackupId !== null) ? 'accelerator' : 'full',
      previousBackupId: previous,
      expiresAt:
        request.retentionSeconds === null || request.retentionSeconds === undefined
          ? null
          : this.createdAt + request.retentionSeconds,
      vm: request.vm ?? null,
      disks,
    };
  }
}

function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

async function closeDisks(disks: DiskWork[]): Promise<void> {
  for (const disk of disks) {
    await disk.digestHandle?.close().catch(() => undefined);
    disk.digestHandle = null;
    await closePendingFingerprints(disk);
  }
}

async function closePendingFingerprints(disk: DiskWork): Promise<void> {
  const pending = disk.fingerprints;
  if (!pending?.handle) return;
  const handle = pending.handle;
  pending.handle = null;
  await handle.close().catch(() => (pending.lost = true));
}

/**
 * Files of the backup beside the track logs: fingerprint files that did not become a track
 * log (a save moves the ones that do) and the snapshots of the track logs it read.
 */
async function dropTemporaryFiles(disks: DiskWork[]): Promise<void> {
  for (const disk of disks) {
    if (disk.fingerprints) await rm(disk.fingerprints.path, { force: true }).catch(() => undefined);
    await removeSnapshots(disk.trackLog?.snapshots ?? []);
  }
}

/**
 * Opens the file this backup's fingerprints of a disk go to. Without it the backup still
 * runs; only the next one compares digests instead (slower).
 */
async function openPendingFingerprints(
  trackLogs: TrackLogs,
  diskKey: string,
  backupId: string,
  blockCount: number,
  log: JobLogger,
): Promise<PendingFingerprints | null> {
  let file: string | null = null;
  let handle: FileHandle | null = null;
  try {
    file = await trackLogs.pendingFingerprints(diskKey, backupId);
    handle = await open(file, 'wx');
    await handle.truncate(blockCount * FINGERPRINT_BYTES);
    return { path: file, handle, lost: false };
  } catch (error) {
    await handle?.close().catch(() => undefined);
    if (file) await rm(file, { force: true }).catch(() => undefined);
    log('warning', `fingerprints not kept (the next backup compares digests): ${String(error)}`);
    return null;
  }
}

async function dropSnapshots(disks: DiskWork[]): Promise<void> {
  for (const disk of disks) {
    if (disk.diskPath !== disk.sourcePath) await dropSnapshot(disk.diskPath).catch(() => undefined);
  }
}

async function planDisks(
  request: VmBackupRequest,
  backupId: string,
  blockSize: number,
  trackLogs: TrackLogs,
  staged: StagedImage,
  plans: DiskWork[],
): Promise<void> {
  const keys = new Set<string>();
  for (const [position, source] of request.disks.entries()) {
    const sourcePath = path.resolve(source.path);
    let readPath = sourcePath;
    if (request.snapshotFirst) {
      const snapshot = await snapshotDisk(sourcePath, backupId);
      if (snapshot.kind === 'clone') {
        readPath = snapshot.path;
        request.log('info', `${sourcePath}: reading a copy-on-write snapshot`);
      } else {
        request.log(
          'warning',
          `${sourcePath}: no snapshot, reading the live disk: ${snapshot.reason}; if the VM writes to it meanwhile, the image may not be consistent`,
        );
      }
    }
    let disk: VirtualDisk;
    let before: Stats;
    try {
      disk = await openDisk(readPath, { format: source.format });
      // Stamped once the disk opened: a missing file is the disk layer's DISK_IO, with its path.
      before = await stat(readPath);
    } catch (error) {
      if (readPath !== sourcePath) await dropSnapshot(readPath);
      throw error;
    }
    const facts = {
      format: disk.format,
      virtualSize: disk.virtualSize,
      logicalSectorSize: disk.logicalSectorSize,
      physicalSectorSize: disk.physicalSectorSize,
      identity: disk.identity,
    };
    await disk.close();
    // If planning this disk fails, its own snapshot and track-log snapshots go here (removing
    // them twice is harmless once it is in `plans`, whose files prepare() cleans up).
    let trackLog: TrackLog | null = null;
    try {
      if (facts.virtualSize === 0) {
        throw new TesseraError(
          'BAD_REQUEST',
          `${sourcePath}: the disk is empty (0 bytes); there is nothing to back up`,
        );
      }
      let diskKey = `${request.client}:${facts.identity ?? sourcePath}`;
      while (keys.has(diskKey)) diskKey += '+';
      keys.add(diskKey);
      const blockCount = Math.ceil(facts.virtualSize / blockSize);
      const previous = request.forcedRescan
        ? null
        : await previousImage(request, diskKey, blockSize, facts.virtualSize);
      trackLog = previous
        ? await trackLogOf(trackLogs, previous, diskKey, blockSize, blockCount, backupId, {
            sourcePath,
            log: request.log,
          })
        : null;
      const blocksFile = `disk-${position}.blocks`;
      const digestHandle = await open(staged.digestListPath(blocksFile), 'wx');
      const fingerprints = await openPendingFingerprints(
        trackLogs,
        diskKey,
        backupId,
        blockCount,
        request.log,
      );
      plans.push({
        position,
        client: request.client,
        source,
        sourcePath,
        diskPath: readPath,
        ...facts,
        diskKey,
        blockSize,
        blockCount,
        blocksFile,
        previousBackupId: previous?.backupId ?? null,
        trackLog,
        digestHandle,
        fingerprints,
        fileStamp: { size: before.size, mtimeMs: before.mtimeMs },
        changedWhileRead: false,
        changed: new ExtentSet(facts.virtualSize),
        unchanged: new ExtentSet(facts.virtualSize),
        stats: { ...EMPTY_DISK_STATS },
      });
      await digestHandle.truncate(blockCount * DIGEST_BYTES);
    } catch (error) {
      await removeSnapshots(trackLog?.snapshots ?? []);
      if (readPath !== sourcePath) await dropSnapshot(readPath).catch(() => undefined);
      throw error;
    }
  }
}

/** The disk's track log for the previous image, or the image's digest list standing in. */
async function trackLogOf(
  trackLogs: TrackLogs,
  previous: { backupId: string; digestList: string },
  diskKey: string,
  blockSize: number,
  blockCount: number,
  backupId: string,
  { sourcePath, log }: { sourcePath: string; log: JobLogger },
): Promise<TrackLog> {
  const lookup = await trackLogs.find(diskKey, previous.backupId, blockSize, blockCount, backupId);
  if (lookup.kind === 'found') return lookup.trackLog;
  if (lookup.kind === 'damaged') {
    log(
      'warning',
      `${sourcePath}: the track log is damaged (${lookup.reason}); comparing with image ${previous.backupId} instead`,
    );
  }
  return { digests: previous.digestList, fingerprints: null, snapshots: [] };
}

/** The previous image of this disk usable as its track log: same block size and disk size. */
async function previousImage(
  request: VmBackupRequest,
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

/**
 * Commits the image; if a garbage collection swept blocks this backup linked to meanwhile,
 * reads those blocks from the source again, stores them, and retries. Returns the manifest as
 * committed (its stats count the blocks stored again as stored, not linked).
 */
async function commitWithRepair(
  store: Store,
  staged: StagedImage,
  manifest: ImageManifest,
  disks: DiskWork[],
  log: JobLogger,
): Promise<ImageManifest> {
  let current = manifest;
  for (let attempt = 0; attempt < 5; attempt++) {
    const result = await store.commitImage(staged, current);
    if (result.committed) return current;
    log(
      'warning',
      `${result.missing.length} linked blocks were removed by a garbage collection during the backup; storing them again`,
    );
    await restoreMissing(store, staged, disks, new Set(result.missing.map(digestHex)));
    current = {
      ...current,
      disks: current.disks.map((disk, i) => ({ ...disk, stats: { ...disks[i]!.stats } })),
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
  plans: DiskWork[],
  missing: ReadonlySet<string>,
): Promise<void> {
  const stored = new Set<string>();
  for (const plan of plans) {
    const { blockSize } = plan;
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
            'DISK_CHANGED',
            `${plan.sourcePath}: the disk changed during the backup (block at ${offset}); back it up from a snapshot or with the VM stopped`,
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
