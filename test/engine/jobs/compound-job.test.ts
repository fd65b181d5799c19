/**
 * Compound jobs through the engine's service, against real disks made by qemu-img in a folder
 * source, a real storage unit and a real SQLite catalog: discovery and distribution files,
 * one child per backup host, failures that stay inside their child, cancellation, disks that
 * change while read, snapshots, restarts, VM locks and windows.
 */
import { mkdir, open, readdir, readFile, utimes, writeFile } from 'node:fs/promises';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { Worker } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobEvent } from '../../../shared/jobs.js';
import { newPolicy, type Policy } from '../../../shared/policy.js';
import { STATUS } from '../../../shared/status-codes.js';
import { Catalog } from '../../../electron/engine/catalog/catalog.js';
import { HostRegistry } from '../../../electron/engine/hosts/host-registry.js';
import { startCompoundJob } from '../../../electron/engine/jobs/compound-job.js';
import { JobRecorder } from '../../../electron/engine/jobs/job-recorder.js';
import { VmLocks } from '../../../electron/engine/jobs/vm-locks.js';
import type {
  WorkloadDiscoveryFile,
  WorkloadDistributionFile,
} from '../../../electron/engine/jobs/workload-files.js';
import { TesseraService } from '../../../electron/engine/service.js';
import { qemuImg, qemuIo } from '../../helpers/tools.js';
import { scratchDir } from '../../helpers/scratch.js';

const MiB = 1024 * 1024;
let root: string;
let cleanup: () => Promise<void>;
let counter = 0;

beforeAll(async () => {
  ({ dir: root, cleanup } = await scratchDir('tessera-compound-'));
});
afterAll(async () => cleanup());

/** A VM folder with one disk per [format, MiB, MiB of data] entry. */
async function makeVm(
  parent: string,
  name: string,
  disks: [format: 'vhdx' | 'vpc' | 'raw', size: number, data: number][],
): Promise<string[]> {
  const dir = path.join(parent, name);
  await mkdir(dir, { recursive: true });
  const files: string[] = [];
  for (const [i, [format, size, data]] of disks.entries()) {
    const ext = format === 'vpc' ? 'vhd' : format === 'raw' ? 'img' : 'vhdx';
    const file = path.join(dir, `${name}-${i}.${ext}`);
    // force_size: a VHD's size exactly as asked, not rounded to a CHS geometry.
    const options = format === 'vpc' ? ['-o', 'force_size=on'] : [];
    await qemuImg('create', '-q', '-f', format, ...options, file, `${size}M`);
    if (data > 0) await qemuIo('-f', format, '-c', `write -P ${0x10 + i} 0 ${data}M`, file);
    files.push(file);
  }
  return files;
}

function policy(name: string, overrides: Partial<Policy> = {}): Policy {
  return {
    ...newPolicy(name, { kind: 'query', query: 'name startswith "vm"' }),
    ...overrides,
  };
}

/** A data directory with a folder source holding `vms`, and a service on it. */
async function setUp(
  vms: Record<string, [format: 'vhdx' | 'vpc' | 'raw', size: number, data: number][]>,
): Promise<{
  service: TesseraService;
  events: JobEvent[];
  files: Record<string, string[]>;
  data: string;
}> {
  const base = path.join(root, `case-${++counter}`);
  const files: Record<string, string[]> = {};
  for (const [name, disks] of Object.entries(vms))
    files[name] = await makeVm(path.join(base, 'vms'), name, disks);
  const data = path.join(base, 'data');
  let second = 1_790_000_000;
  const service = await TesseraService.open({ dataDir: data, now: () => second++ });
  service.addSource({ kind: 'folder', path: path.join(base, 'vms') });
  const events: JobEvent[] = [];
  service.subscribe((event) => {
    if (event.type.startsWith('job-')) events.push(event as JobEvent);
  });
  return { service, events, files, data };
}

