/**
 * The app's API, written once: every request the renderer may make (with the zod schema the
 * main process validates it against), the result it gets, and the events pushed to it. The
 * Electron IPC bridge and the headless console's HTTP + WebSocket server both carry exactly
 * this contract, so the renderer talks to one {@link ApiClient} and never knows which
 * transport is underneath.
 *
 * Requests are validated where they enter the main process; results come from the engine and
 * are trusted. Errors cross as {@link ApiErrorBody}: the engine's error code, a message a
 * person can act on and, where a status code applies, its remedy.
 */
import { z } from 'zod';
import type { ErrorCode } from './errors.js';
import type { HostConfig } from './hosts.js';
import { MAX_HOSTS, MAX_STREAMS_PER_HOST } from './hosts.js';
import type { GcReport, ImageRow, StorageSummary, VerifyReport } from './images.js';
import type { InventoryScan, InventorySource, InventoryVm, SourceProblem } from './inventory.js';
import type { JobEvent, JobInfo, JobLogEntry } from './jobs.js';
import { newSourceSchema, policySchema, vmSelectionSchema, type Policy } from './policy.js';
import { vmRestoreRequestSchema, type RestoreEdits, type RestorePlan } from './restore.js';

// --- results ------------------------------------------------------------------------------

export interface AppInfo {
  readonly version: string;
  readonly dataDir: string;
  readonly storeDir: string;
  /** 'desktop' inside Electron, 'console' in the headless console. */
  readonly shell: 'desktop' | 'console';
  /** No inventory source and no image yet: the UI offers the sample VM. */
  readonly firstRun: boolean;
  /** Where the sample VM is created (inside the data directory). */
  readonly sampleDir: string;
  /**
   * Desktop shell only: where restores are staged to be dragged out to the file manager
   * (`<dataDir>/drag-staging`). The renderer restores into a fresh folder inside it; the main
   * process starts a native drag only for files and folders inside it, and removes what was
   * staged there when it is a day old and when the app quits. Absent in the console.
   */
  readonly stagingDir?: string;
}

/** The staging folder's name inside the data directory (see {@link AppInfo.stagingDir}). */
export const DRAG_STAGING_FOLDER = 'drag-staging';

/** One VM's protection on the Dashboard. */
export interface ProtectedVm {
  readonly id: string;
  readonly name: string;
  readonly sourceName: string;
  readonly diskCount: number;
  /** Sum of the disks' virtual sizes (disks that cannot be opened count 0). */
  readonly sizeBytes: number;
  /** The newest image of this VM; null when it was never backed up. */
  readonly lastImage: {
    readonly backupId: string;
    /** Unix seconds. */
    readonly createdAt: number;
    readonly kind: 'full' | 'accelerator';
  } | null;
  /** The newest backup attempt of this VM (a compound job), successful or not. */
  readonly lastAttempt: {
    readonly jobId: number;
    readonly statusCode: number;
    /** Unix milliseconds. */
    readonly endedAt: number;
    readonly message: string | null;
  } | null;
  /** A compound job backing this VM up right now. */
  readonly runningJobId: number | null;
}

export interface UpcomingRun {
  readonly policy: string;
  readonly schedule: string;
  /** Unix milliseconds. */
  readonly at: number;
}

export interface Dashboard {
  readonly vms: readonly ProtectedVm[];
  readonly storage: StorageSummary;
  readonly upcoming: readonly UpcomingRun[];
  /** Top-level jobs running now. */
  readonly running: readonly JobInfo[];
  readonly problems: readonly SourceProblem[];
}

export interface JobTree {
  readonly job: JobInfo;
  readonly children: readonly JobInfo[];
}

/** The VMs a selection picks, or where its query does not parse. */
export type SelectionPreview =
  | { readonly ok: true; readonly vms: readonly InventoryVm[] }
  | {
      readonly ok: false;
      /** The whole message, with line and column. */
      readonly message: string;
      /** The problem without its location, for an editor that marks the span itself. */
      readonly reason: string;
      /** Character offset and length of the offending span in the query. */
      readonly position: number;
      readonly length: number;
    };

export interface HostSettings extends HostConfig {
  /** What tessera.conf's absence gives on this machine. */
  readonly defaults: HostConfig;
  readonly cores: number;
  readonly configFile: string;
}

