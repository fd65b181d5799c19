/**
 * The catalog: an SQLite index of what the storage unit holds (clients, their disks, images
 * and per-image disk statistics), of what Tessera did (jobs and their log lines), and of
 * what it is asked to do (inventory sources, policies and when each schedule last ran). Image
 * rows are derived from image manifests only, so `replaceAll` can rebuild them from the
 * storage unit; everything else exists only here.
 *
 * This file holds the connection, its transactions and the public methods; the SQL and the
 * row conversions of each concern are in images.ts, jobs.ts, sources.ts and policies.ts.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { TesseraError } from '../../../shared/errors.js';
import type { InventorySource } from '../../../shared/inventory.js';
import type { NewSource, Policy } from '../../../shared/policy.js';
import type { ImageManifest } from '../store/manifest.js';
import { checkCount } from './columns.js';
import { toCatalogError } from './errors.js';
import { Images } from './images.js';
import { Jobs } from './jobs.js';
import { migrate, userVersion } from './migrations.js';
import { Policies } from './policies.js';
import { Sources } from './sources.js';
import type {
  ClientRow,
  ImageRow,
  JobDetail,
  JobEnd,
  JobLogRow,
  JobRow,
  ListJobsOptions,
  LogLevel,
  NewJob,
  SavePolicyOptions,
  SavePolicyResult,
} from './types.js';

export interface CatalogOptions {
  /** The clock for job, log, source and policy times, in Unix milliseconds (tests pin it). */
  readonly now?: () => number;
}

/** How long a connection waits for another one's write lock before giving up. */
export const BUSY_TIMEOUT_MS = 5000;

export class Catalog {
  readonly file: string;
  readonly #db: Database.Database;
  readonly #images: Images;
  readonly #jobs: Jobs;
  readonly #sources: Sources;
  readonly #policies: Policies;
  readonly #now: () => number;

  private constructor(file: string, db: Database.Database, now: () => number) {
    this.file = file;
    this.#db = db;
    this.#images = new Images(db);
    this.#jobs = new Jobs(db);
    this.#sources = new Sources(db);
    this.#policies = new Policies(db);
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
    this.#write(`Cannot record image ${manifest.backupId}`, () => this.#images.record(manifest));
  }

