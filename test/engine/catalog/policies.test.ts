/**
 * Policies and schedule runs in a real catalog file: create, replace and upsert, validation
 * with zod's messages, rows that no longer validate (written with a raw connection), deletion
 * with its schedule runs, and the runs the scheduler records.
 */
import { describe, expect, it } from 'vitest';
import type { Policy } from '../../../shared/policy.js';
import {
  expectCode,
  policy,
  schedule,
  useCatalogFiles,
  withCatalog,
  withRaw,
} from './catalog-helpers.js';

const freshPath = useCatalogFiles('tessera-catalog-policies-');

function policyTimes(file: string, name: string): { created_at: number; updated_at: number } {
  return withRaw(file, (db) =>
    db
      .prepare<[string], { created_at: number; updated_at: number }>(
        `SELECT created_at, updated_at FROM policies WHERE name = ?`,
      )
      .get(name),
  )!;
}

function scheduleRunCount(file: string): number {
  return withRaw(file, (db) =>
    db.prepare<[], number>(`SELECT count(*) FROM schedule_runs`).pluck().get(),
  )!;
}

describe('policies', () => {
  it('creates, replaces and lists policies by name, keeping the creation time', () => {
    const file = freshPath();
    let clock = 1_000;
    withCatalog(
      file,
      (catalog) => {
        const nightly = policy('nightly');
        expect(catalog.savePolicy(nightly)).toBe('created');
        expect(catalog.getPolicy('nightly')).toEqual(nightly);

        clock = 2_000;
        const changed: Policy = {
          ...nightly,
          enabled: false,
          selection: { kind: 'query', query: 'os = "Ubuntu_64"' },
          schedules: [schedule('daily', { frequencySeconds: 3_600 })],
        };
        expect(catalog.savePolicy(changed)).toBe('replaced');
        expect(catalog.getPolicy('nightly')).toEqual(changed);
        expect(policyTimes(file, 'nightly')).toEqual({ created_at: 1_000, updated_at: 2_000 });

        expect(catalog.savePolicy(policy('archive'), { create: true })).toBe('created');
        expect(catalog.savePolicy(policy('Zeta'), { create: true })).toBe('created');
        expect(catalog.savePolicy(policy('archive', { hosts: 4 }), { replace: true })).toBe(
          'replaced',
        );
        // Byte order: capitals first.
        expect(catalog.listPolicies().map((p) => p.name)).toEqual(['Zeta', 'archive', 'nightly']);
        expect(catalog.listPolicies()[1]?.hosts).toBe(4);
        expect(catalog.getPolicy('missing')).toBeNull();
      },
      { now: () => clock },
    );
    withCatalog(file, (catalog) => expect(catalog.getPolicy('archive')?.hosts).toBe(4));
  });

  it('refuses create over an existing policy and replace of a missing one', () => {
    withCatalog(freshPath(), (catalog) => {
      catalog.savePolicy(policy('weekly'));
      const exists = expectCode(
        () => catalog.savePolicy(policy('weekly', { enabled: false }), { create: true }),
        'CATALOG_CONFLICT',
      );
      expect(exists.message).toContain('A policy named "weekly" already exists');
      expect(catalog.getPolicy('weekly')?.enabled).toBe(true);

      const missing = expectCode(
        () => catalog.savePolicy(policy('monthly'), { replace: true }),
        'CATALOG_NOT_FOUND',
      );
      expect(missing.message).toContain('no policy "monthly"');
      expect(catalog.getPolicy('monthly')).toBeNull();

      expectCode(
        () => catalog.savePolicy(policy('weekly'), { create: true, replace: true }),
        'BAD_REQUEST',
      );
    });
  });

  it("refuses an invalid policy with zod's issues in the message, storing nothing", () => {
    withCatalog(freshPath(), (catalog) => {
      const twice = expectCode(
        () =>
          catalog.savePolicy(
            policy('dup', {
              schedules: [schedule('daily'), schedule('daily', { frequencySeconds: 10 })],
            }),
          ),
        'BAD_REQUEST',
      );
      expect(twice.message).toMatch(/^The policy "dup" is not valid: /);
      expect(twice.message).toContain('schedules.1.frequencySeconds: a schedule runs at most once');
      expect(twice.message).toContain('schedules.1.name: two schedules are named "daily"');

      const badName = expectCode(
        () => catalog.savePolicy(policy('no spaces allowed')),
        'BAD_REQUEST',
      );
      expect(badName.message).toContain('name: a policy name is letters, digits, . _ -');

      const extra = expectCode(
        () => catalog.savePolicy({ ...policy('extra'), colour: 'red' } as Policy),
        'BAD_REQUEST',
      );
      expect(extra.message).toContain('colour');

      const notAnObject = expectCode(
        () => catalog.savePolicy(null as unknown as Policy),
        'BAD_REQUEST',
      );
      expect(notAnObject.message).toContain('The policy is not valid');
      expect(catalog.listPolicies()).toEqual([]);
    });
  });

  it('reports a stored row that no longer validates as CATALOG_CORRUPT, naming the policy', () => {
    const file = freshPath();
    withCatalog(file, (catalog) => {
      catalog.savePolicy(policy('good'));
      catalog.savePolicy(policy('broken'));
    });
    const setJson = (json: string): void =>
      withRaw(file, (db) => {
        db.prepare(`UPDATE policies SET policy_json = ? WHERE name = 'broken'`).run(json);
      });

    setJson('{"name": "broken", ');
    withCatalog(file, (catalog) => {
      const error = expectCode(() => catalog.getPolicy('broken'), 'CATALOG_CORRUPT');
      expect(error.message).toContain('The policy "broken" in the catalog is not valid JSON');
      // One bad row spoils the list, and says which one it is.
      expect(expectCode(() => catalog.listPolicies(), 'CATALOG_CORRUPT').message).toContain(
        '"broken"',
      );
      // The others still read.
      expect(catalog.getPolicy('good')).toEqual(policy('good'));
    });

    setJson(JSON.stringify({ ...policy('broken'), hosts: 0 }));
    withCatalog(file, (catalog) => {
      const error = expectCode(() => catalog.getPolicy('broken'), 'CATALOG_CORRUPT');
      expect(error.message).toContain('The policy "broken" in the catalog is no longer valid');
      expect(error.message).toContain('hosts:');
    });

    setJson(JSON.stringify(policy('other-name')));
    withCatalog(file, (catalog) => {
      const error = expectCode(() => catalog.getPolicy('broken'), 'CATALOG_CORRUPT');
      expect(error.message).toContain('its JSON says "other-name"');

      // Saving it again repairs the row.
      expect(catalog.savePolicy(policy('broken'), { replace: true })).toBe('replaced');
      expect(catalog.listPolicies().map((p) => p.name)).toEqual(['broken', 'good']);
    });
  });

  it('deletes a policy with its schedule runs, keeping its jobs', () => {
    const file = freshPath();
    withCatalog(file, (catalog) => {
      catalog.savePolicy(policy('nightly'));
      catalog.savePolicy(policy('other'));
      catalog.recordScheduleRun('nightly', 'daily', 100);
      catalog.recordScheduleRun('nightly', 'weekly', 200);
      catalog.recordScheduleRun('other', 'daily', 300);
      const job = catalog.createJob({ kind: 'compound', policy: 'nightly' });
      catalog.finishJob(job, { state: 'done', statusCode: 0 });

      expect(catalog.deletePolicy('nightly')).toBe(true);
      expect(catalog.deletePolicy('nightly')).toBe(false);
      expect(catalog.getPolicy('nightly')).toBeNull();
      expect(catalog.lastScheduleRun('nightly', 'daily')).toBeNull();
      expect(catalog.lastScheduleRun('other', 'daily')).toBe(300);
      expect(catalog.getJob(job)?.policy).toBe('nightly');
    });
    expect(scheduleRunCount(file)).toBe(1);
  });
});

