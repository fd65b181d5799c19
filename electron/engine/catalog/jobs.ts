/**
 * Jobs in the catalog: the SQL for jobs and their log lines, the row conversions, and the
 * checks a new job or a job query passes. Jobs exist only in the catalog (a rebuild from the
 * storage unit keeps them). A job is created 'running' and ended once, by finishJob or, for
 * the jobs of a process that died, by interruptRunningJobs.
 */
import type Database from 'better-sqlite3';
import { TesseraError } from '../../../shared/errors.js';
import { POLICY_NAME_PATTERN } from '../../../shared/policy.js';
import { checkCount, objectOf } from './columns.js';
import { JOB_KINDS, JOB_STATES, LOG_LEVELS } from './types.js';
import type {
  JobDetail,
  JobEnd,
  JobKind,
  JobLogRow,
  JobRow,
  JobState,
  ListJobsOptions,
  LogLevel,
  NewJob,
} from './types.js';

interface JobDbRow {
  id: number;
  parent_id: number | null;
  kind: string;
  client: string | null;
  backup_id: string | null;
  state: JobState;
  status_code: number | null;
  started_at: number;
  ended_at: number | null;
  detail_json: string | null;
  policy: string | null;
}

interface JobLogDbRow {
  id: number;
  job_id: number;
  at: number;
  level: LogLevel;
  message: string;
}

function prepareStatements(db: Database.Database) {
  return {
    insertJob: db.prepare<{
      parentId: number | null;
      kind: string;
      client: string | null;
      backupId: string | null;
      startedAt: number;
      detailJson: string | null;
      policy: string | null;
      ownerPid: number;
    }>(/* sql */ `INSERT INTO jobs
         (parent_id, kind, client, backup_id, state, started_at, detail_json, policy, owner_pid)
       VALUES (@parentId, @kind, @client, @backupId, 'running', @startedAt, @detailJson, @policy,
         @ownerPid)`),
    finishJob: db.prepare<{
      id: number;
      state: string;
      statusCode: number;
      endedAt: number;
      replaceDetail: number;
      detailJson: string | null;
    }>(/* sql */ `UPDATE jobs SET state = @state, status_code = @statusCode, ended_at = @endedAt,
         detail_json = CASE WHEN @replaceDetail THEN @detailJson ELSE detail_json END
       WHERE id = @id AND state IN ('queued', 'running')`),
    unendedJobs: db.prepare<[], { id: number; owner_pid: number | null }>(
      /* sql */ `SELECT id, owner_pid FROM jobs WHERE state IN ('queued', 'running')`,
    ),
    interruptJob: db.prepare<{
      id: number;
      statusCode: number;
      endedAt: number;
    }>(/* sql */ `UPDATE jobs SET state = 'failed', status_code = @statusCode, ended_at = @endedAt
         WHERE id = @id AND state IN ('queued', 'running')`),
    setJobDetail: db.prepare<[detailJson: string | null, id: number]>(
      `UPDATE jobs SET detail_json = ? WHERE id = ?`,
    ),
    job: db.prepare<[id: number], JobDbRow>(`SELECT * FROM jobs WHERE id = ?`),
    runningJobOfPolicy: db.prepare<[policy: string], JobDbRow>(/* sql */ `SELECT * FROM jobs
       WHERE policy = ? AND parent_id IS NULL AND state IN ('queued', 'running')
       ORDER BY id DESC LIMIT 1`),
    appendLog: db.prepare<[jobId: number, at: number, level: string, message: string]>(
      `INSERT INTO job_logs (job_id, at, level, message) VALUES (?, ?, ?, ?)`,
    ),
    jobLog: db.prepare<[jobId: number], JobLogDbRow>(
      `SELECT * FROM job_logs WHERE job_id = ? ORDER BY id`,
    ),
  };
}

type Statements = ReturnType<typeof prepareStatements>;

/**
 * The job tables of one connection. Every method runs inside the caller's transaction (the
 * writes check and then change, so they need one); the caller maps SQLite's errors.
 */
