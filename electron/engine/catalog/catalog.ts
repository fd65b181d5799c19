/**
 * The catalog: an SQLite index of what the storage unit holds (clients, their disks, images
 * and per-image disk statistics) and of what Tessera did (jobs and their log lines). Image
 * rows are derived from image manifests only, so `replaceAll` can rebuild them from the
 * storage unit; jobs exist only here.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { TesseraError } from '../../../shared/errors.js';
import { BACKUP_ID_PATTERN, CLIENT_NAME_PATTERN } from '../store/manifest.js';
import type { DiskImageManifest, ImageManifest, VmMetadata } from '../store/manifest.js';
import type { DiskFormat } from '../disk/types.js';
import { toCatalogError } from './errors.js';
import { migrate, userVersion } from './migrations.js';
import { JOB_KINDS, LOG_LEVELS } from './types.js';
import type {
  ClientRow,
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
} from './types.js';

export interface CatalogOptions {
  /** The clock for job and log times, in Unix milliseconds (tests pin it). */
  readonly now?: () => number;
}

/** How long a connection waits for another one's write lock before giving up. */
export const BUSY_TIMEOUT_MS = 5000;

// --- rows as SQLite returns them ---------------------------------------------------------

interface ImageDbRow {
  backup_id: string;
  client: string;
  created_at: number;
  kind: ImageKind;
  previous_backup_id: string | null;
  expires_at: number | null;
  vm_json: string | null;
  disk_count: number;
  bytes_read: number;
  bytes_stored: number;
}

interface ImageDiskDbRow {
  backup_id: string;
  position: number;
  disk_key: string;
  name: string;
  source_path: string;
  source_format: string;
  identity: string | null;
  previous_backup_id: string | null;
  virtual_size: number;
  block_size: number;
  block_count: number;
  forced_rescan: number;
  bytes_read: number;
  blocks_changed: number;
  blocks_unchanged: number;
  blocks_zero: number;
  bytes_stored: number;
  bytes_deduplicated: number;
  bytes_linked: number;
}

interface ClientDbRow {
  name: string;
  created_at: number;
  disk_count: number;
  image_count: number;
  latest_image_at: number | null;
}

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
}

interface JobLogDbRow {
  id: number;
  job_id: number;
  at: number;
  level: LogLevel;
  message: string;
}

/** What an image records, in column terms: built from a manifest, or read back to compare. */
interface ImageFacts {
  client: string;
  created_at: number;
  kind: string;
  previous_backup_id: string | null;
  expires_at: number | null;
  vm_json: string | null;
  disk_count: number;
  bytes_read: number;
  bytes_stored: number;
  disks: ImageDiskFacts[];
}

interface ImageDiskFacts {
  position: number;
  disk_key: string;
  previous_backup_id: string | null;
  virtual_size: number;
  block_size: number;
  block_count: number;
  forced_rescan: number;
  bytes_read: number;
  blocks_changed: number;
  blocks_unchanged: number;
  blocks_zero: number;
  bytes_stored: number;
  bytes_deduplicated: number;
  bytes_linked: number;
}

const IMAGE_COLUMNS = /* sql */ `
  i.backup_id, c.name AS client, i.created_at, i.kind, i.previous_backup_id, i.expires_at,
  i.vm_json, i.disk_count, i.bytes_read, i.bytes_stored`;

const IMAGE_DISK_COLUMNS = /* sql */ `
  d.backup_id, d.position, k.disk_key, k.name, k.source_path, k.source_format, k.identity,
  d.previous_backup_id, d.virtual_size, d.block_size, d.block_count, d.forced_rescan,
  d.bytes_read, d.blocks_changed, d.blocks_unchanged, d.blocks_zero, d.bytes_stored,
  d.bytes_deduplicated, d.bytes_linked`;

