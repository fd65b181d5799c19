/**
 * Rows the catalog returns. Field names are camelCase; sizes and counts are plain numbers
 * (every size Tessera handles fits in 2^53). Image times are Unix seconds, as in the image
 * manifests; job, log, source and schedule-run times are Unix milliseconds. Policies and
 * inventory sources are returned as the shared contract types (shared/policy.ts,
 * shared/inventory.ts).
 */
import type { DiskFormat } from '../disk/types.js';
import type { ImageManifest, VmMetadata } from '../store/manifest.js';

export type ImageKind = ImageManifest['kind'];

/** One disk of one image: what the backup of that disk recorded. */
export interface ImageDiskRow {
  /** Position of the disk in the VM (0 = boot disk). */
  readonly position: number;
  readonly diskKey: string;
  /**
   * The disk's name, path, format and identity as of its newest recorded image (the catalog
   * keeps one row per disk); the image's own manifest holds the values of its day.
   */
  readonly name: string;
  readonly sourcePath: string;
  readonly sourceFormat: DiskFormat;
  readonly identity: string | null;
  /** Backup ID whose track log this disk's backup compared against; null for a full backup. */
  readonly previousBackupId: string | null;
  /** The disk's virtual size in this image. */
  readonly virtualSize: number;
  readonly blockSize: number;
  readonly blockCount: number;
  readonly forcedRescan: boolean;
  readonly bytesRead: number;
  readonly blocksChanged: number;
  readonly blocksUnchanged: number;
  readonly blocksZero: number;
  readonly bytesStored: number;
  readonly bytesDeduplicated: number;
  readonly bytesLinked: number;
}

export interface ImageRow {
  /** `<client>_<unix seconds>`. */
  readonly backupId: string;
  readonly client: string;
  /** Unix seconds. */
  readonly createdAt: number;
  readonly kind: ImageKind;
  readonly previousBackupId: string | null;
  /** Unix seconds after which the image may be expired; null keeps it until deleted. */
  readonly expiresAt: number | null;
  readonly vm: VmMetadata | null;
  readonly diskCount: number;
  /** Sums over the image's disks. */
  readonly bytesRead: number;
  readonly bytesStored: number;
  /** In position order. */
  readonly disks: readonly ImageDiskRow[];
}

export interface ClientRow {
  readonly name: string;
  /** Unix seconds of the client's oldest recorded image. */
  readonly createdAt: number;
  readonly diskCount: number;
  readonly imageCount: number;
  /** Unix seconds of the newest image; null when every image has been deleted. */
  readonly latestImageAt: number | null;
}

export const JOB_KINDS = [
  'backup',
  'restore',
  'verify',
  'expire',
  'gc',
  'discovery',
  'compound',
  /** One backup host's share of a compound job (a child of the 'compound' job). */
  'backup-host',
  'catalog-rebuild',
] as const;
export type JobKind = (typeof JOB_KINDS)[number];

export const JOB_STATES = ['queued', 'running', 'done', 'failed', 'cancelled'] as const;
export type JobState = (typeof JOB_STATES)[number];
/** The states a job ends in. */
export type FinalJobState = Exclude<JobState, 'queued' | 'running'>;

export const LOG_LEVELS = ['info', 'warning', 'error'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Free-form, JSON-serialisable facts about a job (options, totals, the failing disk...). */
export type JobDetail = Readonly<Record<string, unknown>>;

export interface JobRow {
  readonly id: number;
  /** The compound job this one is a child of; null for a top-level job. */
  readonly parentId: number | null;
  readonly kind: JobKind;
  readonly client: string | null;
  readonly backupId: string | null;
  readonly state: JobState;
  /** The job's status code once it has ended (0 = success); null while it runs. */
  readonly statusCode: number | null;
  /** Unix milliseconds. */
  readonly startedAt: number;
  /** Unix milliseconds; null while the job runs. */
  readonly endedAt: number | null;
  readonly detail: JobDetail | null;
  /** The policy the job runs for; null for a job started by hand. */
  readonly policy: string | null;
}

export interface JobLogRow {
  readonly id: number;
  readonly jobId: number;
  /** Unix milliseconds. */
  readonly at: number;
  readonly level: LogLevel;
  readonly message: string;
}

export interface NewJob {
  readonly kind: JobKind;
  readonly parentId?: number | null;
  readonly client?: string | null;
  readonly backupId?: string | null;
  readonly detail?: JobDetail | null;
  /** The policy the job runs for (a policy name); absent or null for none. */
  readonly policy?: string | null;
}

export interface JobEnd {
  readonly state: FinalJobState;
  readonly statusCode: number;
  /** Replaces the job's detail when given; the detail set at creation stays otherwise. */
  readonly detail?: JobDetail | null;
}

export interface ListJobsOptions {
  /** At most this many jobs (newest first). */
  readonly limit?: number;
  /** Only the children of this job; null for top-level jobs only; absent for every job. */
  readonly parentId?: number | null;
  /** Only jobs run for this policy. */
  readonly policy?: string;
  /** Only jobs in this state. */
  readonly state?: JobState;
}

export interface SavePolicyOptions {
  /** Only create: CATALOG_CONFLICT when a policy of that name exists. */
  readonly create?: boolean;
  /** Only replace: CATALOG_NOT_FOUND when no policy of that name exists. */
  readonly replace?: boolean;
}

/** What `Catalog.savePolicy` did. */
export type SavePolicyResult = 'created' | 'replaced';