export class Jobs {
  readonly #db: Database.Database;
  readonly #sql: Statements;
  /** listJobs statements, by their SQL text (one per combination of filters). */
  readonly #lists = new Map<string, Database.Statement<unknown[], JobDbRow>>();

  constructor(db: Database.Database) {
    this.#db = db;
    this.#sql = prepareStatements(db);
  }

  /** Inserts a running job started at `startedAt`; returns its id. */
  create(job: NewJob, startedAt: number): number {
    checkNewJob(job);
    const parentId = job.parentId ?? null;
    const detailJson = detailJsonOf(job.detail);
    if (parentId !== null && !this.#sql.job.get(parentId))
      throw new TesseraError('CATALOG_NOT_FOUND', `The catalog has no job ${parentId}`);
    const result = this.#sql.insertJob.run({
      parentId,
      kind: job.kind,
      client: job.client ?? null,
      backupId: job.backupId ?? null,
      startedAt,
      detailJson,
      policy: job.policy ?? null,
      ownerPid: process.pid,
    });
    return Number(result.lastInsertRowid);
  }

  finish(id: number, end: JobEnd, endedAt: number): void {
    if (!['done', 'failed', 'cancelled'].includes(end.state))
      throw new TesseraError(
        'BAD_REQUEST',
        `A job ends done, failed or cancelled, not ${JSON.stringify(end.state)}`,
      );
    checkCount(`status code of job ${id}`, end.statusCode);
    const replaceDetail = end.detail !== undefined;
    const changes = this.#sql.finishJob.run({
      id,
      state: end.state,
      statusCode: end.statusCode,
      endedAt,
      replaceDetail: replaceDetail ? 1 : 0,
      detailJson: replaceDetail ? detailJsonOf(end.detail) : null,
    }).changes;
    if (changes > 0) return;
    const job = this.#sql.job.get(id);
    if (!job) throw new TesseraError('CATALOG_NOT_FOUND', `The catalog has no job ${id}`);
    throw new TesseraError(
      'CATALOG_CONFLICT',
      `Job ${id} has already ended (${job.state}, status ${String(job.status_code)})`,
    );
  }

  /**
   * Fails every unended job whose process `isAlive` says is gone (or is unknown) with
   * `statusCode`, and logs `message` to each; their ids.
   */
  interrupt(
    statusCode: number,
    message: string,
    at: number,
    isAlive: (pid: number) => boolean,
  ): number[] {
    checkCount('status code of interrupted jobs', statusCode);
    const ids = this.#sql.unendedJobs
      .all()
      .filter((job) => job.owner_pid === null || !isAlive(job.owner_pid))
      .map((job) => job.id)
      .sort((a, b) => a - b);
    for (const id of ids) {
      this.#sql.interruptJob.run({ id, statusCode, endedAt: at });
      this.#sql.appendLog.run(id, at, 'error', message);
    }
    return ids;
  }

  setDetail(id: number, detail: JobDetail | null): void {
    const changes = this.#sql.setJobDetail.run(detailJsonOf(detail), id).changes;
    if (changes === 0) throw new TesseraError('CATALOG_NOT_FOUND', `The catalog has no job ${id}`);
  }

  appendLog(jobId: number, level: LogLevel, message: string, at: number): void {
    if (!(LOG_LEVELS as readonly string[]).includes(level))
      throw new TesseraError(
        'BAD_REQUEST',
        `Unknown log level ${JSON.stringify(level)}; expected info, warning or error`,
      );
    if (!this.#sql.job.get(jobId))
      throw new TesseraError('CATALOG_NOT_FOUND', `The catalog has no job ${jobId}`);
    this.#sql.appendLog.run(jobId, at, level, message);
  }

  get(id: number): JobRow | null {
    const row = this.#sql.job.get(id);
    return row ? jobRowOf(row) : null;
  }

  list(options: ListJobsOptions): JobRow[] {
    const { sql, params } = listJobsQuery(options);
    let statement = this.#lists.get(sql);
    if (statement === undefined) {
      statement = this.#db.prepare<unknown[], JobDbRow>(sql);
      this.#lists.set(sql, statement);
    }
    return statement.all(...params).map(jobRowOf);
  }

  runningOfPolicy(policy: string): JobRow | null {
    const row = this.#sql.runningJobOfPolicy.get(policy);
    return row ? jobRowOf(row) : null;
  }

  log(jobId: number): JobLogRow[] {
    return this.#sql.jobLog.all(jobId).map(jobLogRowOf);
  }
}