function prepareStatements(db: Database.Database) {
  return {
    upsertClient: db
      .prepare<{ name: string; createdAt: number }, number>(
        /* sql */ `INSERT INTO clients (name, created_at) VALUES (@name, @createdAt)
         ON CONFLICT (name) DO UPDATE SET created_at = min(created_at, excluded.created_at)
         RETURNING id`,
      )
      .pluck(),
    // A disk's name, path, size and owner follow its newest image, whatever the order in
    // which images are recorded, so a rebuild from manifests lands on the same rows.
    upsertDisk: db.prepare<{
      clientId: number;
      diskKey: string;
      name: string;
      sourcePath: string;
      sourceFormat: string;
      virtualSize: number;
      identity: string | null;
      createdAt: number;
      backupId: string;
    }>(/* sql */ `INSERT INTO disks
         (client_id, disk_key, name, source_path, source_format, virtual_size, identity)
       VALUES (@clientId, @diskKey, @name, @sourcePath, @sourceFormat, @virtualSize, @identity)
       ON CONFLICT (disk_key) DO UPDATE SET
         client_id = excluded.client_id, name = excluded.name,
         source_path = excluded.source_path, source_format = excluded.source_format,
         virtual_size = excluded.virtual_size, identity = excluded.identity
       WHERE NOT EXISTS (
         SELECT 1 FROM image_disks d JOIN images i ON i.backup_id = d.backup_id
         WHERE d.disk_id = disks.id
           AND (i.created_at > @createdAt OR (i.created_at = @createdAt AND i.backup_id > @backupId))
       )`),
    diskId: db
      .prepare<[diskKey: string], number>(`SELECT id FROM disks WHERE disk_key = ?`)
      .pluck(),
    insertImage: db.prepare<{
      backupId: string;
      clientId: number;
      createdAt: number;
      kind: string;
      previousBackupId: string | null;
      expiresAt: number | null;
      vmJson: string | null;
      diskCount: number;
      bytesRead: number;
      bytesStored: number;
    }>(/* sql */ `INSERT INTO images (backup_id, client_id, created_at, kind, previous_backup_id,
         expires_at, vm_json, disk_count, bytes_read, bytes_stored)
       VALUES (@backupId, @clientId, @createdAt, @kind, @previousBackupId, @expiresAt, @vmJson,
         @diskCount, @bytesRead, @bytesStored)`),
    insertImageDisk: db.prepare<
      Omit<ImageDiskFacts, 'disk_key'> & { backup_id: string; disk_id: number }
    >(/* sql */ `INSERT INTO image_disks (backup_id, position, disk_id, previous_backup_id,
         virtual_size, block_size, block_count, forced_rescan, bytes_read, blocks_changed,
         blocks_unchanged, blocks_zero, bytes_stored, bytes_deduplicated, bytes_linked)
       VALUES (@backup_id, @position, @disk_id, @previous_backup_id, @virtual_size, @block_size,
         @block_count, @forced_rescan, @bytes_read, @blocks_changed, @blocks_unchanged,
         @blocks_zero, @bytes_stored, @bytes_deduplicated, @bytes_linked)`),
    image: db.prepare<
      [backupId: string],
      ImageDbRow
    >(/* sql */ `SELECT ${IMAGE_COLUMNS} FROM images i JOIN clients c ON c.id = i.client_id
       WHERE i.backup_id = ?`),
    imageDisks: db.prepare<
      [backupId: string],
      ImageDiskDbRow
    >(/* sql */ `SELECT ${IMAGE_DISK_COLUMNS} FROM image_disks d JOIN disks k ON k.id = d.disk_id
       WHERE d.backup_id = ? ORDER BY d.position`),
    allImages: db.prepare<
      [],
      ImageDbRow
    >(/* sql */ `SELECT ${IMAGE_COLUMNS} FROM images i JOIN clients c ON c.id = i.client_id
       ORDER BY i.created_at DESC, i.backup_id DESC`),
    allImageDisks: db.prepare<
      [],
      ImageDiskDbRow
    >(/* sql */ `SELECT ${IMAGE_DISK_COLUMNS} FROM image_disks d JOIN disks k ON k.id = d.disk_id
       ORDER BY d.backup_id, d.position`),
    clientImages: db.prepare<
      [client: string],
      ImageDbRow
    >(/* sql */ `SELECT ${IMAGE_COLUMNS} FROM images i JOIN clients c ON c.id = i.client_id
       WHERE c.name = ? ORDER BY i.created_at DESC, i.backup_id DESC`),
    clientImageDisks: db.prepare<
      [client: string],
      ImageDiskDbRow
    >(/* sql */ `SELECT ${IMAGE_DISK_COLUMNS} FROM image_disks d JOIN disks k ON k.id = d.disk_id
       JOIN images i ON i.backup_id = d.backup_id JOIN clients c ON c.id = i.client_id
       WHERE c.name = ? ORDER BY d.backup_id, d.position`),
    latestImageOfDisk: db.prepare<
      [diskKey: string],
      { backupId: string; createdAt: number }
    >(/* sql */ `SELECT i.backup_id AS backupId, i.created_at AS createdAt
       FROM disks k JOIN image_disks d ON d.disk_id = k.id JOIN images i ON i.backup_id = d.backup_id
       WHERE k.disk_key = ? ORDER BY i.created_at DESC, i.backup_id DESC LIMIT 1`),
    clients: db.prepare<[], ClientDbRow>(/* sql */ `SELECT c.name, c.created_at,
         (SELECT count(*) FROM disks k WHERE k.client_id = c.id) AS disk_count,
         (SELECT count(*) FROM images i WHERE i.client_id = c.id) AS image_count,
         (SELECT max(i.created_at) FROM images i WHERE i.client_id = c.id) AS latest_image_at
       FROM clients c ORDER BY c.name`),
    deleteImage: db.prepare<[backupId: string]>(`DELETE FROM images WHERE backup_id = ?`),
    expiredImages: db
      .prepare<[now: number], string>(
        /* sql */ `SELECT backup_id FROM images WHERE expires_at IS NOT NULL AND expires_at <= ?
         ORDER BY expires_at, backup_id`,
      )
      .pluck(),
    setExpiry: db.prepare<[expiresAt: number | null, backupId: string]>(
      `UPDATE images SET expires_at = ? WHERE backup_id = ?`,
    ),
    clearImages: [
      db.prepare(`DELETE FROM image_disks`),
      db.prepare(`DELETE FROM images`),
      db.prepare(`DELETE FROM disks`),
      db.prepare(`DELETE FROM clients`),
    ],
    insertJob: db.prepare<{
      parentId: number | null;
      kind: string;
      client: string | null;
      backupId: string | null;
      startedAt: number;
      detailJson: string | null;
    }>(/* sql */ `INSERT INTO jobs (parent_id, kind, client, backup_id, state, started_at, detail_json)
       VALUES (@parentId, @kind, @client, @backupId, 'running', @startedAt, @detailJson)`),
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
    job: db.prepare<[id: number], JobDbRow>(`SELECT * FROM jobs WHERE id = ?`),
    jobs: db.prepare<[limit: number], JobDbRow>(`SELECT * FROM jobs ORDER BY id DESC LIMIT ?`),
    topJobs: db.prepare<[limit: number], JobDbRow>(
      `SELECT * FROM jobs WHERE parent_id IS NULL ORDER BY id DESC LIMIT ?`,
    ),
    childJobs: db.prepare<[parentId: number, limit: number], JobDbRow>(
      `SELECT * FROM jobs WHERE parent_id = ? ORDER BY id DESC LIMIT ?`,
    ),
    appendLog: db.prepare<[jobId: number, at: number, level: string, message: string]>(
      `INSERT INTO job_logs (job_id, at, level, message) VALUES (?, ?, ?, ?)`,
    ),
    jobLog: db.prepare<[jobId: number], JobLogDbRow>(
      `SELECT * FROM job_logs WHERE job_id = ? ORDER BY id`,
    ),
  };
}

