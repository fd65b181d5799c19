/**
 * The compound backup job, step by step as in NetBackup for Azure Stack: a parent job; a
 * discovery child that lists the policy's VMs and writes the workload discovery file; the
 * disks distributed over the backup hosts (largest first to the least-loaded host), one
 * workload distribution file each; one backup child per host, each reading `streamsPerHost`
 * disks at once; the parent ends when every child has, with the worst child status.
 *
 * A VM's image may gather disks from several hosts: it is committed by whichever child
 * settles its last disk, and only if none of its disks failed.
 */
import { TesseraError } from '../../../shared/errors.js';
import {
  describeProblem,
  type InventoryScan,
  type InventorySource,
  type InventoryVm,
} from '../../../shared/inventory.js';
import type { Policy, Schedule } from '../../../shared/policy.js';
import { STATUS, statusForError, worseStatus } from '../../../shared/status-codes.js';
import { selectVms } from '../../../shared/vm-query.js';
import { reconcileCatalog } from '../backup/expire.js';
import { VmBackup } from '../backup/vm-backup.js';
import {
  RelayedPool,
  runWorkload,
  type DiskWork,
  type WorkloadProgress,
} from '../backup/workload.js';
import type { Catalog } from '../catalog/catalog.js';
import type { HostRegistry } from '../hosts/host-registry.js';
import type { HostConfig } from '../hosts/host-config.js';
import { scanSources } from '../inventory/index.js';
import type { Store } from '../store/store.js';
import { distributeDisks } from './distribution.js';
import type { JobRecorder } from './job-recorder.js';
import { clientNameOf, vmMetadataOf } from './vm-client.js';
import type { VmLocks } from './vm-locks.js';
import {
  DISCOVERY_FILE,
  distributionFile,
  writeWorkloadFile,
  type DistributedDisk,
} from './workload-files.js';

export interface CompoundJobRequest {
  readonly store: Store;
  readonly catalog: Catalog;
  readonly recorder: JobRecorder;
  /** Where each job's workload files go (<data>/jobs). */
  readonly jobsDir: string;
  readonly policy: Policy;
  /** The schedule that fired; null for a run started by hand. */
  readonly schedule: Schedule | null;
  /** A run by hand that re-reads every block (a full), whatever the policy says. */
  readonly full?: boolean;
  readonly sources: readonly InventorySource[];
  readonly hostConfig: HostConfig;
  /** Long-lived backup hosts to take the children's hosts from (started per child without). */
  readonly hostRegistry?: HostRegistry;
  readonly locks: VmLocks;
  /** When the schedule's start window closes; VMs not started by then are not attempted. */
  readonly windowEnd?: Date | null;
  readonly trackLogDir?: string;
  /** Unix seconds for backup IDs (tests pin it). */
  readonly now?: () => number;
  readonly clock?: () => number;
  /** Milliseconds of silence from a busy backup host before it counts as hung. */
  readonly hangTimeoutMs?: number;
  /** Inventory scan (tests may narrow it); scanSources by default. */
  readonly scan?: (sources: readonly InventorySource[]) => Promise<InventoryScan>;
}

/**
 * What one run did for one VM, kept in the parent job's detail (`vms`), so the app can show
 * each VM's last attempt without reading logs.
 */
export interface VmOutcome {
  readonly id: string;
  readonly name: string;
  readonly statusCode: number;
  /** The committed image; null when none was. */
  readonly backupId: string | null;
  /** Why it failed or was skipped; null on success. */
  readonly message: string | null;
}

export interface CompoundOutcome {
  readonly jobId: number;
  readonly statusCode: number;
  readonly images: readonly string[];
  readonly vms: readonly VmOutcome[];
  readonly children: readonly { readonly jobId: number; readonly statusCode: number }[];
}

export interface CompoundJob {
  readonly id: number;
  /** Cancels the whole job (every child). */
  cancel(): void;
  /** Cancels one backup-host child; the others go on. False when it is not running. */
  cancelChild(jobId: number): boolean;
  readonly done: Promise<CompoundOutcome>;
}

