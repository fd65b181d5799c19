/**
 * The one door into the engine: inventory, policies, jobs (with their progress events),
 * images, restore, storage and backup hosts, as typed async methods and events. The CLI uses
 * it now; the desktop app binds it to its transports (IPC, HTTP + WebSocket). Nothing outside
 * the engine reaches into its folders.
 *
 * A data directory holds everything of one Tessera: `tessera.conf` (backup hosts and
 * streams), `store/` (the storage unit with its catalog: images, jobs, policies, sources) and
 * `jobs/<id>/` (each compound job's workload discovery and distribution files).
 */
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { TesseraError } from '../../shared/errors.js';
import type { ApiEvent, Dashboard, ProtectedVm, SampleVm } from '../../shared/api.js';
import type { ImageRow, StorageSummary } from '../../shared/images.js';
import type { InventoryScan, InventorySource, InventoryVm } from '../../shared/inventory.js';
import type { JobInfo } from '../../shared/jobs.js';
import {
  BACKUP_NOW_POLICY,
  describeIssues,
  newPolicy,
  newSourceSchema,
  policySchema,
  type NewSource,
  type Policy,
  type Schedule,
  type VmSelection,
} from '../../shared/policy.js';
import { STATUS } from '../../shared/status-codes.js';
import { statusForError } from '../../shared/status-codes.js';
import { parseVmQuery, selectVms } from '../../shared/vm-query.js';
import { expireImages } from './backup/expire.js';
import { Catalog } from './catalog/catalog.js';
import type { JobLogRow } from './catalog/types.js';
import {
  checkHostConfig,
  readHostConfig,
  writeHostConfig,
  type HostConfig,
} from './hosts/host-config.js';
import { HostRegistry } from './hosts/host-registry.js';
import { scanSources } from './inventory/index.js';
import {
  startCompoundJob,
  type CompoundJob,
  type CompoundOutcome,
  type VmOutcome,
} from './jobs/compound-job.js';
import { JobRecorder, jobInfoOf } from './jobs/job-recorder.js';
import { Scheduler } from './jobs/scheduler.js';
import { VmLocks } from './jobs/vm-locks.js';
import { createSampleVm } from './sample/sample-vm.js';
import { restoreImage, type RestoredDisk, type RestoreRequest } from './restore/restore-image.js';
import type { RestorePlan, VmRestoreResult } from '../../shared/restore.js';
import type { RestoreProgress } from './restore/restore-image.js';
import { planVmRestore, prepareRestore, type RestoreContext } from './restore/restore-plan.js';
import { runPreparedRestore } from './restore/restore-vm.js';
import { collectGarbage, type GcReport } from './store/gc.js';
import { isProcessAlive } from './store/process-alive.js';
import { Store } from './store/store.js';
import { Verifier, type VerifyReport } from './store/verify.js';

const CANCEL_POLL_MS = 500;

export type ServiceEvent = ApiEvent;

export { BACKUP_NOW_POLICY };
export type ServiceListener = (event: ServiceEvent) => void;

export interface ServiceOptions {
  readonly dataDir: string;
  /** The storage unit; default <dataDir>/store. */
  readonly storeDir?: string;
  /** Unix seconds for backup IDs (tests pin it). */
  readonly now?: () => number;
  /** Unix milliseconds (tests pin it). */
  readonly clock?: () => number;
  /** Silence from a busy backup host before it counts as hung (default 120 s). */
  readonly hangTimeoutMs?: number;
  /** How often the scheduler looks for due schedules (default 30 s). */
  readonly schedulerTickMs?: number;
}

export interface RunOptions {
  /** Re-read every block (a full backup), whatever the policy says. */
  readonly full?: boolean;
  /** Run as this schedule (its retention and type); default: a run by hand. */
  readonly schedule?: string;
}

export interface RunningJob {
  readonly jobId: number;
  readonly done: Promise<CompoundOutcome>;
}

export interface JobTree {
  readonly job: JobInfo;
  readonly children: readonly JobInfo[];
}

export type { StorageSummary } from '../../shared/images.js';

export class TesseraService {
  private readonly listeners = new Set<ServiceListener>();
  private readonly running = new Map<number, CompoundJob>();
  private readonly locks = new VmLocks();
  /** Backup hosts kept between jobs (each child job takes its streams from here). */
  private readonly hosts = new HostRegistry();
  private readonly recorder: JobRecorder;
  #scheduler: Scheduler | null = null;
  private lastScan: InventoryScan | null = null;
  private cancelPoll: NodeJS.Timeout | null = null;