type Statements = ReturnType<typeof prepareStatements>;

export class Catalog {
  readonly file: string;
  readonly #db: Database.Database;
  readonly #sql: Statements;
  readonly #now: () => number;

  private constructor(file: string, db: Database.Database, now: () => number) {
    this.file = file;
    this.#db = db;
    this.#sql = prepareStatements(db);
    this.#now = now;
  }

  /**
   * Opens (creating it and its folder if needed) the catalog at `file`, in WAL mode with
   * foreign keys on, and brings its schema up to date. Throws CATALOG_TOO_NEW for a catalog
   * written by a newer Tessera, CATALOG_CORRUPT for a file that is not a usable database.
   */
  static open(file: string, options: CatalogOptions = {}): Catalog {
    const what = `Cannot open the catalog ${file}`;
    try {
      mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    } catch (error) {
      throw toCatalogError(error, what);
    }
    let db: Database.Database;
    try {
      db = new Database(file, { timeout: BUSY_TIMEOUT_MS });
    } catch (error) {
      throw toCatalogError(error, what);
    }
    try {
      const mode = db.pragma('journal_mode = WAL', { simple: true });
      if (mode !== 'wal')
        throw new TesseraError(
          'CATALOG_IO',
          `${what}: SQLite could not switch it to WAL journal mode (it stays in ${String(mode)} mode); ` +
            'keep the catalog on a local file system',
        );
      db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
      db.pragma('synchronous = NORMAL'); // durable at each checkpoint, consistent always (WAL)
      db.pragma('foreign_keys = ON');
      migrate(db);
      return new Catalog(file, db, options.now ?? Date.now);
    } catch (error) {
      db.close();
      const wrapped = toCatalogError(error, what);
      if (wrapped.code === 'CATALOG_CORRUPT' && !(error instanceof TesseraError))
        throw new TesseraError(
          'CATALOG_CORRUPT',
          `${wrapped.message}. Move the file aside and rebuild it from the storage unit (tessera catalog rebuild).`,
          { cause: error },
        );
      throw wrapped;
    }
  }