interface VmRun {
  readonly vm: InventoryVm;
  readonly backup: VmBackup;
  pending: number;
  failure: TesseraError | null;
}

interface HostItem {
  readonly run: VmRun;
  readonly disk: DiskWork;
  readonly virtualSize: number;
}

/** Starts a compound job; the parent job exists (and has an ID) when this returns. */
export function startCompoundJob(request: CompoundJobRequest): CompoundJob {
  const { recorder, policy } = request;
  const hosts = policy.hosts ?? request.hostConfig.hosts;
  const streams = policy.streamsPerHost ?? request.hostConfig.streamsPerHost;
  const parentId = recorder.start({
    kind: 'compound',
    policy: policy.name,
    detail: { schedule: request.schedule?.name ?? null, hosts, streams },
  });
  const controller = new AbortController();
  const children = new Map<number, AbortController>();
  const job = new CompoundRun(request, parentId, hosts, streams, controller.signal, children);
  return {
    id: parentId,
    cancel: () => controller.abort(),
    cancelChild: (jobId) => {
      const child = children.get(jobId);
      if (!child) return false;
      child.abort();
      return true;
    },
    done: job.run(),
  };
}

class CompoundRun {
  private status: number = STATUS.SUCCESS.code;
  private readonly images: string[] = [];
  private readonly childOutcomes: { jobId: number; statusCode: number }[] = [];
  private readonly childProgress = new Map<number, WorkloadProgress>();
  private readonly startedAt: number;
  private readonly locked: string[] = [];
  private readonly vmOutcomes = new Map<string, VmOutcome>();

  constructor(
    private readonly request: CompoundJobRequest,
    private readonly parentId: number,
    private readonly hostCount: number,
    private readonly streams: number,
    private readonly signal: AbortSignal,
    private readonly children: Map<number, AbortController>,
  ) {
    this.startedAt = this.clock();
  }

  private clock(): number {
    return (this.request.clock ?? Date.now)();
  }

  private worse(code: number): void {
    this.status = worseStatus(this.status, code);
  }

  /** The first outcome of a VM stands: a later, generic one must not hide the real cause. */
  private outcome(
    vm: InventoryVm,
    statusCode: number,
    message: string | null,
    backupId = null as string | null,
  ): void {
    if (this.vmOutcomes.has(vm.id)) return;
    this.vmOutcomes.set(vm.id, { id: vm.id, name: vm.name, statusCode, backupId, message });
  }

  private log(jobId: number, level: 'info' | 'warning' | 'error', message: string): void {
    this.request.recorder.log(jobId, level, message);
  }

  async run(): Promise<CompoundOutcome> {
    const { recorder } = this.request;
    let selected: InventoryVm[] = [];
    try {
      selected = await this.discover();
      if (selected.length > 0) await this.backUp(selected);
    } catch (error) {
      this.log(this.parentId, 'error', messageOf(error));
      this.worse(statusOfFailure(error, this.signal));
    } finally {
      // A VM the run never settled (the window closed, the job was cancelled or failed first)
      // gets the job's status.
      for (const vm of selected)
        this.outcome(vm, this.status, 'the job ended before this VM was backed up');

      for (const vmId of this.locked) this.request.locks.unlock(vmId, this.parentId);
    }
    if (this.childProgress.size > 0) {
      recorder.progress(this.parentId, this.startedAt, this.totals(), true);
    }
    recorder.end(this.parentId, this.status, {
      schedule: this.request.schedule?.name ?? null,
      hosts: this.hostCount,
      streams: this.streams,
      images: this.images,
      vms: [...this.vmOutcomes.values()],
      ...this.totals(),
    });
    return {
      jobId: this.parentId,
      statusCode: this.status,
      images: this.images,
      vms: [...this.vmOutcomes.values()],
      children: this.childOutcomes,
    };
  }

