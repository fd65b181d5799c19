/**
 * Events over the console's WebSocket while the app is driven over HTTP, end to end on a real
 * service: a source added, a whole one-click backup of a VM made by qemu-img (started,
 * progress, ended), the Dashboard afterwards, and the first-run sample VM.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiEvent } from '../../../shared/api.js';
import type { JobEvent } from '../../../shared/jobs.js';
import {
  call,
  makeVhdxVm,
  MiB,
  ok,
  openEvents,
  startConsole,
  type Console,
  type EventStream,
} from './harness.js';

type Of<T extends ApiEvent['type']> = Extract<ApiEvent, { type: T }>;
const is =
  <T extends ApiEvent['type']>(type: T, test: (event: Of<T>) => boolean = () => true) =>
  (event: ApiEvent): event is Of<T> =>
    event.type === type && test(event as Of<T>);

describe('a one-click backup over HTTP', () => {
  let c: Console;
  let stream: EventStream;
  let vmsDir: string;

  beforeAll(async () => {
    c = await startConsole({ renderer: false });
    vmsDir = path.join(c.root, 'vms');
    await makeVhdxVm(vmsDir, 'vm1');
    stream = await openEvents(c);
  });
  afterAll(async () => {
    stream.ws.close();
    await c.stop();
  });

  it('adding a source pushes inventory-changed', async () => {
    expect(stream.events).toEqual([]);
    const source = await ok(c, 'inventory.addSource', { kind: 'folder', path: vmsDir });
    expect(source).toMatchObject({ kind: 'folder', path: vmsDir });
    await stream.waitFor(is('inventory-changed'), 'inventory-changed');
    expect(await ok(c, 'inventory.sources')).toEqual([source]);
    const scan = await ok(c, 'inventory.get', { rescan: true });
    expect(scan.vms.map((vm) => vm.name)).toEqual(['vm1']);
    expect(scan.vms[0]!.disks).toHaveLength(1);
  });

  it('pushes job-started, job-progress and job-ended for the parent job, and the Dashboard shows the image', async () => {
    const before = stream.events.length;
    const { jobId } = await ok(c, 'jobs.backupNow', {});
    expect(jobId).toBeGreaterThan(0);
    const ended = await stream.waitFor(
      is('job-ended', (e) => e.job.id === jobId),
      `job-ended of job ${jobId}`,
    );
    expect(ended.job).toMatchObject({
      id: jobId,
      parentId: null,
      kind: 'compound',
      policy: 'backup-now',
      state: 'done',
      statusCode: 0,
    });

    const events = stream.events.slice(before) as JobEvent[];
    const started = events.findIndex(is('job-started', (e) => e.job.id === jobId));
    const progress = events.flatMap((e, i) =>
      e.type === 'job-progress' && e.progress.jobId === jobId ? [i] : [],
    );
    const end = events.findIndex(is('job-ended', (e) => e.job.id === jobId));
    expect(started).toBeGreaterThanOrEqual(0);
    expect(progress.length).toBeGreaterThanOrEqual(1);
    expect(started).toBeLessThan(progress[0]!);
    expect(progress.at(-1)!).toBeLessThan(end);
    const last = events[progress.at(-1)!] as Of<'job-progress'>;
    expect(last.progress.totalBytes).toBe(16 * MiB);
    expect(last.progress.doneBytes).toBe(16 * MiB);
    // The children (discovery, backup host) report through the same socket.
    const children = events.filter(is('job-started', (e) => e.job.parentId === jobId));
    expect(children.map((e) => e.job.kind)).toContain('backup-host');
    // Every message is a well-formed event.
    for (const event of events) expect(event.type).toMatch(/^job-(started|progress|log|ended)$/);

    const tree = await ok(c, 'jobs.get', { id: jobId });
    expect(tree.job).toMatchObject({ id: jobId, state: 'done', statusCode: 0 });
    expect(tree.children.every((child) => child.statusCode === 0)).toBe(true);

    const dashboard = await ok(c, 'dashboard.get');
    expect(dashboard.vms).toHaveLength(1);
    const vm = dashboard.vms[0]!;
    expect(vm).toMatchObject({
      name: 'vm1',
      diskCount: 1,
      sizeBytes: 16 * MiB,
      runningJobId: null,
      lastAttempt: { jobId, statusCode: 0 },
    });
    expect(vm.lastImage).not.toBeNull();
    expect(vm.lastImage!.kind).toBe('full');
    expect(vm.lastImage!.backupId).toMatch(/vm1/);
    expect(dashboard.storage.images).toBe(1);
    expect(dashboard.storage.protectedBytes).toBe(16 * MiB);
    expect(dashboard.running).toEqual([]);

    const images = await ok(c, 'images.list', {});
    expect(images.map((image) => image.backupId)).toEqual([vm.lastImage!.backupId]);
  });

  it('backupNow of an unknown VM id is 400 and starts no job', async () => {
    const jobs = (await ok(c, 'jobs.list', {})).length;
    const { status, body } = await call(c, 'jobs.backupNow', { vmIds: ['no-such-vm'] });
    expect(status).toBe(400);
    expect(body).toMatchObject({
      ok: false,
      error: { code: 'BAD_REQUEST', message: expect.stringMatching(/no-such-vm/) },
    });
    expect(await ok(c, 'jobs.list', {})).toHaveLength(jobs);
  });

  it('a policy or host change is pushed too', async () => {
    await ok(c, 'hosts.set', { streamsPerHost: 2 });
    await stream.waitFor(is('hosts-changed'), 'hosts-changed');
    await ok(c, 'policies.save', {
      policy: {
        name: 'p1',
        enabled: true,
        selection: { kind: 'list', vms: ['vm1'] },
        accelerator: true,
        forcedRescanEvery: null,
        snapshotFirst: false,
        hosts: null,
        streamsPerHost: null,
        schedules: [],
      },
      mode: 'create',
    });
    await stream.waitFor(is('policies-changed'), 'policies-changed');
  });

  it('every socket gets every event, and a closed one gets no more', async () => {
    const second = await openEvents(c);
    second.ws.close();
    await second.closed;
    const third = await openEvents(c);
    try {
      await ok(c, 'inventory.get', { rescan: true });
      await third.waitFor(is('inventory-changed'), 'inventory-changed on the third socket');
      expect(second.events).toEqual([]);
    } finally {
      third.ws.close();
    }
  });
});

describe('the first-run sample VM over HTTP', () => {
  let c: Console;

  beforeAll(async () => {
    c = await startConsole({ renderer: false });
  });
  afterAll(async () => c.stop());

  it('is made once, shows on the Dashboard, and a second one is 400', async () => {
    const info = await ok(c, 'app.info');
    expect(info.firstRun).toBe(true);
    const stream = await openEvents(c);
    try {
      const sample = await ok(c, 'inventory.createSample');
      expect(sample.folder.startsWith(info.sampleDir + path.sep)).toBe(true);
      expect(sample.source).toMatchObject({ kind: 'folder', path: info.sampleDir });
      expect(existsSync(sample.diskPath)).toBe(true);
      await stream.waitFor(is('inventory-changed'), 'inventory-changed');

      const dashboard = await ok(c, 'dashboard.get');
      expect(dashboard.vms).toHaveLength(1);
      expect(dashboard.vms[0]).toMatchObject({
        name: sample.name,
        sourceName: sample.source.name,
        diskCount: 1,
        lastImage: null,
        lastAttempt: null,
      });
      expect(dashboard.vms[0]!.sizeBytes).toBeGreaterThan(0);
      expect((await ok(c, 'app.info')).firstRun).toBe(false);

      const again = await call(c, 'inventory.createSample');
      expect(again.status).toBe(400);
      expect(again.body).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
      expect(!again.body.ok && again.body.error.message).toMatch(/already exists/);
      expect(await ok(c, 'inventory.sources')).toHaveLength(1);
      expect((await ok(c, 'dashboard.get')).vms).toHaveLength(1);
    } finally {
      stream.ws.close();
    }
  });
});