  /** Closes the connection; later calls on this Catalog throw. Closing twice is harmless. */
  close(): void {
    if (this.#db.open) this.#db.close();
  }

  /** The schema version of the open database (PRAGMA user_version). */
  schemaVersion(): number {
    return userVersion(this.#db);
  }

  // --- images ----------------------------------------------------------------------------

  /**
   * Records a committed image: its client and disks (created or updated), the image and one
   * row per disk, in one transaction. Recording a backup ID that is already there is a no-op
   * when the manifest says exactly what the catalog holds, and CATALOG_CONFLICT otherwise.
   */
  recordImage(manifest: ImageManifest): void {
    this.#write(`Cannot record image ${manifest.backupId}`, () => this.#record(manifest));
  }

  /**
   * Rebuilds the image side of the catalog (clients, disks, images, per-image disks) from
   * the manifests alone, in one transaction: on any error nothing changes. Jobs and their
   * logs are kept. Returns how many distinct images were recorded.
   */
  replaceAll(manifests: Iterable<ImageManifest>): { images: number } {
    return this.#write('Cannot rebuild the catalog', () => {
      for (const statement of this.#sql.clearImages) statement.run();
      // Oldest first, so surrogate ids come out in the same order on every rebuild.
      const sorted = [...manifests].sort(
        (a, b) =>
          a.createdAt - b.createdAt ||
          (a.backupId < b.backupId ? -1 : a.backupId > b.backupId ? 1 : 0),
      );
      let images = 0;
      for (const manifest of sorted) if (this.#record(manifest)) images += 1;
      return { images };
    });
  }

  /** The image with its disks, or null. */
  getImage(backupId: string): ImageRow | null {
    return this.#read(() => {
      const image = this.#sql.image.get(backupId);
      if (!image) return null;
      return imageRowOf(image, this.#sql.imageDisks.all(backupId));
    });
  }

  /** Images with their disks, newest first; only `filter.client`'s when given. */
  listImages(filter: { client?: string } = {}): ImageRow[] {
    return this.#read(() => {
      const client = filter.client;
      const images =
        client === undefined ? this.#sql.allImages.all() : this.#sql.clientImages.all(client);
      const disks =
        client === undefined
          ? this.#sql.allImageDisks.all()
          : this.#sql.clientImageDisks.all(client);
      const byImage = new Map<string, ImageDiskDbRow[]>();
      for (const disk of disks) {
        const list = byImage.get(disk.backup_id);
        if (list) list.push(disk);
        else byImage.set(disk.backup_id, [disk]);
      }
      return images.map((image) => imageRowOf(image, byImage.get(image.backup_id) ?? []));
    });
  }

  /** The newest image holding the disk (by creation time), or null: the next backup's base. */
  latestImageOfDisk(diskKey: string): { backupId: string; createdAt: number } | null {
    return this.#sql.latestImageOfDisk.get(diskKey) ?? null;
  }

  /** Every client, by name, with counts of its disks and images. */
  listClients(): ClientRow[] {
    return this.#sql.clients.all().map((row) => ({
      name: row.name,
      createdAt: row.created_at,
      diskCount: row.disk_count,
      imageCount: row.image_count,
      latestImageAt: row.latest_image_at,
    }));
  }

  /**
   * Removes the image and its per-disk rows (clients and disks stay). Returns false when
   * there was no such image.
   */
  deleteImage(backupId: string): boolean {
    return this.#write(
      `Cannot delete image ${backupId}`,
      () => this.#sql.deleteImage.run(backupId).changes > 0,
    );
  }

  /** Backup IDs of images whose expiry time is at or before `nowSeconds`, soonest first. */
  expiredImages(nowSeconds: number): string[] {
    return this.#sql.expiredImages.all(nowSeconds);
  }

  /** Sets (Unix seconds) or clears (null) an image's expiry. */
  setExpiry(backupId: string, expiresAt: number | null): void {
    if (expiresAt !== null) checkCount(`expiry of ${backupId}`, expiresAt);
    const changed = this.#write(
      `Cannot set the expiry of image ${backupId}`,
      () => this.#sql.setExpiry.run(expiresAt, backupId).changes,
    );
    if (changed === 0)
      throw new TesseraError('CATALOG_NOT_FOUND', `The catalog has no image ${backupId}`);
  }

  // --- jobs ------------------------------------------------------------------------------

  /** Starts a job (state 'running', started now) and returns its id. */
  createJob(job: NewJob): number {
    if (!(JOB_KINDS as readonly string[]).includes(job.kind))
      throw new TesseraError(
        'BAD_REQUEST',
        `Unknown job kind ${JSON.stringify(job.kind)}; expected one of ${JOB_KINDS.join(', ')}`,
      );
    const parentId = job.parentId ?? null;
    const detailJson = detailJsonOf(job.detail);
    return this.#write(`Cannot create a ${job.kind} job`, () => {
      if (parentId !== null && !this.#sql.job.get(parentId))
        throw new TesseraError('CATALOG_NOT_FOUND', `The catalog has no job ${parentId}`);
      const result = this.#sql.insertJob.run({
        parentId,
        kind: job.kind,
        client: job.client ?? null,
        backupId: job.backupId ?? null,
        startedAt: this.#now(),
        detailJson,
      });
      return Number(result.lastInsertRowid);
    });
  }

  /**
   * Ends a job with its final state and status code (now). CATALOG_NOT_FOUND for an unknown
   * job, CATALOG_CONFLICT for one that has already ended.
   */
  finishJob(id: number, end: JobEnd): void {
    if (!['done', 'failed', 'cancelled'].includes(end.state))
      throw new TesseraError(
        'BAD_REQUEST',
        `A job ends done, failed or cancelled, not ${JSON.stringify(end.state)}`,
      );
    checkCount(`status code of job ${id}`, end.statusCode);
    const replaceDetail = end.detail !== undefined;
    const detailJson = replaceDetail ? detailJsonOf(end.detail) : null;
    this.#write(`Cannot finish job ${id}`, () => {
      const changes = this.#sql.finishJob.run({
        id,
        state: end.state,
        statusCode: end.statusCode,
        endedAt: this.#now(),
        replaceDetail: replaceDetail ? 1 : 0,
        detailJson,
      }).changes;
      if (changes > 0) return;
      const job = this.#sql.job.get(id);
      if (!job) throw new TesseraError('CATALOG_NOT_FOUND', `The catalog has no job ${id}`);
      throw new TesseraError(
        'CATALOG_CONFLICT',
        `Job ${id} has already ended (${job.state}, status ${String(job.status_code)})`,
      );
    });
  }

  /** Adds a line to a job's log, stamped now. */
  appendLog(jobId: number, level: LogLevel, message: string): void {
    if (!(LOG_LEVELS as readonly string[]).includes(level))
      throw new TesseraError(
        'BAD_REQUEST',
        `Unknown log level ${JSON.stringify(level)}; expected info, warning or error`,
      );
    this.#write(`Cannot log to job ${jobId}`, () => {
      if (!this.#sql.job.get(jobId))
        throw new TesseraError('CATALOG_NOT_FOUND', `The catalog has no job ${jobId}`);
      this.#sql.appendLog.run(jobId, this.#now(), level, message);
    });
  }

  getJob(id: number): JobRow | null {
    const row = this.#sql.job.get(id);
    return row ? jobRowOf(row) : null;
  }

  /** Jobs, newest first (see {@link ListJobsOptions}). */
  listJobs(options: ListJobsOptions = {}): JobRow[] {
    const limit = options.limit ?? -1; // SQLite: a negative LIMIT means none
    if (options.limit !== undefined) checkCount('job list limit', options.limit);
    const rows =
      options.parentId === undefined
        ? this.#sql.jobs.all(limit)
        : options.parentId === null
          ? this.#sql.topJobs.all(limit)
          : this.#sql.childJobs.all(options.parentId, limit);
    return rows.map(jobRowOf);
  }

  /** A job's log lines, oldest first. */
  jobLog(jobId: number): JobLogRow[] {
    return this.#sql.jobLog.all(jobId).map((row) => ({
      id: row.id,
      jobId: row.job_id,
      at: row.at,
      level: row.level,
      message: row.message,
    }));
  }

  // --- internals -------------------------------------------------------------------------

  /** Records one manifest inside the caller's transaction; false when it was already there. */
  #record(manifest: ImageManifest): boolean {
    checkManifest(manifest);
    const facts = factsOf(manifest);
    const existing = this.#sql.image.get(manifest.backupId);
    if (existing) {
      const stored = storedFactsOf(existing, this.#sql.imageDisks.all(manifest.backupId));
      const difference = firstDifference(stored, facts);
      if (difference === null) return false;
      throw new TesseraError(
        'CATALOG_CONFLICT',
        `The catalog already holds image ${manifest.backupId}, and it differs from this manifest ` +
          `(${difference}). A backup ID names one image: remove the old entry first, or rebuild the ` +
          'catalog from the storage unit.',
      );
    }
    const clientId = this.#sql.upsertClient.get({
      name: manifest.client,
      createdAt: manifest.createdAt,
    });
    if (clientId === undefined) throw new Error('clients upsert returned no id');
    this.#sql.insertImage.run({
      backupId: manifest.backupId,
      clientId,
      createdAt: facts.created_at,
      kind: facts.kind,
      previousBackupId: facts.previous_backup_id,
      expiresAt: facts.expires_at,
      vmJson: facts.vm_json,
      diskCount: facts.disk_count,
      bytesRead: facts.bytes_read,
      bytesStored: facts.bytes_stored,
    });
    const disks = [...manifest.disks].sort((a, b) => a.position - b.position);
    disks.forEach((disk, index) => {
      this.#sql.upsertDisk.run({
        clientId,
        diskKey: disk.diskKey,
        name: disk.name,
        sourcePath: disk.sourcePath,
        sourceFormat: disk.sourceFormat,
        virtualSize: disk.virtualSize,
        identity: disk.identity,
        createdAt: manifest.createdAt,
        backupId: manifest.backupId,
      });
      const diskId = this.#sql.diskId.get(disk.diskKey);
      if (diskId === undefined) throw new Error(`disk ${disk.diskKey} missing after upsert`);
      const { disk_key: _key, ...row } = facts.disks[index]!;
      this.#sql.insertImageDisk.run({ ...row, backup_id: manifest.backupId, disk_id: diskId });
    });
    return true;
  }

  /** Runs `body` in an IMMEDIATE transaction (write lock taken up front, so WAL never has to
   * upgrade a stale read snapshot) and maps SQLite failures to TesseraErrors. */
  #write<T>(what: string, body: () => T): T {
    try {
      return this.#db.transaction(body).immediate();
    } catch (error) {
      throw toCatalogError(error, what);
    }
  }

  /** Runs several reads on one snapshot. */
  #read<T>(body: () => T): T {
    return this.#db.transaction(body).deferred();
  }
}