export interface DirectoryEntry {
  readonly name: string;
  readonly kind: 'directory' | 'file';
  /** Bytes (files only). */
  readonly size: number | null;
}

export interface DirectoryListing {
  /** Absolute, normalised. */
  readonly path: string;
  /** Null at the file system root. */
  readonly parent: string | null;
  readonly entries: readonly DirectoryEntry[];
}

export interface SampleVm {
  readonly source: InventorySource;
  readonly name: string;
  readonly folder: string;
  readonly diskPath: string;
}

// --- requests -----------------------------------------------------------------------------

const none = z.object({}).strict();
const positiveId = z.number().int().positive();
const backupIds = z.array(z.string().min(1)).min(1).optional();

/** Declares one method: its request schema and (by type only) its result. */
function method<Result>() {
  return <Params extends z.ZodType>(params: Params) => ({
    params,
    // Only the type matters: results come from the engine, which the main process trusts.
    result: undefined as unknown as Result,
  });
}

export const API = {
  'app.info': method<AppInfo>()(none),
  'dashboard.get': method<Dashboard>()(none),

  'inventory.sources': method<InventorySource[]>()(none),
  'inventory.addSource': method<InventorySource>()(newSourceSchema),
  'inventory.removeSource': method<{ removed: boolean }>()(z.object({ id: positiveId }).strict()),
  /** The last scan (or a first one); `rescan` walks the sources again. */
  'inventory.get': method<InventoryScan>()(z.object({ rescan: z.boolean().optional() }).strict()),
  'inventory.createSample': method<SampleVm>()(none),

  'policies.list': method<Policy[]>()(none),
  'policies.get': method<Policy>()(z.object({ name: z.string().min(1) }).strict()),
  /** `create` fails if the name is taken, `replace` if it is not; `upsert` does either. */
  'policies.save': method<Policy>()(
    z.object({ policy: policySchema, mode: z.enum(['create', 'replace', 'upsert']) }).strict(),
  ),
  'policies.delete': method<{ deleted: boolean }>()(z.object({ name: z.string().min(1) }).strict()),
  'policies.preview': method<SelectionPreview>()(
    z.object({ selection: vmSelectionSchema }).strict(),
  ),

  /** Starts a policy's compound job; resolves once the job exists. */
  'jobs.run': method<{ jobId: number }>()(
    z.object({ policy: z.string().min(1), full: z.boolean().optional() }).strict(),
  ),
  /** A one-click backup of some VMs (by inventory ID), or of every VM when none are named. */
  'jobs.backupNow': method<{ jobId: number }>()(
    z.object({ vmIds: z.array(z.string().min(1)).min(1).optional() }).strict(),
  ),
  'jobs.list': method<JobInfo[]>()(
    z
      .object({
        limit: z.number().int().min(1).max(1000).optional(),
        policy: z.string().min(1).optional(),
      })
      .strict(),
  ),
  'jobs.get': method<JobTree>()(z.object({ id: positiveId }).strict()),
  'jobs.log': method<JobLogEntry[]>()(z.object({ id: positiveId }).strict()),
  /** False when the job is not running. */
  'jobs.cancel': method<{ cancelled: boolean }>()(z.object({ id: positiveId }).strict()),

  'schedules.upcoming': method<UpcomingRun[]>()(
    z.object({ limit: z.number().int().min(1).max(100).optional() }).strict(),
  ),

  'images.list': method<ImageRow[]>()(z.object({ client: z.string().min(1).optional() }).strict()),

  /** What a whole-VM restore would read and write, or why it would not (writes nothing). */
  'restore.plan': method<RestorePlan>()(vmRestoreRequestSchema),
  /** Starts a whole-VM restore as a 'restore' job; its end detail holds the maintenance notes. */
  'restore.start': method<{ jobId: number }>()(vmRestoreRequestSchema),
  /** The edits an nbrestorevm-style rename file makes (a bad line is a BAD_REQUEST naming it). */
  'restore.parseRenameFile': method<RestoreEdits>()(
    z.object({ text: z.string().max(65536) }).strict(),
  ),

  'storage.summary': method<StorageSummary>()(none),
  'storage.verify': method<VerifyReport[]>()(z.object({ backupIds }).strict()),
  'storage.gc': method<GcReport>()(none),
  'storage.expire': method<{ expired: string[] }>()(z.object({ backupIds }).strict()),

  'hosts.get': method<HostSettings>()(none),
  'hosts.set': method<HostSettings>()(
    z
      .object({
        hosts: z.number().int().min(1).max(MAX_HOSTS).optional(),
        streamsPerHost: z.number().int().min(1).max(MAX_STREAMS_PER_HOST).optional(),
      })
      .strict(),
  ),

  /** A folder's entries, for picking folders and disks where no native dialog exists. */
  'fs.list': method<DirectoryListing>()(z.object({ path: z.string().min(1).optional() }).strict()),
} as const;