  private constructor(
    readonly dataDir: string,
    readonly store: Store,
    readonly catalog: Catalog,
    private hostConfig: HostConfig,
    private readonly options: ServiceOptions,
  ) {
    this.recorder = new JobRecorder(catalog, (event) => this.emit(event), options.clock);
  }

  /**
   * Opens (creating if needed) a data directory. Jobs a previous process left running are
   * marked interrupted (status 40), never silently lost.
   */
  static async open(options: ServiceOptions): Promise<TesseraService> {
    const dataDir = path.resolve(options.dataDir);
    await mkdir(dataDir, { recursive: true });
    const hostConfig = await readHostConfig(path.join(dataDir, 'tessera.conf'));
    const store = await Store.open(options.storeDir ?? path.join(dataDir, 'store'), {
      create: true,
    });
    let catalog: Catalog;
    try {
      catalog = Catalog.open(store.layout.catalog);
    } catch (error) {
      await store.close();
      throw error;
    }
    const service = new TesseraService(dataDir, store, catalog, hostConfig, options);
    // Only jobs whose process is gone: another Tessera (the CLI's run, the app) may be
    // running jobs on this data directory right now.
    catalog.interruptRunningJobs(
      STATUS.INTERRUPTED.code,
      `${STATUS.INTERRUPTED.message}. ${STATUS.INTERRUPTED.remedy}`,
      (pid) => pid !== process.pid && isProcessAlive(pid),
    );
    return service;
  }

  get configFile(): string {
    return path.join(this.dataDir, 'tessera.conf');
  }

  /** Where first-run sample VMs are made (a folder inventory source of their own). */
  get sampleDir(): string {
    return path.join(this.dataDir, 'sample-vms');
  }

  get jobsDir(): string {
    return path.join(this.dataDir, 'jobs');
  }

  /** Subscribes to job and inventory events; returns the unsubscribe function. */
  subscribe(listener: ServiceListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(event: ServiceEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch {
        // one listener's bug must not starve the others
      }
    }
  }

  // --- inventory ---------------------------------------------------------------------------

  listSources(): InventorySource[] {
    return this.catalog.listSources();
  }

  addSource(input: NewSource): InventorySource {
    const parsed = newSourceSchema.safeParse(input);
    if (!parsed.success) throw new TesseraError('BAD_REQUEST', describeIssues(parsed.error));
    const source = this.catalog.addSource({ ...parsed.data, path: path.resolve(parsed.data.path) });
    this.lastScan = null; // the next inventory() scans again, new source included
    this.emit({ type: 'inventory-changed' });
    return source;
  }

  removeSource(idOrName: number | string): boolean {
    const removed = this.catalog.removeSource(idOrName);
    if (removed) this.lastScan = null;
    if (removed) this.emit({ type: 'inventory-changed' });
    return removed;
  }

  /** Scans every source (a bad one is reported, the others' VMs are listed). */
  async scanInventory(sources?: readonly InventorySource[]): Promise<InventoryScan> {
    const scan = await scanSources(sources ?? this.listSources());
    if (!sources) {
      this.lastScan = scan;
      this.emit({ type: 'inventory-changed' });
    }
    return scan;
  }

  /** The last full scan, or a new one when there is none yet. */
  async inventory(): Promise<InventoryScan> {
    return this.lastScan ?? this.scanInventory();
  }

  /**
   * First run: a small sample VM (a dynamic VHDX holding a real file system) in the data
   * directory, with a folder source of its own, so a new user can back up and restore at once.
   */
  async createSampleVm(): Promise<SampleVm> {
    const made = await createSampleVm(this.sampleDir);
    const source =
      this.listSources().find((s) => s.kind === 'folder' && s.path === this.sampleDir) ??
      this.addSource({ kind: 'folder', path: this.sampleDir, name: 'samples' });
    await this.scanInventory();
    return { source, name: made.name, folder: made.folder, diskPath: made.diskPath };
  }

  /** The VMs a selection (list or query) picks from the current inventory. */
  async previewSelection(selection: VmSelection): Promise<InventoryVm[]> {
    const scan = await this.inventory();
    const names = new Map(this.listSources().map((s) => [s.id, s.name]));
    return selectVms(selection, scan.vms, names);
  }

  // --- policies ----------------------------------------------------------------------------

