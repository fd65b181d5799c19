/**
 * The catalog (better-sqlite3).
 *
 * Why WAL: the engine, the CLI and the desktop app may have the same catalog open at once. In
 * WAL mode readers never block the writer nor the writer the readers, a reader sees the last
 * committed transaction, and with synchronous=NORMAL a commit is an append to the log (durable
 * at the next checkpoint, never torn). Writers queue on one lock (busy_timeout 5 s) and take it
 * up front (BEGIN IMMEDIATE), so a write never fails half-way on a stale snapshot.
 *
 * Layout: catalog.ts owns the connection and its transactions (every write is one IMMEDIATE
 * transaction, SQLite errors mapped to TesseraError codes by errors.ts); images.ts, jobs.ts,
 * sources.ts and policies.ts each hold one concern's prepared statements, row conversions
 * and checks, as a class that runs inside the caller's transaction.
 *
 * Policies are stored as JSON and validated with shared/policy.ts's zod schema both when
 * saved (BAD_REQUEST) and when read back (CATALOG_CORRUPT, naming the policy). A job that
 * was running when its process died stays 'running' until interruptRunningJobs fails it.
 *
 * Migrations: `migrations.ts` is an append-only list numbered 1, 2, 3, ...; PRAGMA user_version
 * records the last one applied. Opening applies the missing ones, each in its own transaction
 * with the version bump, and refuses (CATALOG_TOO_NEW) a file from a newer Tessera rather than
 * guess at a schema it does not know.
 *
 * What is rebuildable: clients, disks, images and per-image disk statistics are derived from
 * the storage unit's image manifests alone, so `tessera catalog rebuild` (Catalog.replaceAll)
 * restores them after the file is lost or damaged. Jobs and job logs, inventory sources,
 * policies and schedule runs exist only here: a rebuild keeps them, a lost catalog loses
 * them. Expiry times changed with setExpiry after the backup are catalog-only too, unless the
 * manifest is rewritten alongside.
 */
export { Catalog, BUSY_TIMEOUT_MS } from './catalog.js';
export type { CatalogOptions } from './catalog.js';
export { MIGRATIONS, SCHEMA_VERSION, migrate } from './migrations.js';
export type { Migration } from './migrations.js';
export { JOB_KINDS, JOB_STATES, LOG_LEVELS } from './types.js';
export type {
  ClientRow,
  FinalJobState,
  ImageDiskRow,
  ImageKind,
  ImageRow,
  JobDetail,
  JobEnd,
  JobKind,
  JobLogRow,
  JobRow,
  JobState,
  ListJobsOptions,
  LogLevel,
  NewJob,
  SavePolicyOptions,
  SavePolicyResult,
} from './types.js';