export type ApiMethod = keyof typeof API;
export const API_METHODS = Object.keys(API) as ApiMethod[];

/** What a caller passes (before defaults and validation). */
export type ApiParams<M extends ApiMethod> = z.input<(typeof API)[M]['params']>;
/** What the main process hands the handler (after validation). */
export type ApiValidParams<M extends ApiMethod> = z.output<(typeof API)[M]['params']>;
export type ApiResult<M extends ApiMethod> = (typeof API)[M]['result'];

export function isApiMethod(name: string): name is ApiMethod {
  return Object.hasOwn(API, name);
}

// --- events -------------------------------------------------------------------------------

export type ApiEvent =
  | JobEvent
  | { readonly type: 'inventory-changed' }
  | { readonly type: 'policies-changed' }
  | { readonly type: 'hosts-changed' };

export type ApiEventListener = (event: ApiEvent) => void;

// --- errors -------------------------------------------------------------------------------

/** Codes of the transport itself, beside the engine's ErrorCode. */
export type ApiTransportCode = 'UNAUTHORIZED' | 'UNKNOWN_METHOD' | 'INTERNAL' | 'UNREACHABLE';

export interface ApiErrorBody {
  readonly code: ErrorCode | ApiTransportCode;
  readonly message: string;
  /** What to do about it, where a status code or the error kind says. */
  readonly remedy?: string;
  /** For a VM query: where in the query the problem is. */
  readonly position?: number;
  readonly length?: number;
}

/** What a failed call rejects with on the renderer's side, whatever the transport. */
export class ApiCallError extends Error {
  override readonly name = 'ApiCallError';
  readonly code: ApiErrorBody['code'];
  readonly remedy: string | undefined;

  constructor(readonly body: ApiErrorBody) {
    super(body.message);
    this.code = body.code;
    this.remedy = body.remedy;
  }
}

export const apiErrorBodySchema = z.object({
  code: z.string(),
  message: z.string(),
  remedy: z.string().optional(),
  position: z.number().optional(),
  length: z.number().optional(),
});

// --- the client ---------------------------------------------------------------------------

/** The one interface the renderer uses; IPC and HTTP + WebSocket both implement it. */
export interface ApiClient {
  call<M extends ApiMethod>(method: M, params: ApiParams<M>): Promise<ApiResult<M>>;
  /** Pushed events; returns the unsubscribe function. */
  subscribe(listener: ApiEventListener): () => void;
}

/** What the preload script exposes as `window.tessera` inside Electron. */
export interface DesktopBridge {
  /** One named function per API method (never a raw IPC channel). */
  readonly api: { readonly [M in ApiMethod]: (params: ApiParams<M>) => Promise<ApiEnvelope<M>> };
  onEvent(listener: ApiEventListener): () => void;
  /** Native dialogs; null when the user cancels. */
  pickFolder(title?: string): Promise<string | null>;
  pickDiskFile(title?: string): Promise<string | null>;
  /**
   * Drag-out: hands files or folders staged under {@link AppInfo.stagingDir} to the operating
   * system as a native drag (the file manager copies or moves them where they are dropped).
   * Call it from a dragstart handler, after preventDefault(). Fire and forget: the main
   * process checks the sender and every path (inside the staging folder, existing, no link
   * leading out) and simply starts no drag when one fails.
   */
  startDrag(paths: readonly string[]): void;
}

/** IPC cannot carry error fields faithfully, so results travel wrapped. */
export type ApiEnvelope<M extends ApiMethod> =
  | { readonly ok: true; readonly result: ApiResult<M> }
  | { readonly ok: false; readonly error: ApiErrorBody };

/** The HTTP paths of the headless console. */
export const HTTP_API_PREFIX = '/api/';
export const EVENTS_PATH = '/events';
export const TOKEN_PARAM = 'token';
