/**
 * Policies and their schedules' last runs in the catalog. A policy is stored whole as JSON,
 * validated by shared/policy.ts's policySchema when it is written and again when it is read,
 * so a row that a newer or older Tessera (or a hand edit) made invalid is reported as
 * CATALOG_CORRUPT, naming the policy, instead of reaching the scheduler half-understood.
 */
import type Database from 'better-sqlite3';
import { TesseraError } from '../../../shared/errors.js';
import { describeIssues, policySchema } from '../../../shared/policy.js';
import type { Policy } from '../../../shared/policy.js';
import { checkCount } from './columns.js';
import type { SavePolicyOptions, SavePolicyResult } from './types.js';

interface PolicyDbRow {
  name: string;
  policy_json: string;
  created_at: number;
  updated_at: number;
}

function prepareStatements(db: Database.Database) {
  return {
    policy: db.prepare<[name: string], PolicyDbRow>(`SELECT * FROM policies WHERE name = ?`),
    policies: db.prepare<[], PolicyDbRow>(`SELECT * FROM policies ORDER BY name`),
    upsertPolicy: db.prepare<{
      name: string;
      json: string;
      at: number;
    }>(/* sql */ `INSERT INTO policies (name, policy_json, created_at, updated_at)
       VALUES (@name, @json, @at, @at)
       ON CONFLICT (name) DO UPDATE SET
         policy_json = excluded.policy_json, updated_at = excluded.updated_at`),
    deletePolicy: db.prepare<[name: string]>(`DELETE FROM policies WHERE name = ?`),
    // Runs of schedules the policy no longer has: a renamed schedule starts afresh.
    pruneScheduleRuns: db.prepare<
      [policy: string, schedulesJson: string]
    >(/* sql */ `DELETE FROM schedule_runs
       WHERE policy = ? AND schedule NOT IN (SELECT value FROM json_each(?))`),
    recordScheduleRun: db.prepare<
      [policy: string, schedule: string, at: number]
    >(/* sql */ `INSERT INTO schedule_runs (policy, schedule, last_run_at) VALUES (?, ?, ?)
       ON CONFLICT (policy, schedule) DO UPDATE SET last_run_at = excluded.last_run_at`),
    lastScheduleRun: db
      .prepare<[policy: string, schedule: string], number>(
        `SELECT last_run_at FROM schedule_runs WHERE policy = ? AND schedule = ?`,
      )
      .pluck(),
  };
}

type Statements = ReturnType<typeof prepareStatements>;

/**
 * The policy and schedule-run tables of one connection. Every method runs inside the
 * caller's transaction; the caller maps SQLite's errors.
 */
export class Policies {
  readonly #sql: Statements;

  constructor(db: Database.Database) {
    this.#sql = prepareStatements(db);
  }

  /**
   * Validates and stores a policy, stamped `at`. A replaced policy keeps its creation time
   * and the runs of the schedules it still has; runs of schedules it no longer has go.
   */
  save(policy: Policy, options: SavePolicyOptions, at: number): SavePolicyResult {
    if (options.create === true && options.replace === true)
      throw new TesseraError('BAD_REQUEST', 'A policy is saved with create or replace, not both');
    const valid = validPolicy(policy);
    const exists = this.#sql.policy.get(valid.name) !== undefined;
    if (exists && options.create === true)
      throw new TesseraError(
        'CATALOG_CONFLICT',
        `A policy named "${valid.name}" already exists; replace it or choose another name`,
      );
    if (!exists && options.replace === true)
      throw new TesseraError('CATALOG_NOT_FOUND', `The catalog has no policy "${valid.name}"`);
    this.#sql.upsertPolicy.run({ name: valid.name, json: JSON.stringify(valid), at });
    const schedules = JSON.stringify(valid.schedules.map((schedule) => schedule.name));
    this.#sql.pruneScheduleRuns.run(valid.name, schedules);
    return exists ? 'replaced' : 'created';
  }

  get(name: string): Policy | null {
    const row = this.#sql.policy.get(name);
    return row ? storedPolicy(row) : null;
  }

  /** By name. */
  list(): Policy[] {
    return this.#sql.policies.all().map(storedPolicy);
  }

  /** False when there was no such policy; its schedule runs go with it (ON DELETE CASCADE). */
  delete(name: string): boolean {
    return this.#sql.deletePolicy.run(name).changes > 0;
  }

  recordRun(policy: string, schedule: string, at: number): void {
    checkCount(`run time of schedule ${schedule}`, at);
    if (typeof schedule !== 'string' || schedule === '')
      throw new TesseraError('BAD_REQUEST', 'A schedule run needs the schedule name');
    if (!this.#sql.policy.get(policy))
      throw new TesseraError('CATALOG_NOT_FOUND', `The catalog has no policy "${policy}"`);
    this.#sql.recordScheduleRun.run(policy, schedule, at);
  }

  lastRun(policy: string, schedule: string): number | null {
    return this.#sql.lastScheduleRun.get(policy, schedule) ?? null;
  }
}

/** A policy from a caller, validated; BAD_REQUEST lists every issue zod found. */
function validPolicy(input: Policy): Policy {
  const parsed = policySchema.safeParse(input);
  if (parsed.success) return parsed.data;
  const name = (input as { name?: unknown } | null)?.name;
  const which = typeof name === 'string' ? ` "${name}"` : '';
  throw new TesseraError(
    'BAD_REQUEST',
    `The policy${which} is not valid: ${describeIssues(parsed.error)}`,
    { cause: parsed.error },
  );
}

/** A policy read back from its row, validated again; CATALOG_CORRUPT names the policy. */
function storedPolicy(row: PolicyDbRow): Policy {
  const corrupt = (why: string, cause?: unknown): TesseraError =>
    new TesseraError(
      'CATALOG_CORRUPT',
      `The policy "${row.name}" in the catalog ${why}. Save it again (or delete it) to repair it.`,
      { cause },
    );
  let value: unknown;
  try {
    value = JSON.parse(row.policy_json);
  } catch (error) {
    throw corrupt('is not valid JSON', error);
  }
  const parsed = policySchema.safeParse(value);
  if (!parsed.success)
    throw corrupt(`is no longer valid (${describeIssues(parsed.error)})`, parsed.error);
  if (parsed.data.name !== row.name)
    throw corrupt(`is stored under another name (its JSON says "${parsed.data.name}")`);
  return parsed.data;
}