describe('schedule runs', () => {
  it('records and replaces the last run of each schedule', () => {
    const file = freshPath();
    withCatalog(file, (catalog) => {
      catalog.savePolicy(policy('nightly'));
      expect(catalog.lastScheduleRun('nightly', 'daily')).toBeNull();
      catalog.recordScheduleRun('nightly', 'daily', 1_700_000_000_000);
      catalog.recordScheduleRun('nightly', 'weekly', 1_699_000_000_000);
      expect(catalog.lastScheduleRun('nightly', 'daily')).toBe(1_700_000_000_000);
      catalog.recordScheduleRun('nightly', 'daily', 1_700_086_400_000);
      expect(catalog.lastScheduleRun('nightly', 'daily')).toBe(1_700_086_400_000);
      expect(catalog.lastScheduleRun('nightly', 'weekly')).toBe(1_699_000_000_000);
      expect(catalog.lastScheduleRun('nightly', 'hourly')).toBeNull();
    });
    // Kept in the file.
    withCatalog(file, (catalog) =>
      expect(catalog.lastScheduleRun('nightly', 'daily')).toBe(1_700_086_400_000),
    );
    expect(scheduleRunCount(file)).toBe(2);
  });

  it('gives a renamed schedule no run yet, and keeps the runs of the others', () => {
    withCatalog(freshPath(), (catalog) => {
      catalog.savePolicy(policy('nightly'));
      catalog.recordScheduleRun('nightly', 'daily', 1_000);
      catalog.recordScheduleRun('nightly', 'weekly', 2_000);
      const renamed = policy('nightly');
      catalog.savePolicy({
        ...renamed,
        schedules: [{ ...renamed.schedules[0]!, name: 'every-day' }, renamed.schedules[1]!],
      });
      expect(catalog.lastScheduleRun('nightly', 'every-day')).toBeNull();
      expect(catalog.lastScheduleRun('nightly', 'daily')).toBeNull();
      expect(catalog.lastScheduleRun('nightly', 'weekly')).toBe(2_000);
    });
  });

  it('refuses a run of an unknown policy or at an impossible time', () => {
    withCatalog(freshPath(), (catalog) => {
      catalog.savePolicy(policy('nightly'));
      const error = expectCode(
        () => catalog.recordScheduleRun('ghost', 'daily', 1_000),
        'CATALOG_NOT_FOUND',
      );
      expect(error.message).toContain('no policy "ghost"');
      expectCode(() => catalog.recordScheduleRun('nightly', 'daily', -1), 'BAD_REQUEST');
      expectCode(() => catalog.recordScheduleRun('nightly', 'daily', 1.5), 'BAD_REQUEST');
      expectCode(() => catalog.recordScheduleRun('nightly', '', 1_000), 'BAD_REQUEST');
      expect(catalog.lastScheduleRun('ghost', 'daily')).toBeNull();
      expect(catalog.lastScheduleRun('nightly', 'daily')).toBeNull();
    });
  });
});