  /** The discovery child: scan, select, skip what cannot or must not be backed up now. */
  private async discover(): Promise<InventoryVm[]> {
    const { recorder, policy, locks } = this.request;
    const id = recorder.start({ kind: 'discovery', parentId: this.parentId, policy: policy.name });
    let status: number = STATUS.SUCCESS.code;
    try {
      const scan = await (this.request.scan ?? scanSources)(this.request.sources);
      for (const problem of scan.problems) {
        this.log(id, 'warning', describeProblem(problem));
        status = worseStatus(status, STATUS.PARTIAL.code);
      }
      const names = new Map(this.request.sources.map((s) => [s.id, s.name]));
      const matched = selectVms(policy.selection, scan.vms, names);
      const selected: InventoryVm[] = [];
      const skipped: { vm: string; reason: string }[] = [];
      const skip = (vm: InventoryVm, reason: string, code: number): void => {
        skipped.push({ vm: vm.name, reason });
        this.outcome(vm, code, reason);
        this.log(id, code === STATUS.PARTIAL.code ? 'warning' : 'error', `${vm.name}: ${reason}`);
        status = worseStatus(status, code);
      };
      for (const vm of matched) {
        const broken = vm.disks.find((d) => d.problem !== null || d.virtualSize === null);
        if (vm.disks.length === 0) {
          skip(vm, 'the VM has no disks to back up', STATUS.PARTIAL.code);
        } else if (broken) {
          skip(
            vm,
            `disk ${broken.path} cannot be opened: ${broken.problem ?? 'unknown size'}`,
            STATUS.DISK_OPEN_FAILED.code,
          );
        } else {
          const holder = locks.tryLock(vm.id, this.parentId);
          if (holder !== null) {
            skip(
              vm,
              `already being backed up by job ${holder}; not started twice`,
              STATUS.PARTIAL.code,
            );
          } else {
            this.locked.push(vm.id);
            selected.push(vm);
          }
        }
      }
      if (matched.length === 0) status = worseStatus(status, STATUS.NO_VMS_SELECTED.code);
      const file = await writeWorkloadFile(this.request.jobsDir, this.parentId, DISCOVERY_FILE, {
        format: 'tessera-workload-discovery',
        jobId: this.parentId,
        policy: policy.name,
        discoveredAt: this.clock(),
        query: policy.selection.kind === 'query' ? policy.selection.query : null,
        vms: selected,
        skipped,
        problems: scan.problems,
      });
      this.log(
        id,
        'info',
        `${scan.vms.length} VMs discovered, ${matched.length} selected by the policy, ${selected.length} to back up; workload discovery file ${file}`,
      );
      recorder.end(id, status, { vms: selected.length, skipped: skipped.length, file });
      this.worse(status);
      return selected;
    } catch (error) {
      this.log(id, 'error', messageOf(error));
      const code = statusOfFailure(error, this.signal);
      recorder.end(id, code);
      this.worse(code);
      return [];
    }
  }

  private async backUp(selected: InventoryVm[]): Promise<void> {
    const { request } = this;
    const windowEnd = request.windowEnd ?? null;
    if (windowEnd && this.clock() > windowEnd.getTime()) {
      this.log(
        this.parentId,
        'error',
        `the backup window closed at ${windowEnd.toISOString()} before the backup could start`,
      );
      this.worse(STATUS.WINDOW_CLOSED.code);
      return;
    }
    const reconciled = await reconcileCatalog(request.store, request.catalog);
    if (reconciled.recorded + reconciled.forgotten > 0) {
      this.log(
        this.parentId,
        'info',
        `catalog brought in line with the storage unit: ${reconciled.recorded} images recorded, ${reconciled.forgotten} forgotten`,
      );
    }
    await request.store.recover();
    const runs = await this.prepare(selected);
    const items = runs.flatMap((run) =>
      run.backup.disks.map((disk): HostItem => ({ run, disk, virtualSize: disk.virtualSize })),
    );
    const perHost = distributeDisks(items, this.hostCount);
    await Promise.all(
      perHost.map((work, host) => (work.length > 0 ? this.runHost(host, work) : null)),
    );
  }