  listPolicies(): Policy[] {
    return this.catalog.listPolicies();
  }

  getPolicy(name: string): Policy {
    const policy = this.catalog.getPolicy(name);
    if (!policy) throw new TesseraError('CATALOG_NOT_FOUND', `no policy named "${name}"`);
    return policy;
  }

  /** Validates and stores a policy (its query is parsed now, so a typo fails here). */
  savePolicy(input: unknown, mode: { create?: boolean; replace?: boolean } = {}): Policy {
    const parsed = policySchema.safeParse(input);
    if (!parsed.success) throw new TesseraError('BAD_REQUEST', describeIssues(parsed.error));
    const policy = parsed.data;
    if (policy.name === BACKUP_NOW_POLICY) {
      throw new TesseraError(
        'BAD_REQUEST',
        `"${BACKUP_NOW_POLICY}" is the name one-click backups run under; choose another policy name`,
      );
    }
    // A VmQueryError (BAD_REQUEST) keeps its position for the query editor.
    if (policy.selection.kind === 'query') parseVmQuery(policy.selection.query);
    this.catalog.savePolicy(policy, mode);
    this.emit({ type: 'policies-changed' });
    return policy;
  }

  deletePolicy(name: string): boolean {
    const deleted = this.catalog.deletePolicy(name);
    if (deleted) this.emit({ type: 'policies-changed' });
    return deleted;
  }

  // --- jobs --------------------------------------------------------------------------------

  /** Starts a compound backup job for a policy; resolves once the parent job exists. */
  runPolicy(name: string, options: RunOptions = {}): RunningJob {
    const policy = this.getPolicy(name);
    let schedule: Schedule | null = null;
    if (options.schedule !== undefined) {
      schedule = policy.schedules.find((s) => s.name === options.schedule) ?? null;
      if (!schedule) {
        throw new TesseraError(
          'BAD_REQUEST',
          `policy "${name}" has no schedule "${options.schedule}" (it has: ${policy.schedules.map((s) => s.name).join(', ') || 'none'})`,
        );
      }
    }
    return this.startJob(policy, schedule, options.full ?? false, null);
  }

  /**
   * A one-click backup: a compound job over the named VMs (inventory IDs), or every VM of the
   * inventory, with the default policy settings (Accelerator on, hosts from tessera.conf).
   */
  async backupNow(vmIds?: readonly string[]): Promise<RunningJob> {
    const { vms } = await this.inventory();
    const known = new Set(vms.map((vm) => vm.id));
    const unknown = (vmIds ?? []).filter((id) => !known.has(id));
    if (unknown.length > 0) {
      throw new TesseraError(
        'BAD_REQUEST',
        `no VM with ID ${unknown.join(', ')} in the inventory; scan the sources again`,
      );
    }
    const ids = vmIds ?? vms.map((vm) => vm.id);
    if (ids.length === 0) {
      throw new TesseraError('BAD_REQUEST', 'there is no VM to back up: add an inventory source');
    }
    const policy = newPolicy(BACKUP_NOW_POLICY, { kind: 'list', vms: [...ids] });
    return this.startJob(policy, null, false, null);
  }

  private startJob(
    policy: Policy,
    schedule: Schedule | null,
    full: boolean,
    windowEnd: Date | null,
  ): RunningJob {
    const job = startCompoundJob({
      store: this.store,
      catalog: this.catalog,
      recorder: this.recorder,
      jobsDir: this.jobsDir,
      policy,
      schedule,
      full,
      sources: this.listSources(),
      hostConfig: this.hostConfig,
      hostRegistry: this.hosts,
      locks: this.locks,
      windowEnd,
      now: this.options.now,
      clock: this.options.clock,
      hangTimeoutMs: this.options.hangTimeoutMs,
    });
    this.running.set(job.id, job);
    this.watchCancelRequests();
    const done = job.done.finally(() => {
      this.running.delete(job.id);
      this.stopWatchingCancelRequestsWhenIdle();
    });
    return { jobId: job.id, done };
  }

  listJobs(options: { limit?: number; policy?: string } = {}): JobInfo[] {
    return this.catalog.listJobs({ ...options, parentId: null }).map(jobInfoOf);
  }

  getJob(id: number): JobTree {
    const row = this.catalog.getJob(id);
    if (!row) throw new TesseraError('CATALOG_NOT_FOUND', `no job ${id}`);
    const children = this.catalog.listJobs({ parentId: id }).map(jobInfoOf).reverse();
    return { job: jobInfoOf(row), children };
  }