// --- manifests to rows and back ----------------------------------------------------------

/** The columns a manifest records; disks in position order. */
function factsOf(manifest: ImageManifest): ImageFacts {
  const disks = [...manifest.disks].sort((a, b) => a.position - b.position).map(diskFactsOf);
  return {
    client: manifest.client,
    created_at: manifest.createdAt,
    kind: manifest.kind,
    previous_backup_id: manifest.previousBackupId,
    expires_at: manifest.expiresAt,
    vm_json: manifest.vm === null ? null : JSON.stringify(manifest.vm),
    disk_count: disks.length,
    bytes_read: disks.reduce((sum, disk) => sum + disk.bytes_read, 0),
    bytes_stored: disks.reduce((sum, disk) => sum + disk.bytes_stored, 0),
    disks,
  };
}

function diskFactsOf(disk: DiskImageManifest): ImageDiskFacts {
  return {
    position: disk.position,
    disk_key: disk.diskKey,
    previous_backup_id: disk.previousBackupId,
    virtual_size: disk.virtualSize,
    block_size: disk.blockSize,
    block_count: disk.blockCount,
    forced_rescan: disk.forcedRescan ? 1 : 0,
    bytes_read: disk.stats.bytesRead,
    blocks_changed: disk.stats.blocksChanged,
    blocks_unchanged: disk.stats.blocksUnchanged,
    blocks_zero: disk.stats.blocksZero,
    bytes_stored: disk.stats.bytesStored,
    bytes_deduplicated: disk.stats.bytesDeduplicated,
    bytes_linked: disk.stats.bytesLinked,
  };
}