/**
 * The SELECT for listJobs with these options, and its parameters (the limit last). The SQL
 * text depends only on which filters are set, so callers can cache statements by it.
 */
function listJobsQuery(options: ListJobsOptions): {
  sql: string;
  params: Array<string | number>;
} {
  const where: string[] = [];
  const params: Array<string | number> = [];
  if (options.parentId === null) where.push('parent_id IS NULL');
  else if (options.parentId !== undefined) {
    checkCount('parent job id', options.parentId);
    where.push('parent_id = ?');
    params.push(options.parentId);
  }
  if (options.policy !== undefined) {
    if (typeof options.policy !== 'string')
      throw new TesseraError('BAD_REQUEST', 'The policy to list jobs of must be a name');
    where.push('policy = ?');
    params.push(options.policy);
  }
  if (options.state !== undefined) {
    checkJobState(options.state);
    where.push('state = ?');
    params.push(options.state);
  }
  if (options.limit !== undefined) checkCount('job list limit', options.limit);
  params.push(options.limit ?? -1); // SQLite: a negative LIMIT means none
  const filter = where.length > 0 ? ` WHERE ${where.join(' AND ')}` : '';
  return { sql: `SELECT * FROM jobs${filter} ORDER BY id DESC LIMIT ?`, params };
}

/** The kind and policy of a new job, checked; BAD_REQUEST names what is wrong. */
function checkNewJob(job: NewJob): void {
  if (!(JOB_KINDS as readonly string[]).includes(job.kind))
    throw new TesseraError(
      'BAD_REQUEST',
      `Unknown job kind ${JSON.stringify(job.kind)}; expected one of ${JOB_KINDS.join(', ')}`,
    );
  const policy = job.policy ?? null;
  if (policy !== null && (typeof policy !== 'string' || !POLICY_NAME_PATTERN.test(policy)))
    throw new TesseraError(
      'BAD_REQUEST',
      `A job's policy is a policy name (letters, digits, . _ -), not ${JSON.stringify(policy)}`,
    );
}

function checkJobState(state: JobState): void {
  if (!(JOB_STATES as readonly string[]).includes(state))
    throw new TesseraError(
      'BAD_REQUEST',
      `Unknown job state ${JSON.stringify(state)}; expected one of ${JOB_STATES.join(', ')}`,
    );
}

function jobRowOf(row: JobDbRow): JobRow {
  return {
    id: row.id,
    parentId: row.parent_id,
    kind: row.kind as JobKind,
    client: row.client,
    backupId: row.backup_id,
    state: row.state,
    statusCode: row.status_code,
    startedAt: row.started_at,
    endedAt: row.ended_at,
    detail: row.detail_json === null ? null : objectOf(`job ${row.id} detail`, row.detail_json),
    policy: row.policy,
  };
}

function jobLogRowOf(row: JobLogDbRow): JobLogRow {
  return { id: row.id, jobId: row.job_id, at: row.at, level: row.level, message: row.message };
}

function detailJsonOf(detail: JobDetail | null | undefined): string | null {
  if (detail === undefined || detail === null) return null;
  if (typeof detail !== 'object' || Array.isArray(detail))
    throw new TesseraError('BAD_REQUEST', 'A job detail must be a JSON object');
  try {
    return JSON.stringify(detail);
  } catch (error) {
    throw new TesseraError('BAD_REQUEST', 'A job detail must be serialisable as JSON', {
      cause: error,
    });
  }
}