  /** Claims a backup ID and plans the disks of each VM; a VM that cannot be planned fails alone. */
  private async prepare(selected: InventoryVm[]): Promise<VmRun[]> {
    const { request } = this;
    const runs: VmRun[] = [];
    const clients = new Set<string>();
    for (const vm of selected) {
      const client = clientNameOf(vm, clients);
      clients.add(client);
      try {
        const backup = await VmBackup.prepare({
          store: request.store,
          catalog: request.catalog,
          client,
          disks: vm.disks.map((disk) => ({ path: disk.path })),
          forcedRescan: this.forcedRescan(client),
          retentionSeconds: request.schedule?.retentionSeconds ?? null,
          vm: vmMetadataOf(vm),
          snapshotFirst: request.policy.snapshotFirst,
          trackLogDir: request.trackLogDir,
          now: request.now,
          log: (level, message) => this.log(this.parentId, level, message),
        });
        runs.push({ vm, backup, pending: backup.disks.length, failure: null });
      } catch (error) {
        this.log(this.parentId, 'error', `${vm.name}: not backed up: ${messageOf(error)}`);
        const code = statusOfFailure(error, this.signal, 'open');
        this.outcome(vm, code, messageOf(error));
        this.worse(code);
      }
    }
    return runs;
  }

  /** A full (every block hashed again) when the schedule or policy asks for one. */
  private forcedRescan(client: string): boolean {
    const { policy, schedule } = this.request;
    if (this.request.full || !policy.accelerator || schedule?.type === 'full') return true;
    const every = policy.forcedRescanEvery;
    if (every === null) return false;
    const images = this.request.catalog.listImages({ client });
    const since = images.findIndex((image) => image.disks.some((disk) => disk.forcedRescan));
    const count = since === -1 ? images.length : since;
    return images.length > 0 && count >= every - 1;
  }

  /** One backup-host child: its distribution file, its streams, its disks. */
  private async runHost(host: number, work: HostItem[]): Promise<void> {
    const { request } = this;
    const { recorder, policy } = request;
    const totalBytes = work.reduce((sum, item) => sum + item.virtualSize, 0);
    const disks: DistributedDisk[] = work.map(({ run, disk }) => ({
      vmId: run.vm.id,
      vmName: run.vm.name,
      client: run.backup.client,
      backupId: run.backup.backupId,
      position: disk.position,
      path: disk.sourcePath,
      format: disk.format,
      virtualSize: disk.virtualSize,
      previousBackupId: disk.previousBackupId,
    }));
    const streams = Math.min(this.streams, work.length);
    const id = recorder.start({
      kind: 'backup-host',
      parentId: this.parentId,
      policy: policy.name,
      detail: { host, streams, disks: work.length, totalBytes },
    });
    const file = await writeWorkloadFile(request.jobsDir, this.parentId, distributionFile(host), {
      format: 'tessera-workload-distribution',
      jobId: this.parentId,
      host,
      streams,
      totalBytes,
      disks,
    });
    this.log(
      id,
      'info',
      `backup host ${host}: ${work.length} disks, ${streams} streams; workload distribution file ${file}`,
    );
    const controller = new AbortController();
    this.children.set(id, controller);
    const signal = AbortSignal.any([this.signal, controller.signal]);
    const startedAt = this.clock();
    let status: number = STATUS.SUCCESS.code;
    let last: WorkloadProgress = {
      doneBytes: 0,
      totalBytes,
      readBytes: 0,
      storedBytes: 0,
      blocksChanged: 0,
    };
    this.childProgress.set(id, last);
    const owner = new Map(work.map((item) => [item.disk, item.run]));
    const settled = new Set<DiskWork>();
    const commits: Promise<number>[] = [];
    const settle = (disk: DiskWork, error: TesseraError | null): void => {
      if (settled.has(disk)) return;
      settled.add(disk);
      const run = owner.get(disk)!;
      if (error) {
        run.failure ??= error;
        status = worseStatus(status, statusOfFailure(error, signal));
      } else if (disk.changedWhileRead) {
        this.log(
          id,
          'warning',
          `${disk.sourcePath}: ${STATUS.DISK_CHANGED.message}. ${STATUS.DISK_CHANGED.remedy}`,
        );
        status = worseStatus(status, STATUS.DISK_CHANGED.code);
      }
      if (--run.pending === 0) commits.push(this.finishVm(run, id));
    };
    const pool = new RelayedPool(streams, `backup host ${host} stream`, request.hostRegistry);
    let hostsIdle = false;
    try {
      ({ hostsIdle } = await runWorkload(
        pool,
        work.map((item) => item.disk),
        {
          store: request.store,
          signal,
          hangTimeoutMs: request.hangTimeoutMs,
          onProgress: (progress) => {
            last = progress;
            recorder.progress(id, startedAt, progress);
            this.childProgress.set(id, progress);
            recorder.progress(this.parentId, this.startedAt, this.totals());
          },
          onDiskDone: (disk) => settle(disk, null),
          onDiskFailed: (disk, error) => {
            this.log(id, 'error', error.message);
            settle(disk, error);
          },
        },
      ));
    } catch (error) {
      const failure =
        error instanceof TesseraError ? error : new TesseraError('HOST_FAILED', messageOf(error));
      this.log(id, 'error', failure.message);
      for (const item of work) settle(item.disk, failure);
    } finally {
      // Idle hosts (every request answered, no disk failed) serve the next job; others stop.
      await (hostsIdle ? pool.release() : pool.close());
      this.children.delete(id);
    }
    for (const code of await Promise.all(commits)) status = worseStatus(status, code);
    recorder.progress(id, startedAt, last, true);
    recorder.end(id, status, { host, streams, disks: work.length, ...last });
    this.childOutcomes.push({ jobId: id, statusCode: status });
    this.worse(status);
  }