function storedFactsOf(image: ImageDbRow, disks: ImageDiskDbRow[]): ImageFacts {
  return {
    client: image.client,
    created_at: image.created_at,
    kind: image.kind,
    previous_backup_id: image.previous_backup_id,
    expires_at: image.expires_at,
    vm_json: image.vm_json,
    disk_count: image.disk_count,
    bytes_read: image.bytes_read,
    bytes_stored: image.bytes_stored,
    disks: disks.map((disk) => ({
      position: disk.position,
      disk_key: disk.disk_key,
      previous_backup_id: disk.previous_backup_id,
      virtual_size: disk.virtual_size,
      block_size: disk.block_size,
      block_count: disk.block_count,
      forced_rescan: disk.forced_rescan,
      bytes_read: disk.bytes_read,
      blocks_changed: disk.blocks_changed,
      blocks_unchanged: disk.blocks_unchanged,
      blocks_zero: disk.blocks_zero,
      bytes_stored: disk.bytes_stored,
      bytes_deduplicated: disk.bytes_deduplicated,
      bytes_linked: disk.bytes_linked,
    })),
  };
}

/** "field: stored → new" for the first field that differs, or null when equal. */
function firstDifference(stored: ImageFacts, next: ImageFacts): string | null {
  const { disks: storedDisks, ...storedImage } = stored;
  const { disks: nextDisks, ...nextImage } = next;
  const compare = (a: object, b: object, prefix: string): string | null => {
    const other = new Map(Object.entries(b));
    for (const [key, value] of Object.entries(a))
      if (value !== other.get(key))
        return `${prefix}${key}: ${JSON.stringify(value)} recorded, ${JSON.stringify(other.get(key))} now`;
    return null;
  };
  const imageDifference = compare(storedImage, nextImage, '');
  if (imageDifference !== null) return imageDifference;
  if (storedDisks.length !== nextDisks.length)
    return `disk count: ${storedDisks.length} recorded, ${nextDisks.length} now`;
  for (let i = 0; i < storedDisks.length; i++) {
    const difference = compare(storedDisks[i]!, nextDisks[i]!, `disk ${i} `);
    if (difference !== null) return difference;
  }
  return null;
}

