/**
 * Versioned schema migrations for the catalog. The database's `PRAGMA user_version` is the
 * number of the last migration applied; opening a catalog applies every later migration in
 * order, each in its own IMMEDIATE transaction together with the bump of user_version, so a
 * crash leaves the schema at a whole version. Migrations are append-only: a released one is
 * never edited, a change to the schema is a new entry with the next version.
 */
import type Database from 'better-sqlite3';
import { TesseraError } from '../../../shared/errors.js';
import { toCatalogError } from './errors.js';

export interface Migration {
  /** 1, 2, 3, ... in order, with no gaps. */
  readonly version: number;
  readonly description: string;
  /** SQL run with `exec` inside the migration's transaction. */
  readonly up: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'clients, disks, images, per-image disks, jobs and job logs',
    up: /* sql */ `
      CREATE TABLE clients (
        id         INTEGER PRIMARY KEY,
        name       TEXT    NOT NULL UNIQUE,
        -- Unix seconds of the client's oldest recorded image (rebuildable from manifests).
        created_at INTEGER NOT NULL
      ) STRICT;

      CREATE TABLE disks (
        id            INTEGER PRIMARY KEY,
        client_id     INTEGER NOT NULL REFERENCES clients(id),
        disk_key      TEXT    NOT NULL UNIQUE,
        name          TEXT    NOT NULL,
        source_path   TEXT    NOT NULL,
        source_format TEXT    NOT NULL,
        virtual_size  INTEGER NOT NULL CHECK (virtual_size >= 0),
        identity      TEXT
      ) STRICT;
      CREATE INDEX disks_by_client ON disks(client_id);

      CREATE TABLE images (
        backup_id          TEXT    PRIMARY KEY,
        client_id          INTEGER NOT NULL REFERENCES clients(id),
        created_at         INTEGER NOT NULL,
        kind               TEXT    NOT NULL CHECK (kind IN ('full', 'accelerator')),
        previous_backup_id TEXT,
        expires_at         INTEGER,
        vm_json            TEXT,
        disk_count         INTEGER NOT NULL CHECK (disk_count >= 0),
        bytes_read         INTEGER NOT NULL CHECK (bytes_read >= 0),
        bytes_stored       INTEGER NOT NULL CHECK (bytes_stored >= 0)
      ) STRICT;
      CREATE INDEX images_by_client ON images(client_id, created_at);
      CREATE INDEX images_by_created ON images(created_at);
      CREATE INDEX images_by_expiry ON images(expires_at) WHERE expires_at IS NOT NULL;

      CREATE TABLE image_disks (
        backup_id          TEXT    NOT NULL REFERENCES images(backup_id) ON DELETE CASCADE,
        position           INTEGER NOT NULL CHECK (position >= 0),
        disk_id            INTEGER NOT NULL REFERENCES disks(id),
        previous_backup_id TEXT,
        virtual_size       INTEGER NOT NULL CHECK (virtual_size >= 0),
        block_size         INTEGER NOT NULL CHECK (block_size > 0),
        block_count        INTEGER NOT NULL CHECK (block_count >= 0),
        forced_rescan      INTEGER NOT NULL CHECK (forced_rescan IN (0, 1)),
        bytes_read         INTEGER NOT NULL CHECK (bytes_read >= 0),
        blocks_changed     INTEGER NOT NULL CHECK (blocks_changed >= 0),
        blocks_unchanged   INTEGER NOT NULL CHECK (blocks_unchanged >= 0),
        blocks_zero        INTEGER NOT NULL CHECK (blocks_zero >= 0),
        bytes_stored       INTEGER NOT NULL CHECK (bytes_stored >= 0),
        bytes_deduplicated INTEGER NOT NULL CHECK (bytes_deduplicated >= 0),
        bytes_linked       INTEGER NOT NULL CHECK (bytes_linked >= 0),
        PRIMARY KEY (backup_id, position),
        UNIQUE (backup_id, disk_id)
      ) STRICT, WITHOUT ROWID;
      CREATE INDEX image_disks_by_disk ON image_disks(disk_id);

      CREATE TABLE jobs (
        id          INTEGER PRIMARY KEY,
        parent_id   INTEGER REFERENCES jobs(id) ON DELETE CASCADE,
        kind        TEXT    NOT NULL,
        client      TEXT,
        backup_id   TEXT,
        state       TEXT    NOT NULL
                    CHECK (state IN ('queued', 'running', 'done', 'failed', 'cancelled')),
        status_code INTEGER,
        -- Unix milliseconds.
        started_at  INTEGER NOT NULL,
        ended_at    INTEGER,
        detail_json TEXT
      ) STRICT;
      CREATE INDEX jobs_by_parent ON jobs(parent_id) WHERE parent_id IS NOT NULL;

      CREATE TABLE job_logs (
        id      INTEGER PRIMARY KEY,
        job_id  INTEGER NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
        -- Unix milliseconds.
        at      INTEGER NOT NULL,
        level   TEXT    NOT NULL CHECK (level IN ('info', 'warning', 'error')),
        message TEXT    NOT NULL
      ) STRICT;
      CREATE INDEX job_logs_by_job ON job_logs(job_id, id);
    `,
  },
  {
    version: 2,
    description: 'inventory sources, policies, schedule runs, and the policy of each job',
    up: /* sql */ `
      CREATE TABLE sources (
        id       INTEGER PRIMARY KEY,
        kind     TEXT    NOT NULL CHECK (kind IN ('folder', 'libvirt', 'virtualbox')),
        path     TEXT    NOT NULL,
        name     TEXT    NOT NULL UNIQUE,
        -- Unix milliseconds.
        added_at INTEGER NOT NULL,
        UNIQUE (kind, path)
      ) STRICT;

      -- One row per policy: the policy as JSON (shared/policy.ts policySchema), validated
      -- when written and again when read.
      CREATE TABLE policies (
        name        TEXT    NOT NULL PRIMARY KEY,
        policy_json TEXT    NOT NULL,
        -- Unix milliseconds.
        created_at  INTEGER NOT NULL,
        updated_at  INTEGER NOT NULL
      ) STRICT, WITHOUT ROWID;

      -- When each schedule of each policy last started; the scheduler's memory.
      CREATE TABLE schedule_runs (
        policy      TEXT    NOT NULL REFERENCES policies(name) ON DELETE CASCADE,
        schedule    TEXT    NOT NULL,
        -- Unix milliseconds.
        last_run_at INTEGER NOT NULL,
        PRIMARY KEY (policy, schedule)
      ) STRICT, WITHOUT ROWID;

      -- Not a foreign key: a job's history outlives its policy.
      ALTER TABLE jobs ADD COLUMN policy TEXT;
      -- The process that runs the job: a job whose process is gone was interrupted.
      ALTER TABLE jobs ADD COLUMN owner_pid INTEGER;
      CREATE INDEX jobs_by_policy ON jobs(policy, id) WHERE policy IS NOT NULL;
      CREATE INDEX jobs_unended ON jobs(state) WHERE state IN ('queued', 'running');
    `,
  },
];