  /** Commits a VM's image once its last disk has settled, or drops it if a disk failed. */
  private async finishVm(run: VmRun, childId: number): Promise<number> {
    try {
      if (run.failure) {
        await run.backup.discard();
        this.log(childId, 'error', `${run.vm.name}: not backed up: ${run.failure.message}`);
        this.outcome(run.vm, statusOfFailure(run.failure, this.signal), run.failure.message);
        return STATUS.SUCCESS.code; // the failing disk already counted against its child
      }
      const manifest = await run.backup.finish();
      this.images.push(manifest.backupId);
      this.log(childId, 'info', `${run.vm.name}: image ${manifest.backupId} committed`);
      const changed = run.backup.disks.some((disk) => disk.changedWhileRead);
      this.outcome(
        run.vm,
        changed ? STATUS.DISK_CHANGED.code : STATUS.SUCCESS.code,
        changed ? STATUS.DISK_CHANGED.message : null,
        manifest.backupId,
      );
      return STATUS.SUCCESS.code;
    } catch (error) {
      this.log(childId, 'error', `${run.vm.name}: image not committed: ${messageOf(error)}`);
      const code = statusOfFailure(error, this.signal);
      this.outcome(run.vm, code, messageOf(error));
      return code;
    }
  }

  private totals(): WorkloadProgress {
    const sum = { doneBytes: 0, totalBytes: 0, readBytes: 0, storedBytes: 0, blocksChanged: 0 };
    for (const p of this.childProgress.values()) {
      sum.doneBytes += p.doneBytes;
      sum.totalBytes += p.totalBytes;
      sum.readBytes += p.readBytes;
      sum.storedBytes += p.storedBytes;
      sum.blocksChanged += p.blocksChanged;
    }
    return sum;
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The status a failure maps to; a disk that cannot be found when planned could not be opened. */
function statusOfFailure(
  error: unknown,
  signal: AbortSignal,
  phase: 'open' | 'read' = 'read',
): number {
  if (signal.aborted) return STATUS.CANCELLED.code;
  const code = error instanceof TesseraError ? error.code : undefined;
  if (
    phase === 'open' &&
    (code === 'DISK_IO' || (error as NodeJS.ErrnoException).code === 'ENOENT')
  ) {
    return STATUS.DISK_OPEN_FAILED.code;
  }
  return statusForError(code).code;
}
