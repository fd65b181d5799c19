/**
 * Rows the catalog returns. Field names are camelCase; sizes and counts are plain numbers
 * (every size Tessera handles fits in 2^53). Image times are Unix seconds, as in the image
 * manifests; job, log, source and schedule-run times are Unix milliseconds. Policies and
 * inventory sources are returned as the shared contract types (shared/policy.ts,
 * shared/inventory.ts).
 */
import type { JobLogEntry, LogLevel } from '../../../shared/jobs.js';

export type { ImageDiskRow, ImageKind, ImageRow } from '../../../shared/images.js';

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

export const LOG_LEVELS = ['info', 'warning', 'error'] as const satisfies readonly LogLevel[];
export type { LogLevel };

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

/** A job log line (the shared contract's JobLogEntry). */
export type JobLogRow = JobLogEntry;

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
