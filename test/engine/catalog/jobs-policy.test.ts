/**
 * The job additions of schema version 2 in a real catalog file: the policy of a job and
 * backup-host children, listJobs filters in combination, the running job of a policy, live
 * detail updates, and failing the jobs a dead process left running.
 */
import { describe, expect, it } from 'vitest';
import { JOB_KINDS } from '../../../electron/engine/catalog/index.js';
import type { Catalog, JobState } from '../../../electron/engine/catalog/index.js';
import { expectCode, useCatalogFiles, withCatalog, withRaw } from './catalog-helpers.js';

const freshPath = useCatalogFiles('tessera-catalog-jobs-');

/**
 * nightly: a compound job (done) with two backup-host children (done, failed); a second
 * compound run still running with one running child. weekly: a failed top-level backup.
 * And a job started by hand (gc, running).
 */
function fixtureJobs(catalog: Catalog) {
  const first = catalog.createJob({ kind: 'compound', policy: 'nightly' });
  const host0 = catalog.createJob({ kind: 'backup-host', parentId: first, policy: 'nightly' });
  const host1 = catalog.createJob({ kind: 'backup-host', parentId: first, policy: 'nightly' });
  catalog.finishJob(host0, { state: 'done', statusCode: 0 });
  catalog.finishJob(host1, { state: 'failed', statusCode: 13 });
  catalog.finishJob(first, { state: 'failed', statusCode: 1 });
  const weekly = catalog.createJob({ kind: 'backup', policy: 'weekly', client: 'web-1' });
  catalog.finishJob(weekly, { state: 'failed', statusCode: 13 });
  const second = catalog.createJob({ kind: 'compound', policy: 'nightly' });
  const host2 = catalog.createJob({ kind: 'backup-host', parentId: second, policy: 'nightly' });
  const manual = catalog.createJob({ kind: 'gc' });
  return { first, host0, host1, weekly, second, host2, manual };
}

const ids = (rows: ReadonlyArray<{ id: number }>): number[] => rows.map((row) => row.id);

describe('jobs of policies', () => {
  it('records the policy of a job and backup-host children', () => {
    expect(JOB_KINDS).toContain('backup-host');
    expect(JOB_KINDS).toContain('compound');
    withCatalog(freshPath(), (catalog) => {
      const jobs = fixtureJobs(catalog);
      expect(catalog.getJob(jobs.host1)).toMatchObject({
        kind: 'backup-host',
        parentId: jobs.first,
        policy: 'nightly',
        state: 'failed',
        statusCode: 13,
      });
      expect(catalog.getJob(jobs.weekly)).toMatchObject({ policy: 'weekly', client: 'web-1' });
      expect(catalog.getJob(jobs.manual)?.policy).toBeNull();

      const bad = expectCode(
        () => catalog.createJob({ kind: 'compound', policy: 'not a name' }),
        'BAD_REQUEST',
      );
      expect(bad.message).toContain('"not a name"');
      expectCode(() => catalog.createJob({ kind: 'compound', policy: '' }), 'BAD_REQUEST');
      expect(catalog.listJobs()).toHaveLength(7);
    });
  });

  it('filters listJobs by policy, state and parent, in any combination, with a limit', () => {
    withCatalog(freshPath(), (catalog) => {
      const j = fixtureJobs(catalog);
      expect(ids(catalog.listJobs())).toEqual([
        j.manual,
        j.host2,
        j.second,
        j.weekly,
        j.host1,
        j.host0,
        j.first,
      ]);
      expect(ids(catalog.listJobs({ policy: 'nightly' }))).toEqual([
        j.host2,
        j.second,
        j.host1,
        j.host0,
        j.first,
      ]);
      expect(ids(catalog.listJobs({ policy: 'nightly', parentId: null }))).toEqual([
        j.second,
        j.first,
      ]);
      expect(ids(catalog.listJobs({ policy: 'nightly', parentId: j.first }))).toEqual([
        j.host1,
        j.host0,
      ]);
      expect(ids(catalog.listJobs({ state: 'failed' }))).toEqual([j.weekly, j.host1, j.first]);
      expect(ids(catalog.listJobs({ state: 'failed', parentId: null }))).toEqual([
        j.weekly,
        j.first,
      ]);
      expect(ids(catalog.listJobs({ state: 'running', policy: 'nightly' }))).toEqual([
        j.host2,
        j.second,
      ]);
      expect(
        ids(catalog.listJobs({ state: 'done', policy: 'nightly', parentId: j.first })),
      ).toEqual([j.host0]);
      expect(ids(catalog.listJobs({ policy: 'nightly', parentId: null, limit: 1 }))).toEqual([
        j.second,
      ]);
      expect(ids(catalog.listJobs({ state: 'failed', limit: 0 }))).toEqual([]);
      expect(catalog.listJobs({ policy: 'none' })).toEqual([]);
      expect(catalog.listJobs({ state: 'cancelled' })).toEqual([]);
      // The same filters again (a cached statement) give the same answer.
      expect(ids(catalog.listJobs({ state: 'failed', parentId: null }))).toEqual([
        j.weekly,
        j.first,
      ]);

      expectCode(() => catalog.listJobs({ state: 'paused' as JobState }), 'BAD_REQUEST');
      expectCode(() => catalog.listJobs({ limit: -1 }), 'BAD_REQUEST');
      expectCode(() => catalog.listJobs({ parentId: 1.5 }), 'BAD_REQUEST');
    });
  });

  it("finds a policy's top-level job that is still running", () => {
    withCatalog(freshPath(), (catalog) => {
      const j = fixtureJobs(catalog);
      expect(catalog.runningJobOfPolicy('nightly')).toMatchObject({
        id: j.second,
        kind: 'compound',
        parentId: null,
        state: 'running',
      });
      expect(catalog.runningJobOfPolicy('weekly')).toBeNull(); // it has ended
      expect(catalog.runningJobOfPolicy('none')).toBeNull();

      catalog.finishJob(j.second, { state: 'cancelled', statusCode: 150 });
      // Its child still runs, but a child is not the policy's job.
      expect(catalog.getJob(j.host2)?.state).toBe('running');
      expect(catalog.runningJobOfPolicy('nightly')).toBeNull();
    });
  });
});