  jobLog(id: number, withChildren = true): JobLogRow[] {
    const ids = [id, ...(withChildren ? this.getJob(id).children.map((c) => c.id) : [])];
    return ids.flatMap((jobId) => this.catalog.jobLog(jobId)).sort((a, b) => a.id - b.id);
  }

  /**
   * Cancels a running compound job, or one backup-host child of it. A job another process
   * runs (the CLI's `tessera run`, the app) gets a cancel request file in its job folder,
   * which that process picks up within a second. False when the job is not running.
   */
  async cancelJob(id: number): Promise<boolean> {
    if (this.cancelLocal(id)) return true;
    const row = this.catalog.getJob(id);
    if (!row || (row.state !== 'running' && row.state !== 'queued')) return false;
    const top = row.parentId ?? id;
    await mkdir(path.join(this.jobsDir, String(top)), { recursive: true });
    await writeFile(path.join(this.jobsDir, String(top), `cancel-${id}`), '');
    return true;
  }

  private cancelLocal(id: number): boolean {
    if (this.cancelRestore(id)) return true;
    const parent = this.running.get(id);
    if (parent) {
      parent.cancel();
      return true;
    }
    for (const job of this.running.values()) if (job.cancelChild(id)) return true;
    return false;
  }

  private watchCancelRequests(): void {
    this.cancelPoll ??= setInterval(() => void this.pollCancelRequests(), CANCEL_POLL_MS);
    this.cancelPoll.unref();
  }

  private stopWatchingCancelRequestsWhenIdle(): void {
    if (this.running.size === 0 && this.restoreJobs.size === 0 && this.cancelPoll) {
      clearInterval(this.cancelPoll);
      this.cancelPoll = null;
    }
  }

  /** Picks up cancel requests other processes left for the jobs (backups, restores) this one runs. */
  private async pollCancelRequests(): Promise<void> {
    for (const id of [...this.running.keys(), ...this.restoreJobs.keys()]) {
      const dir = path.join(this.jobsDir, String(id));
      const names = await readdir(dir).catch(() => [] as string[]);
      for (const name of names) {
        const match = /^cancel-(\d+)$/.exec(name);
        if (!match) continue;
        await rm(path.join(dir, name), { force: true });
        this.cancelLocal(Number(match[1]));
      }
    }
  }

  /** Resolves when every running job has ended. */
  async idle(): Promise<void> {
    await Promise.allSettled([
      ...[...this.running.values()].map((job) => job.done),
      ...[...this.restoreJobs.values()].map((restore) => restore.done),
    ]);
  }

  // --- scheduler ---------------------------------------------------------------------------