function imageRowOf(image: ImageDbRow, disks: readonly ImageDiskDbRow[]): ImageRow {
  return {
    backupId: image.backup_id,
    client: image.client,
    createdAt: image.created_at,
    kind: image.kind,
    previousBackupId: image.previous_backup_id,
    expiresAt: image.expires_at,
    vm: image.vm_json === null ? null : vmOf(image.backup_id, image.vm_json),
    diskCount: image.disk_count,
    bytesRead: image.bytes_read,
    bytesStored: image.bytes_stored,
    disks: disks.map(imageDiskRowOf),
  };
}

function imageDiskRowOf(disk: ImageDiskDbRow): ImageDiskRow {
  return {
    position: disk.position,
    diskKey: disk.disk_key,
    name: disk.name,
    sourcePath: disk.source_path,
    sourceFormat: disk.source_format as DiskFormat,
    identity: disk.identity,
    previousBackupId: disk.previous_backup_id,
    virtualSize: disk.virtual_size,
    blockSize: disk.block_size,
    blockCount: disk.block_count,
    forcedRescan: disk.forced_rescan === 1,
    bytesRead: disk.bytes_read,
    blocksChanged: disk.blocks_changed,
    blocksUnchanged: disk.blocks_unchanged,
    blocksZero: disk.blocks_zero,
    bytesStored: disk.bytes_stored,
    bytesDeduplicated: disk.bytes_deduplicated,
    bytesLinked: disk.bytes_linked,
  };
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
  };
}