describe('a compound job', () => {
  it('discovers, distributes largest-first over the hosts, runs one child per host and commits every VM', async () => {
    const { service, events, data } = await setUp({
      vm1: [['vhdx', 96, 24]],
      vm2: [
        ['vpc', 64, 16],
        ['raw', 16, 4],
      ],
      vm3: [['raw', 48, 8]],
    });
    await service.setHostConfig({ hosts: 2, streamsPerHost: 1 });
    service.savePolicy(policy('all'));
    const { jobId, done } = service.runPolicy('all');
    const outcome = await done;
    expect(outcome.statusCode).toBe(0);
    expect(outcome.images).toHaveLength(3);

    const tree = service.getJob(jobId);
    expect(tree.job).toMatchObject({
      kind: 'compound',
      policy: 'all',
      state: 'done',
      statusCode: 0,
    });
    expect(tree.children.map((c) => c.kind)).toEqual(['discovery', 'backup-host', 'backup-host']);
    expect(tree.children.every((c) => c.state === 'done' && c.statusCode === 0)).toBe(true);

    const dir = path.join(data, 'jobs', String(jobId));
    const discovery = JSON.parse(
      await readFile(path.join(dir, 'workload-discovery.json'), 'utf8'),
    ) as WorkloadDiscoveryFile;
    expect(discovery.vms.map((vm) => vm.name).sort()).toEqual(['vm1', 'vm2', 'vm3']);
    const hosts = await Promise.all(
      [0, 1].map(
        async (host) =>
          JSON.parse(
            await readFile(path.join(dir, `workload-distribution-host-${host}.json`), 'utf8'),
          ) as WorkloadDistributionFile,
      ),
    );
    // 96 → host 0; 64 → host 1; 48 → host 1 (64 < 96); 16 → host 0 (112 vs 112: the first).
    expect(hosts[0]!.disks.map((d) => d.virtualSize / MiB)).toEqual([96, 16]);
    expect(hosts[1]!.disks.map((d) => d.virtualSize / MiB)).toEqual([64, 48]);
    expect(hosts.map((h) => h.totalBytes / MiB)).toEqual([112, 112]);
    // vm2's two disks went to different hosts and still make one image.
    const vm2 = service.listImages({ client: 'vm2' });
    expect(vm2).toHaveLength(1);
    expect(vm2[0]!.disks).toHaveLength(2);
    expect(vm2[0]!.vm).toMatchObject({ name: 'vm2', sourceKind: 'folder' });

    // Progress streamed for each child and for the parent, ending at the total.
    const progress = events.flatMap((e) => (e.type === 'job-progress' ? [e.progress] : []));
    const parentLast = progress.filter((p) => p.jobId === jobId).at(-1)!;
    expect(parentLast.doneBytes).toBe((96 + 64 + 16 + 48) * MiB);
    expect(parentLast.totalBytes).toBe(parentLast.doneBytes);
    expect(progress.some((p) => p.jobId !== jobId && p.bytesPerSecond > 0)).toBe(true);
    expect(
      events.filter((e) => e.type === 'job-ended').map((e) => e.type === 'job-ended' && e.job.id),
    ).toContain(jobId);

    // The next run is an Accelerator backup of every disk.
    const second = await service.runPolicy('all').done;
    expect(second.statusCode).toBe(0);
    for (const id of second.images) {
      const image = service.listImages().find((i) => i.backupId === id)!;
      expect(image.kind).toBe('accelerator');
      expect(image.disks.every((d) => d.previousBackupId !== null && d.blocksChanged === 0)).toBe(
        true,
      );
    }
    await service.close();
  }, 120_000);

  it('a backup host that dies fails only its own child; the other host commits its VMs', async () => {
    const { service } = await setUp({ vm1: [['raw', 96, 64]], vm2: [['raw', 64, 48]] });
    await service.setHostConfig({ hosts: 2, streamsPerHost: 1 });
    service.savePolicy(policy('crash'));
    // Terminate the worker that sends the 20th changed block, as a crash would.
    const emit = Worker.prototype.emit;
    let blocks = 0;
    Worker.prototype.emit = function (this: Worker, event: string | symbol, ...args: unknown[]) {
      const value = args[0] as { type?: string } | undefined;
      if (event === 'message' && value?.type === 'block' && ++blocks === 20) void this.terminate();
      return emit.call(this, event, ...args);
    } as typeof Worker.prototype.emit;
    try {
      const { jobId, done } = service.runPolicy('crash');
      const outcome = await done;
      const children = service.getJob(jobId).children.filter((c) => c.kind === 'backup-host');
      expect(children.map((c) => c.statusCode).sort()).toEqual([0, STATUS.HOST_FAILED.code]);
      expect(outcome.statusCode).toBe(STATUS.HOST_FAILED.code);
      expect(outcome.images).toHaveLength(1);
      const failed = children.find((c) => c.statusCode !== 0)!;
      const log = service
        .jobLog(failed.id, false)
        .map((l) => l.message)
        .join('\n');
      expect(log).toMatch(/backup host \d stream 0 stopped unexpectedly/);
      expect(log).toMatch(/not backed up/);
    } finally {
      Worker.prototype.emit = emit;
    }
    // Nothing half-made is left, and the next run backs up both.
    const next = await service.runPolicy('crash').done;
    expect(next.statusCode).toBe(0);
    expect(next.images).toHaveLength(2);
    await service.close();
  }, 120_000);

  it("backup hosts outlive a job: the next job reuses them; a failed child's hosts are stopped", async () => {
    const { service } = await setUp({ vm1: [['raw', 48, 24]], vm2: [['raw', 32, 16]] });
    await service.setHostConfig({ hosts: 1, streamsPerHost: 2 });
    const registry = new HostRegistry();
    const recorder = new JobRecorder(service.catalog, () => undefined);
    const run = () =>
      startCompoundJob({
        store: service.store,
        catalog: service.catalog,
        recorder,
        jobsDir: service.jobsDir,
        policy: policy('reuse'),
        schedule: null,
        sources: service.listSources(),
        hostConfig: service.getHostConfig(),
        hostRegistry: registry,
        locks: new VmLocks(),
      }).done;
    expect((await run()).statusCode).toBe(0);
    expect([registry.startedCount, registry.idleCount]).toEqual([2, 2]);
    const second = await run();
    expect(second.statusCode).toBe(0);
    expect(second.images).toHaveLength(2);
    expect([registry.startedCount, registry.idleCount]).toEqual([2, 2]);

    // A disk whose segment fails: the job goes on, but segments of that disk may still be
    // queued on the hosts, so they are stopped, not kept.
    const post = Worker.prototype.postMessage;
    let redirected = false;
    Worker.prototype.postMessage = function (this: Worker, value: unknown, ...rest: unknown[]) {
      const request = value as { type?: string; diskPath?: string };
      if (request.type === 'segment' && !redirected) {
        redirected = true;
        return post.call(
          this,
          { ...request, diskPath: `${request.diskPath}.gone` },
          ...(rest as []),
        );
      }
      return post.call(this, value, ...(rest as []));
    } as typeof Worker.prototype.postMessage;
    try {
      const failed = await run();
      expect(failed.statusCode).not.toBe(0);
      expect(failed.images).toHaveLength(1);
    } finally {
      Worker.prototype.postMessage = post;
    }
    expect([registry.startedCount, registry.idleCount]).toEqual([2, 0]);
    expect((await run()).statusCode).toBe(0);
    expect([registry.startedCount, registry.idleCount]).toEqual([4, 2]);

    // A host that dies mid-job: its child fails, and neither of the child's hosts is kept.
    const emit = Worker.prototype.emit;
    let killed = false;
    Worker.prototype.emit = function (this: Worker, event: string | symbol, ...args: unknown[]) {
      const value = args[0] as { type?: string } | undefined;
      if (event === 'message' && value?.type === 'segment-done' && !killed) {
        // Dies before its answer is heard, so the job always has work left on it.
        killed = true;
        void this.terminate();
        return false;
      }
      return emit.call(this, event, ...args);
    } as typeof Worker.prototype.emit;
    try {
      expect((await run()).statusCode).toBe(STATUS.HOST_FAILED.code);
    } finally {
      Worker.prototype.emit = emit;
    }
    expect(registry.idleCount).toBe(0);
    // The next job starts new hosts and backs up both VMs.
    const after = await run();
    expect(after.statusCode).toBe(0);
    expect(after.images).toHaveLength(2);
    expect([registry.startedCount, registry.idleCount]).toEqual([6, 2]);
    await registry.close();
    expect(registry.idleCount).toBe(0);
    await service.close();
  }, 120_000);

  it('an idle backup host is stopped after the idle time, and one given back after close at once', async () => {
    const registry = new HostRegistry(50);
    const worker = registry.take();
    const exited = new Promise<number>((resolve) => worker.once('exit', resolve));
    registry.give(worker);
    expect(registry.idleCount).toBe(1);
    await exited;
    expect(registry.idleCount).toBe(0);
    await registry.close();
    const late = new HostRegistry().take();
    const lateExit = new Promise<number>((resolve) => late.once('exit', resolve));
    const closed = new HostRegistry();
    await closed.close();
    closed.give(late);
    await lateExit;
    expect(closed.idleCount).toBe(0);
  }, 30_000);

  it('idle backup hosts do not keep a process alive that forgot to close the registry', async () => {
    const script = path.join(root, 'idle-host.mts');
    const registry = path.resolve('electron/engine/hosts/host-registry.ts');
    await writeFile(
      script,
      `import { HostRegistry } from ${JSON.stringify(registry)};
const registry = new HostRegistry(); // idle hosts wait 60 s by default
const worker = registry.take();
await new Promise((resolve) => worker.once('online', resolve));
registry.give(worker);
console.log('given back');
`,
    );
    const started = Date.now();
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', script], {
      timeout: 30_000,
    });
    expect(stdout).toContain('given back');
    expect(Date.now() - started).toBeLessThan(30_000);
  }, 60_000);

  it('a backup host that hangs is stopped after the hang timeout; only its child fails', async () => {
    const { service } = await setUp({ vm1: [['raw', 64, 32]], vm2: [['raw', 32, 16]] });
    await service.close();
    const hung = await TesseraService.open({
      dataDir: path.join(root, `case-${counter}`, 'data'),
      hangTimeoutMs: 1500,
    });
    await hung.setHostConfig({ hosts: 2, streamsPerHost: 1 });
    hung.savePolicy(policy('hang'));
    // The first worker to be given a segment never gets it: it sits there, as a hung one does.
    const post = Worker.prototype.postMessage;
    const victims = new Set<Worker>();
    Worker.prototype.postMessage = function (this: Worker, value: unknown, ...rest: unknown[]) {
      if ((value as { type?: string }).type === 'segment') {
        if (victims.size === 0) victims.add(this);
        if (victims.has(this)) return;
      }
      return post.call(this, value, ...(rest as []));
    } as typeof Worker.prototype.postMessage;
    try {
      const { jobId, done } = hung.runPolicy('hang');
      const outcome = await done;
      const children = hung.getJob(jobId).children.filter((c) => c.kind === 'backup-host');
      expect(children.map((c) => c.statusCode).sort()).toEqual([0, STATUS.HOST_FAILED.code]);
      expect(outcome.images).toHaveLength(1);
      const failed = children.find((c) => c.statusCode !== 0)!;
      const log = hung
        .jobLog(failed.id, false)
        .map((l) => l.message)
        .join('\n');
      expect(log).toMatch(/stopped responding \(nothing for 2 s\); it was stopped/);
    } finally {
      Worker.prototype.postMessage = post;
    }
    await hung.close();
  }, 60_000);

  it('a disk that cannot be read fails its VM alone, with the disk status and remedy', async () => {
    const { service, files } = await setUp({ vm1: [['vhdx', 32, 8]], vm2: [['raw', 32, 8]] });
    // Damage vm1's VHDX headers after discovery could open it: both header copies.
    service.savePolicy(policy('bad'));
    const scan = await service.scanInventory();
    expect(scan.vms).toHaveLength(2);
    const handle = await open(files.vm1![0]!, 'r+');
    await handle.write(Buffer.alloc(128 * 1024, 0xee), 0, 128 * 1024, 64 * 1024);
    await handle.close();
    const { jobId, done } = service.runPolicy('bad');
    const outcome = await done;
    expect(outcome.images).toHaveLength(1);
    expect(outcome.images[0]).toMatch(/^vm2_/);
    expect([STATUS.DISK_OPEN_FAILED.code, STATUS.DISK_BAD_IMAGE.code]).toContain(
      outcome.statusCode,
    );
    const log = service
      .jobLog(jobId)
      .map((l) => l.message)
      .join('\n');
    expect(log).toMatch(/vm1/);
    await service.close();
  }, 60_000);

  it('cancelling one child ends it with status 150; the other child finishes', async () => {
    const { service, events } = await setUp({ vm1: [['raw', 256, 200]], vm2: [['raw', 32, 8]] });
    await service.setHostConfig({ hosts: 2, streamsPerHost: 1 });
    service.savePolicy(policy('cancel'));
    const { jobId, done } = service.runPolicy('cancel');
    // Cancel the big disk's child at its first progress report.
    let cancelled: number | null = null;
    const off = service.subscribe((event) => {
      if (cancelled === null && event.type === 'job-progress' && event.progress.jobId !== jobId) {
        const child = service.getJob(event.progress.jobId).job;
        if (child.kind === 'backup-host' && child.detail?.totalBytes === 256 * MiB) {
          cancelled = child.id;
          void service.cancelJob(child.id);
        }
      }
    });
    const outcome = await done;
    off();
    expect(cancelled).not.toBeNull();
    const children = service.getJob(jobId).children;
    expect(children.find((c) => c.id === cancelled)).toMatchObject({
      state: 'cancelled',
      statusCode: 150,
    });
    expect(children.filter((c) => c.kind === 'backup-host' && c.id !== cancelled)[0]).toMatchObject(
      { statusCode: 0 },
    );
    expect(outcome.images.map((id) => id.split('_')[0])).toEqual(['vm2']);
    expect(outcome.statusCode).toBe(150);
    expect(events.some((e) => e.type === 'job-ended' && e.job.id === cancelled)).toBe(true);
    await service.close();
  }, 60_000);

  it('a disk whose file changes while it is read ends its child with partial success, and says so', async () => {
    const { service, files } = await setUp({ vm1: [['raw', 192, 160]] });
    await service.setHostConfig({ hosts: 1, streamsPerHost: 1 });
    service.savePolicy(policy('changing'));
    let touched = false;
    service.subscribe((event) => {
      if (!touched && event.type === 'job-progress') {
        touched = true;
        const later = new Date(Date.now() + 5000);
        void utimes(files.vm1![0]!, later, later);
      }
    });
    const { jobId, done } = service.runPolicy('changing');
    const outcome = await done;
    expect(touched).toBe(true);
    expect(outcome.statusCode).toBe(STATUS.DISK_CHANGED.code);
    expect(outcome.images).toHaveLength(1);
    expect(service.getJob(jobId).job).toMatchObject({ state: 'done', statusCode: 2 });
    const log = service
      .jobLog(jobId)
      .map((l) => l.message)
      .join('\n');
    expect(log).toContain('a disk changed while it was read');
    expect(log).toContain('snapshot first');
    await service.close();
  }, 60_000);

  it('snapshot first falls back to the live disk with a warning where the file system cannot clone', async () => {
    const { service, files } = await setUp({ vm1: [['vhdx', 32, 8]] });
    service.savePolicy(policy('snap', { snapshotFirst: true }));
    const { jobId, done } = service.runPolicy('snap');
    const outcome = await done;
    expect(outcome.statusCode).toBe(0);
    const lines = service.jobLog(jobId);
    const note = lines.find((l) => /snapshot/.test(l.message))!;
    // ext4 and tmpfs cannot clone; Btrfs and XFS can (then the log says so instead).
    if (note.level === 'warning') {
      expect(note.message).toMatch(
        /no snapshot, reading the live disk: .*cannot make copy-on-write clones/,
      );
    } else {
      expect(note.message).toMatch(/reading a copy-on-write snapshot/);
    }
    const leftovers = (await readdir(path.dirname(files.vm1![0]!))).filter((f) =>
      f.includes('tessera-snapshot'),
    );
    expect(leftovers).toEqual([]);
    await service.close();
  }, 60_000);

  it('every Nth backup is a forced rescan', async () => {
    const { service } = await setUp({ vm1: [['raw', 8, 2]] });
    service.savePolicy(policy('rescan', { forcedRescanEvery: 2 }));
    const forced: boolean[] = [];
    for (let run = 0; run < 4; run++) {
      const outcome = await service.runPolicy('rescan').done;
      expect(outcome.statusCode).toBe(0);
      const image = service.listImages().find((i) => i.backupId === outcome.images[0])!;
      forced.push(image.disks[0]!.forcedRescan);
    }
    expect(forced).toEqual([false, true, false, true]);
    await service.close();
  }, 60_000);

  it('selecting nothing ends with status 227; a closed window with 196', async () => {
    const { service } = await setUp({ vm1: [['raw', 8, 1]] });
    service.savePolicy(
      policy('none', { selection: { kind: 'query', query: 'memoryMB > 1000000' } }),
    );
    expect((await service.runPolicy('none').done).statusCode).toBe(STATUS.NO_VMS_SELECTED.code);

    const recorder = new JobRecorder(service.catalog, () => undefined);
    const job = startCompoundJob({
      store: service.store,
      catalog: service.catalog,
      recorder,
      jobsDir: service.jobsDir,
      policy: policy('late'),
      schedule: null,
      sources: service.listSources(),
      hostConfig: service.getHostConfig(),
      locks: new VmLocks(),
      windowEnd: new Date(Date.now() - 1000),
    });
    const outcome = await job.done;
    expect(outcome.statusCode).toBe(STATUS.WINDOW_CLOSED.code);
    expect(outcome.images).toEqual([]);
    await service.close();
  }, 60_000);

  it('never backs up a VM twice at once: the second job skips it and says which job holds it', async () => {
    const { service } = await setUp({ vm1: [['raw', 64, 32]] });
    service.savePolicy(policy('a'));
    service.savePolicy(policy('b'));
    const first = service.runPolicy('a');
    const second = service.runPolicy('b');
    const [one, two] = await Promise.all([first.done, second.done]);
    expect([...one.images, ...two.images]).toHaveLength(1);
    const skipped = one.images.length === 0 ? one : two;
    expect(skipped.statusCode).toBe(STATUS.PARTIAL.code);
    const log = service
      .jobLog(skipped.jobId)
      .map((l) => l.message)
      .join('\n');
    expect(log).toMatch(/already being backed up by job \d+; not started twice/);
    await service.close();
  }, 60_000);

  it('after a restart, jobs left running are marked interrupted and the next run picks up cleanly', async () => {
    const { service, data } = await setUp({ vm1: [['raw', 8, 2]] });
    service.savePolicy(policy('restart'));
    const orphan = service.catalog.createJob({ kind: 'compound', policy: 'restart' });
    service.catalog.createJob({ kind: 'backup-host', parentId: orphan, policy: 'restart' });
    // The process "dies": its catalog rows stay running. A new process opens the data dir.
    const store = service.store.dir;
    service.catalog.close();
    await service.store.close();
    const again = await TesseraService.open({ dataDir: data, storeDir: store });
    const tree = again.getJob(orphan);
    expect(tree.job).toMatchObject({ state: 'failed', statusCode: STATUS.INTERRUPTED.code });
    expect(tree.children[0]).toMatchObject({
      state: 'failed',
      statusCode: STATUS.INTERRUPTED.code,
    });
    expect(again.jobLog(orphan, false).at(-1)!.message).toMatch(/interrupted/);
    const outcome = await again.runPolicy('restart').done;
    expect(outcome.statusCode).toBe(0);
    await again.close();
  }, 60_000);

  it('a cancel request from another process reaches the job through its folder', async () => {
    const { service, data } = await setUp({ vm1: [['raw', 256, 224]] });
    await service.setHostConfig({ hosts: 1, streamsPerHost: 1 });
    service.savePolicy(policy('remote'));
    const { jobId, done } = service.runPolicy('remote');
    // Another process would write this through its own TesseraService.cancelJob.
    const other = Catalog.open(service.store.layout.catalog);
    expect(other.getJob(jobId)?.state).toBe('running');
    other.close();
    await mkdir(path.join(data, 'jobs', String(jobId)), { recursive: true });
    await writeFile(path.join(data, 'jobs', String(jobId), `cancel-${jobId}`), '');
    const outcome = await done;
    expect(outcome.statusCode).toBe(STATUS.CANCELLED.code);
    expect(service.getJob(jobId).job.state).toBe('cancelled');
    await service.close();
  }, 60_000);
});
