/**
 * Migration 2 on a catalog made by schema version 1 with data in it: the jobs it holds come
 * through with no policy, and the new tables, column and indexes work at once.
 */
import { describe, expect, it } from 'vitest';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { MIGRATIONS, SCHEMA_VERSION, migrate } from '../../../electron/engine/catalog/index.js';
import { policy, raw, useCatalogFiles, withCatalog, withRaw } from './catalog-helpers.js';

const freshPath = useCatalogFiles('tessera-catalog-migration-');

/** A version 1 catalog with a compound job (ended), its running child and a log line. */
function versionOneCatalog(): { file: string; parent: number; child: number } {
  const file = freshPath();
  mkdirSync(path.dirname(file), { recursive: true });
  const db = raw(file);
  try {
    db.pragma('journal_mode = WAL');
    expect(migrate(db, MIGRATIONS.slice(0, 1))).toBe(1);
    const insert = db.prepare(
      `INSERT INTO jobs (parent_id, kind, client, backup_id, state, status_code, started_at,
         ended_at, detail_json) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    const parent = Number(
      insert.run(null, 'compound', null, null, 'done', 0, 1_000, 2_000, '{"vms":2}')
        .lastInsertRowid,
    );
    const child = Number(
      insert.run(parent, 'backup', 'web-1', 'web-1_1700000000', 'running', null, 1_100, null, null)
        .lastInsertRowid,
    );
    db.prepare(`INSERT INTO job_logs (job_id, at, level, message) VALUES (?, ?, ?, ?)`).run(
      child,
      1_200,
      'info',
      'reading web-1.vhdx',
    );
    return { file, parent, child };
  } finally {
    db.close();
  }
}

describe('migration 2', () => {
  it('brings a version 1 catalog with jobs to version 2, its jobs with no policy', () => {
    const { file, parent, child } = versionOneCatalog();
    withCatalog(file, (catalog) => {
      expect(SCHEMA_VERSION).toBe(2);
      expect(catalog.schemaVersion()).toBe(2);
      expect(catalog.getJob(parent)).toEqual({
        id: parent,
        parentId: null,
        kind: 'compound',
        client: null,
        backupId: null,
        state: 'done',
        statusCode: 0,
        startedAt: 1_000,
        endedAt: 2_000,
        detail: { vms: 2 },
        policy: null,
      });
      expect(catalog.getJob(child)).toMatchObject({
        parentId: parent,
        client: 'web-1',
        state: 'running',
        policy: null,
      });
      expect(catalog.jobLog(child).map((line) => line.message)).toEqual(['reading web-1.vhdx']);
      expect(catalog.listJobs({ policy: 'nightly' })).toEqual([]);
      expect(catalog.listJobs({ parentId: parent }).map((job) => job.id)).toEqual([child]);
    });

    withRaw(file, (db) => {
      expect(db.pragma('user_version', { simple: true })).toBe(2);
      const jobColumns = (db.pragma('table_info(jobs)') as Array<{ name: string }>).map(
        (column) => column.name,
      );
      expect(jobColumns.slice(-2)).toEqual(['policy', 'owner_pid']);
      const indexes = db
        .prepare<[], string>(`SELECT name FROM sqlite_master WHERE type = 'index' ORDER BY name`)
        .pluck()
        .all();
      expect(indexes).toEqual(expect.arrayContaining(['jobs_by_policy', 'jobs_unended']));
      const cascade = (
        db.pragma('foreign_key_list(schedule_runs)') as Array<{ table: string; on_delete: string }>
      ).find((fk) => fk.table === 'policies');
      expect(cascade?.on_delete).toBe('CASCADE');
    });

    // The new tables and column work on the migrated file, and the old running job can be
    // interrupted.
    withCatalog(file, (catalog) => {
      catalog.savePolicy(policy('nightly'));
      catalog.recordScheduleRun('nightly', 'daily', 3_000);
      const source = catalog.addSource({ kind: 'folder', path: '/vms' });
      const job = catalog.createJob({ kind: 'compound', policy: 'nightly' });
      expect(catalog.runningJobOfPolicy('nightly')?.id).toBe(job);
      expect(catalog.interruptRunningJobs(40, 'interrupted')).toEqual([child, job]);
      expect(catalog.getSource('vms')).toEqual(source);
      expect(catalog.lastScheduleRun('nightly', 'daily')).toBe(3_000);
      expect(catalog.listJobs({ policy: 'nightly' }).map((row) => row.id)).toEqual([job]);
    });
  });

  it('leaves a version 2 catalog alone when it is opened again', () => {
    const { file } = versionOneCatalog();
    withCatalog(file, (catalog) => catalog.savePolicy(policy('kept')));
    const schema = (): unknown =>
      withRaw(file, (db) => db.prepare(`SELECT type, name, sql FROM sqlite_master`).all());
    const before = schema();
    withCatalog(file, (catalog) => {
      expect(catalog.schemaVersion()).toBe(2);
      expect(catalog.getPolicy('kept')).toEqual(policy('kept'));
    });
    expect(schema()).toEqual(before);
  });
});