function vmOf(backupId: string, json: string): VmMetadata {
  const vm = objectOf(`VM metadata of image ${backupId}`, json);
  if (typeof vm.name !== 'string')
    throw new TesseraError(
      'CATALOG_CORRUPT',
      `The VM metadata of image ${backupId} in the catalog has no name`,
    );
  return vm as VmMetadata;
}

function objectOf(what: string, json: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (error) {
    throw new TesseraError('CATALOG_CORRUPT', `The ${what} in the catalog is not valid JSON`, {
      cause: error,
    });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new TesseraError('CATALOG_CORRUPT', `The ${what} in the catalog is not a JSON object`);
  return value as Record<string, unknown>;
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

// --- validation --------------------------------------------------------------------------

function checkCount(what: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0)
    throw new TesseraError(
      'BAD_REQUEST',
      `The ${what} must be a whole number from 0 up, not ${String(value)}`,
    );
}

/** What the catalog relies on in a manifest; the store validates the rest when it reads one. */
function checkManifest(manifest: ImageManifest): void {
  const id = typeof manifest.backupId === 'string' ? manifest.backupId : '(no backup ID)';
  const bad = (message: string): TesseraError =>
    new TesseraError('BAD_REQUEST', `Image manifest ${id}: ${message}`);
  if (manifest.format !== 'tessera-image' || manifest.version !== 1)
    throw bad(`not a version 1 tessera-image manifest`);
  if (!BACKUP_ID_PATTERN.test(manifest.backupId))
    throw bad('the backup ID is not of the form <client>_<unix seconds>');
  if (!CLIENT_NAME_PATTERN.test(manifest.client) || !id.startsWith(`${manifest.client}_`))
    throw bad(`the client ${JSON.stringify(manifest.client)} does not match the backup ID`);
  if (manifest.kind !== 'full' && manifest.kind !== 'accelerator')
    throw bad(`unknown image kind ${JSON.stringify(manifest.kind)}`);
  const count = (what: string, value: number): void => {
    if (!Number.isSafeInteger(value) || value < 0)
      throw bad(`${what} must be a whole number from 0 up, not ${String(value)}`);
  };
  count('createdAt', manifest.createdAt);
  if (manifest.expiresAt !== null) count('expiresAt', manifest.expiresAt);
  const positions = new Set<number>();
  const keys = new Set<string>();
  for (const disk of manifest.disks) {
    count('a disk position', disk.position);
    if (positions.has(disk.position)) throw bad(`two disks at position ${disk.position}`);
    positions.add(disk.position);
    if (typeof disk.diskKey !== 'string' || disk.diskKey === '')
      throw bad(`the disk at position ${disk.position} has no disk key`);
    if (keys.has(disk.diskKey)) throw bad(`disk ${disk.diskKey} appears twice`);
    keys.add(disk.diskKey);
    const where = `disk ${disk.position}`;
    count(`${where} virtualSize`, disk.virtualSize);
    count(`${where} blockCount`, disk.blockCount);
    if (!Number.isSafeInteger(disk.blockSize) || disk.blockSize <= 0)
      throw bad(`${where} blockSize must be positive, not ${String(disk.blockSize)}`);
    for (const [key, value] of Object.entries(disk.stats)) count(`${where} ${key}`, value);
  }
}