  /**
   * Rebuilds the image side of the catalog (clients, disks, images, per-image disks) from
   * the manifests alone, in one transaction: on any error nothing changes. Jobs and their
   * logs, sources, policies and schedule runs are kept. Returns how many distinct images
   * were recorded.
   */
  replaceAll(manifests: Iterable<ImageManifest>): { images: number } {
    return this.#write('Cannot rebuild the catalog', () => {
      this.#images.clear();
      // Oldest first, so surrogate ids come out in the same order on every rebuild.
      const sorted = [...manifests].sort(
        (a, b) =>
          a.createdAt - b.createdAt ||
          (a.backupId < b.backupId ? -1 : a.backupId > b.backupId ? 1 : 0),
      );
      let images = 0;
      for (const manifest of sorted) if (this.#images.record(manifest)) images += 1;
      return { images };
    });
  }

  /** The image with its disks, or null. */
  getImage(backupId: string): ImageRow | null {
    return this.#read(() => this.#images.get(backupId));
  }

  /** Images with their disks, newest first; only `filter.client`'s when given. */
  listImages(filter: { client?: string } = {}): ImageRow[] {
    return this.#read(() => this.#images.list(filter.client));
  }

  /** The newest image holding the disk (by creation time), or null: the next backup's base. */
  latestImageOfDisk(diskKey: string): { backupId: string; createdAt: number } | null {
    return this.#images.latestOfDisk(diskKey);
  }

  /** Every client, by name, with counts of its disks and images. */
  listClients(): ClientRow[] {
    return this.#images.clients();
  }

  /**
   * Removes the image and its per-disk rows (clients and disks stay). Returns false when
   * there was no such image.
   */
  deleteImage(backupId: string): boolean {
    return this.#write(`Cannot delete image ${backupId}`, () => this.#images.delete(backupId));
  }

  /** Backup IDs of images whose expiry time is at or before `nowSeconds`, soonest first. */
  expiredImages(nowSeconds: number): string[] {
    return this.#images.expired(nowSeconds);
  }

  /** Sets (Unix seconds) or clears (null) an image's expiry. */
  setExpiry(backupId: string, expiresAt: number | null): void {
    if (expiresAt !== null) checkCount(`expiry of ${backupId}`, expiresAt);
    const changed = this.#write(`Cannot set the expiry of image ${backupId}`, () =>
      this.#images.setExpiry(backupId, expiresAt),
    );
    if (!changed)
      throw new TesseraError('CATALOG_NOT_FOUND', `The catalog has no image ${backupId}`);
  }

  // --- jobs ------------------------------------------------------------------------------

  /**
   * Starts a job (state 'running', started now) and returns its id. CATALOG_NOT_FOUND for an
   * unknown parent; BAD_REQUEST for an unknown kind or a policy that is not a policy name.
   */
  createJob(job: NewJob): number {
    return this.#write(`Cannot create a ${job.kind} job`, () =>
      this.#jobs.create(job, this.#now()),
    );
  }

  /**
   * Ends a job with its final state and status code (now). CATALOG_NOT_FOUND for an unknown
   * job, CATALOG_CONFLICT for one that has already ended.
   */
  finishJob(id: number, end: JobEnd): void {
    this.#write(`Cannot finish job ${id}`, () => this.#jobs.finish(id, end, this.#now()));
  }

  /**
   * Ends every job still 'queued' or 'running' whose owning process is gone (`isAlive` says
   * no; by default every one) as 'failed' with `statusCode` (now), adding `message` to each
   * one's log as an error line; returns their ids, oldest first. For the jobs a process left
   * behind when it died; jobs record their process ID when created.
   */
  interruptRunningJobs(
    statusCode: number,
    message: string,
    isAlive: (pid: number) => boolean = () => false,
  ): number[] {
    return this.#write('Cannot mark interrupted jobs', () =>
      this.#jobs.interrupt(statusCode, message, this.#now(), isAlive),
    );
  }

  /**
   * Replaces a job's detail, whether it runs or has ended (live progress snapshots, totals
   * known late); null clears it. CATALOG_NOT_FOUND for an unknown job.
   */
  updateJobDetail(id: number, detail: JobDetail | null): void {
    this.#write(`Cannot update the detail of job ${id}`, () => this.#jobs.setDetail(id, detail));
  }

  /** Adds a line to a job's log, stamped now. */
  appendLog(jobId: number, level: LogLevel, message: string): void {
    this.#write(`Cannot log to job ${jobId}`, () =>
      this.#jobs.appendLog(jobId, level, message, this.#now()),
    );
  }

  getJob(id: number): JobRow | null {
    return this.#jobs.get(id);
  }

  /** Jobs, newest first, that match every filter given (see {@link ListJobsOptions}). */
  listJobs(options: ListJobsOptions = {}): JobRow[] {
    return this.#jobs.list(options);
  }

  /** The policy's top-level job that has not ended (running or queued), or null. */
  runningJobOfPolicy(policy: string): JobRow | null {
    return this.#jobs.runningOfPolicy(policy);
  }

  /** A job's log lines, oldest first. */
  jobLog(jobId: number): JobLogRow[] {
    return this.#jobs.log(jobId);
  }

  // --- inventory sources -----------------------------------------------------------------

  /**
   * Adds an inventory source, stamped now. Its path is stored absolute and normalised; its
   * name defaults to the path's base name, made unique with -2, -3, ... BAD_REQUEST for an
   * invalid source; CATALOG_CONFLICT for a kind and path already added, or a name in use.
   */
  addSource(source: NewSource): InventorySource {
    // Callers outside TypeScript may pass anything: Sources.add validates it.
    const which = typeof source?.path === 'string' ? ` ${source.path}` : '';
    return this.#write(`Cannot add the source${which}`, () =>
      this.#sources.add(source, this.#now()),
    );
  }

  /** Every inventory source, in the order they were added. */
  listSources(): InventorySource[] {
    return this.#sources.list();
  }

  /** The source with this id (a number) or name (a string), or null. */
  getSource(idOrName: number | string): InventorySource | null {
    return this.#sources.get(idOrName);
  }

  /** Removes the source with this id or name; false when there was none. */
  removeSource(idOrName: number | string): boolean {
    return this.#write(`Cannot remove the source ${String(idOrName)}`, () =>
      this.#sources.remove(idOrName),
    );
  }

  // --- policies and schedule runs --------------------------------------------------------

  /**
   * Validates and stores a policy: created when new, replaced otherwise (keeping the last
   * runs of the schedules it still has). `create` only creates (CATALOG_CONFLICT when it
   * exists), `replace` only replaces (CATALOG_NOT_FOUND when it does not). BAD_REQUEST,
   * listing zod's issues, for a policy that does not validate.
   */
  savePolicy(policy: Policy, options: SavePolicyOptions = {}): SavePolicyResult {
    // Callers outside TypeScript may pass anything: Policies.save validates it.
    const which = typeof policy?.name === 'string' ? ` "${policy.name}"` : '';
    return this.#write(`Cannot save the policy${which}`, () =>
      this.#policies.save(policy, options, this.#now()),
    );
  }

  /** The policy, validated again as it is read (CATALOG_CORRUPT names it), or null. */
  getPolicy(name: string): Policy | null {
    return this.#policies.get(name);
  }

  /** Every policy, by name, each validated again as it is read. */
  listPolicies(): Policy[] {
    return this.#policies.list();
  }

  /** Deletes the policy and its schedules' runs (its jobs stay); false when there was none. */
  deletePolicy(name: string): boolean {
    return this.#write(`Cannot delete the policy "${name}"`, () => this.#policies.delete(name));
  }

  /**
   * Records that a schedule of a policy started a run at `at` (Unix ms), replacing the
   * previous record. CATALOG_NOT_FOUND for an unknown policy.
   */
  recordScheduleRun(policy: string, schedule: string, at: number): void {
    this.#write(`Cannot record a run of schedule ${schedule} of policy "${policy}"`, () =>
      this.#policies.recordRun(policy, schedule, at),
    );
  }

  /** When the schedule last ran (Unix ms), or null if it never has. */
  lastScheduleRun(policy: string, schedule: string): number | null {
    return this.#policies.lastRun(policy, schedule);
  }

  // --- internals -------------------------------------------------------------------------

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