  /** The scheduler, made on first use; it starts jobs only once startScheduler() runs. */
  private get scheduler(): Scheduler {
    this.#scheduler ??= new Scheduler({
      policies: () => this.listPolicies(),
      lastRun: (policy, schedule) => this.catalog.lastScheduleRun(policy, schedule),
      isRunning: (policy) =>
        [...this.running.values()].some((job) => this.catalog.getJob(job.id)?.policy === policy),
      start: async (policy, schedule, windowEnd) => {
        this.catalog.recordScheduleRun(
          policy.name,
          schedule.name,
          (this.options.clock ?? Date.now)(),
        );
        // Settles once the job exists; isRunning keeps a second start of the policy away.
        this.startJob(policy, schedule, false, windowEnd);
      },
      now: this.options.clock,
      tickMs: this.options.schedulerTickMs,
    });
    return this.#scheduler;
  }

  /** Starts the scheduler: due schedules start inside their windows, once per due time. */
  startScheduler(): void {
    this.scheduler.start();
  }

  upcomingRuns(limit = 10): { policy: string; schedule: string; at: number }[] {
    return this.scheduler.upcoming(limit);
  }

  // --- dashboard ---------------------------------------------------------------------------

  /** Every inventory VM with its newest image and last attempt, storage and what comes next. */
  async dashboard(): Promise<Dashboard> {
    const scan = await this.inventory();
    const sourceNames = new Map(this.listSources().map((s) => [s.id, s.name]));
    const images = this.catalog.listImages();
    const newestImage = new Map<string, ImageRow>();
    for (const image of images) {
      const vmId = image.vm?.['id'];
      if (typeof vmId !== 'string') continue;
      const seen = newestImage.get(vmId);
      if (!seen || image.createdAt > seen.createdAt) newestImage.set(vmId, image);
    }
    const lastAttempt = new Map<string, ProtectedVm['lastAttempt']>();
    const running = this.catalog.listJobs({ parentId: null, state: 'running' }).map(jobInfoOf);
    for (const job of this.catalog.listJobs({ parentId: null, limit: 500 })) {
      if (job.kind !== 'compound' || job.endedAt === null) continue;
      const outcomes = job.detail?.['vms'];
      if (!Array.isArray(outcomes)) continue;
      for (const outcome of outcomes as VmOutcome[]) {
        if (lastAttempt.has(outcome.id)) continue;
        lastAttempt.set(outcome.id, {
          jobId: job.id,
          statusCode: outcome.statusCode,
          endedAt: job.endedAt,
          message: outcome.message,
        });
      }
    }
    const vms = scan.vms.map((vm): ProtectedVm => {
      const image = newestImage.get(vm.id);
      return {
        id: vm.id,
        name: vm.name,
        sourceName: sourceNames.get(vm.sourceId) ?? String(vm.sourceId),
        diskCount: vm.disks.length,
        sizeBytes: vm.disks.reduce((sum, disk) => sum + (disk.virtualSize ?? 0), 0),
        lastImage: image
          ? { backupId: image.backupId, createdAt: image.createdAt, kind: image.kind }
          : null,
        lastAttempt: lastAttempt.get(vm.id) ?? null,
        runningJobId: this.locks.holderOf(vm.id),
      };
    });
    return {
      vms,
      storage: this.storageSummary(images),
      upcoming: this.upcomingRuns(5),
      running,
      problems: scan.problems,
    };
  }

  // --- images, restore, storage ------------------------------------------------------------

  listImages(filter: { client?: string } = {}): ImageRow[] {
    return this.catalog.listImages(filter);
  }

  async restore(request: Omit<RestoreRequest, 'store'>): Promise<RestoredDisk[]> {
    return restoreImage({ ...request, store: this.store });
  }

  storageSummary(images: readonly ImageRow[] = this.catalog.listImages()): StorageSummary {
    let protectedBytes = 0;
    let readBytes = 0;
    let storedBytes = 0;
    for (const image of images) {
      readBytes += image.bytesRead;
      storedBytes += image.bytesStored;
      for (const disk of image.disks) protectedBytes += disk.virtualSize;
    }
    return {
      images: images.length,
      clients: this.catalog.listClients().length,
      protectedBytes,
      readBytes,
      storedBytes,
      deduplicationRatio: storedBytes > 0 ? protectedBytes / storedBytes : 1,
    };
  }

  async verify(backupIds?: readonly string[]): Promise<VerifyReport[]> {
    const verifier = new Verifier(this.store);
    const ids = backupIds ?? (await this.store.listImages());
    const reports: VerifyReport[] = [];
    for (const id of ids) reports.push(await verifier.verify(id));
    return reports;
  }

  async expire(backupIds?: readonly string[]): Promise<readonly string[]> {
    const now = this.options.now?.();
    return (await expireImages(this.store, this.catalog, { backupIds, nowSeconds: now })).expired;
  }

  async collectGarbage(): Promise<GcReport> {
    return collectGarbage(this.store);
  }

  // --- backup hosts ------------------------------------------------------------------------

  getHostConfig(): HostConfig {
    return this.hostConfig;
  }

  /** Changes hosts and streams per host in tessera.conf; running jobs keep theirs. */
  async setHostConfig(change: Partial<HostConfig>): Promise<HostConfig> {
    const next = { ...this.hostConfig, ...change };
    checkHostConfig(next);
    await writeHostConfig(this.configFile, next);
    this.hostConfig = next;
    this.emit({ type: 'hosts-changed' });
    return next;
  }

  /**
   * `processExits`: the process ends right after (a CLI command). The catalog is then left
   * for the exit to close: closing it checkpoints its WAL, and a checkpoint's fsync waits
   * for the kernel to write back whatever the process wrote (gigabytes, after a restore).
   * Its commits are in the WAL already; the next process to open it checkpoints them.
   */
  async close(options: { processExits?: boolean } = {}): Promise<void> {
    this.#scheduler?.stop();
    for (const job of this.running.values()) job.cancel();
    for (const restore of this.restoreJobs.values()) restore.controller.abort();
    await this.idle();
    await this.hosts.close();
    if (!options.processExits) this.catalog.close();
    await this.store.close();
  }

  // --- VM restore ---

  /** Whole-VM restores this process runs, by job ID, so they can be cancelled. */
  private readonly restoreJobs = new Map<
    number,
    { readonly controller: AbortController; done?: Promise<unknown> }
  >();

  /** What a restore sees of this service: the store, and which VMs its jobs back up. */
  private restoreContext(): RestoreContext {
    return {
      store: this.store,
      catalog: this.catalog,
      jobsDir: this.jobsDir,
      lockHolder: (vmId) => this.locks.holderOf(vmId),
    };
  }

  /**
   * What a restore would do (what is read, what is written where, how large, the notes that
   * will apply), or a BAD_REQUEST saying why it would not. Writes nothing.
   */
  async planRestore(request: unknown): Promise<RestorePlan> {
    return planVmRestore(this.restoreContext(), request);
  }

  /**
   * Starts a whole-VM restore (shared/restore.ts VmRestoreRequest) as a 'restore' job with
   * progress and log events, as the Activity Monitor shows backups; resolves once the job
   * exists. A request the plan refuses throws here, before any job or file is made.
   */
  async startRestore(
    request: unknown,
    options: { readonly onProgress?: (progress: RestoreProgress) => void } = {},
  ): Promise<{ readonly jobId: number; readonly done: Promise<VmRestoreResult> }> {
    const context = this.restoreContext();
    const prepared = await prepareRestore(context, request);
    const { plan } = prepared;
    const jobId = this.recorder.start({
      kind: 'restore',
      client: plan.client,
      detail: {
        backupId: plan.backupId,
        target: plan.target.folder ?? 'original location',
        disks: plan.disks.length,
        readBytes: plan.readBytes,
        writeBytes: plan.writeBytes,
      },
    });
    const controller = new AbortController();
    const entry: { controller: AbortController; done?: Promise<unknown> } = { controller };
    this.restoreJobs.set(jobId, entry);
    this.watchCancelRequests();
    const startedAt = (this.options.clock ?? Date.now)();
    const counts = (progress: RestoreProgress) => ({
      doneBytes: progress.doneBytes,
      totalBytes: progress.totalBytes,
      readBytes:
        progress.totalBytes > 0
          ? Math.round((plan.readBytes * progress.doneBytes) / progress.totalBytes)
          : 0,
      storedBytes: 0,
      blocksChanged: 0,
    });
    let last: RestoreProgress = { doneBytes: 0, totalBytes: 0 };
    for (const warning of plan.warnings) this.recorder.log(jobId, 'warning', warning);
    const done = runPreparedRestore(context, prepared, {
      signal: controller.signal,
      onLog: (level, message) => this.recorder.log(jobId, level, message),
      onProgress: (progress) => {
        last = progress;
        this.recorder.progress(jobId, startedAt, counts(progress));
        options.onProgress?.(progress);
      },
    })
      .then(
        (result) => {
          this.recorder.progress(jobId, startedAt, counts(last), true);
          for (const note of result.notes) this.recorder.log(jobId, 'info', note.message);
          const status =
            result.warnings.length > plan.warnings.length ? STATUS.PARTIAL : STATUS.SUCCESS;
          this.recorder.end(jobId, status.code, {
            backupId: result.backupId,
            target: plan.target.folder ?? 'original location',
            disks: result.disks,
            configPath: result.configPath,
            replaced: result.replaced,
            notes: result.notes,
            warnings: result.warnings,
          });
          return result;
        },
        (error: unknown) => {
          const cancelled = controller.signal.aborted;
          const message = error instanceof Error ? error.message : String(error);
          this.recorder.log(
            jobId,
            'error',
            cancelled ? 'the restore was cancelled; nothing was left half-written' : message,
          );
          const code = cancelled
            ? STATUS.CANCELLED.code
            : statusForError((error as TesseraError).code).code;
          this.recorder.end(jobId, code);
          throw error;
        },
      )
      .finally(() => {
        this.restoreJobs.delete(jobId);
        this.stopWatchingCancelRequestsWhenIdle();
      });
    entry.done = done;
    return { jobId, done };
  }

  /** Cancels a restore this process runs; false when there is none with that job ID. */
  cancelRestore(jobId: number): boolean {
    const entry = this.restoreJobs.get(jobId);
    entry?.controller.abort();
    return entry !== undefined;
  }
}