describe('job detail', () => {
  it('replaces the detail of a running or ended job', () => {
    withCatalog(freshPath(), (catalog) => {
      const job = catalog.createJob({ kind: 'compound', detail: { hosts: 2 } });
      catalog.updateJobDetail(job, { hosts: 2, bytesRead: 1024, vms: { done: 1, total: 4 } });
      expect(catalog.getJob(job)?.detail).toEqual({
        hosts: 2,
        bytesRead: 1024,
        vms: { done: 1, total: 4 },
      });
      catalog.updateJobDetail(job, { bytesRead: 4096 });
      expect(catalog.getJob(job)?.detail).toEqual({ bytesRead: 4096 });

      // A finish without detail keeps the last snapshot; the detail can change after the end.
      catalog.finishJob(job, { state: 'done', statusCode: 0 });
      expect(catalog.getJob(job)?.detail).toEqual({ bytesRead: 4096 });
      catalog.updateJobDetail(job, { bytesRead: 4096, verified: true });
      expect(catalog.getJob(job)).toMatchObject({
        state: 'done',
        detail: { bytesRead: 4096, verified: true },
      });
      catalog.updateJobDetail(job, null);
      expect(catalog.getJob(job)?.detail).toBeNull();

      expectCode(() => catalog.updateJobDetail(9999, { x: 1 }), 'CATALOG_NOT_FOUND');
      expectCode(
        () => catalog.updateJobDetail(job, [1, 2] as unknown as Record<string, unknown>),
        'BAD_REQUEST',
      );
      const cyclic: Record<string, unknown> = {};
      cyclic.self = cyclic;
      expectCode(() => catalog.updateJobDetail(job, cyclic), 'BAD_REQUEST');
      expect(catalog.getJob(job)?.detail).toBeNull();
    });
  });
});

describe('interrupted jobs', () => {
  it('fails every running and queued job with the code and a log line, leaving ended jobs', () => {
    const file = freshPath();
    let clock = 10_000;
    withCatalog(
      file,
      (catalog) => {
        const j = fixtureJobs(catalog);
        const queued = catalog.createJob({ kind: 'verify' });
        withRaw(file, (db) => {
          db.prepare(`UPDATE jobs SET state = 'queued' WHERE id = ?`).run(queued);
        });
        expect(catalog.getJob(queued)?.state).toBe('queued');
        catalog.appendLog(j.host2, 'info', 'reading web-1');
        const endedBefore = [j.first, j.host0, j.host1, j.weekly].map((id) => catalog.getJob(id));
        const endedLogs = [j.first, j.host0, j.host1, j.weekly].map((id) => catalog.jobLog(id));

        clock = 20_000;
        const message = 'Tessera stopped while this job ran';
        expect(catalog.interruptRunningJobs(40, message)).toEqual([
          j.second,
          j.host2,
          j.manual,
          queued,
        ]);
        for (const id of [j.second, j.host2, j.manual, queued]) {
          expect(catalog.getJob(id)).toMatchObject({
            state: 'failed',
            statusCode: 40,
            endedAt: 20_000,
          });
          expect(catalog.jobLog(id).at(-1)).toMatchObject({
            jobId: id,
            level: 'error',
            message,
            at: 20_000,
          });
        }
        expect(catalog.jobLog(j.host2).map((line) => line.message)).toEqual([
          'reading web-1',
          message,
        ]);
        expect([j.first, j.host0, j.host1, j.weekly].map((id) => catalog.getJob(id))).toEqual(
          endedBefore,
        );
        expect([j.first, j.host0, j.host1, j.weekly].map((id) => catalog.jobLog(id))).toEqual(
          endedLogs,
        );
        expect(catalog.runningJobOfPolicy('nightly')).toBeNull();
        expect(catalog.listJobs({ state: 'running' })).toEqual([]);

        // Nothing left to interrupt; an interrupted job has ended like any other.
        expect(catalog.interruptRunningJobs(40, message)).toEqual([]);
        expectCode(
          () => catalog.finishJob(j.manual, { state: 'done', statusCode: 0 }),
          'CATALOG_CONFLICT',
        );
        expectCode(() => catalog.interruptRunningJobs(-1, message), 'BAD_REQUEST');
      },
      { now: () => clock },
    );
  });
});