/** The schema version this code writes: the last migration's. */
export const SCHEMA_VERSION: number = MIGRATIONS.at(-1)?.version ?? 0;

export function userVersion(db: Database.Database): number {
  return db.pragma('user_version', { simple: true }) as number;
}

/**
 * Brings `db` up to the last of `migrations` and returns the version it is at. Refuses a
 * database whose user_version is beyond the last migration (written by a newer Tessera),
 * without changing it. Safe against another process migrating the same file at once: the
 * version is re-read inside each IMMEDIATE (write-locked) transaction.
 */
export function migrate(
  db: Database.Database,
  migrations: readonly Migration[] = MIGRATIONS,
): number {
  checkOrder(migrations);
  const latest = migrations.at(-1)?.version ?? 0;
  const refuseIfNewer = (version: number): void => {
    if (version > latest)
      throw new TesseraError(
        'CATALOG_TOO_NEW',
        `The catalog ${db.name} has schema version ${version}, but this Tessera knows versions up to ${latest}. ` +
          'Upgrade Tessera, or rebuild the catalog from the storage unit (tessera catalog rebuild) into a new file.',
      );
  };
  refuseIfNewer(userVersion(db));
  for (const migration of migrations) {
    if (migration.version <= userVersion(db)) continue;
    const apply = db.transaction(() => {
      const current = userVersion(db);
      refuseIfNewer(current);
      if (migration.version <= current) return; // another connection got here first
      db.exec(migration.up);
      db.pragma(`user_version = ${migration.version}`);
    });
    try {
      apply.immediate();
    } catch (error) {
      throw toCatalogError(
        error,
        `Catalog migration ${migration.version} (${migration.description}) failed on ${db.name}`,
      );
    }
  }
  return userVersion(db);
}

function checkOrder(migrations: readonly Migration[]): void {
  migrations.forEach((migration, index) => {
    if (migration.version !== index + 1)
      throw new Error(
        `Catalog migrations must be numbered 1, 2, 3, ... in order: entry ${index} has version ${migration.version}`,
      );
  });
}
