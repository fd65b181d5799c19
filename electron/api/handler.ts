/**
 * The main process's side of the API: each request is checked against its schema in
 * shared/api.ts, then handed to the engine's service. Electron's IPC and the headless
 * console's HTTP server both call {@link ApiHandler.handle}, so the two transports cannot
 * drift apart.
 */
import os from 'node:os';
import path from 'node:path';
import {
  API,
  DRAG_STAGING_FOLDER,
  isApiMethod,
  type ApiEnvelope,
  type ApiEventListener,
  type ApiMethod,
  type ApiResult,
  type ApiValidParams,
  type HostSettings,
} from '../../shared/api.js';
import { describeIssues } from '../../shared/policy.js';
import { VmQueryError } from '../../shared/vm-query.js';
import { defaultHostConfig } from '../engine/hosts/host-config.js';
import { parseRenameFile, renameEdits } from '../engine/restore/rename-file.js';
import type { TesseraService } from '../engine/service.js';
import { toApiError } from './api-errors.js';
import { listDirectory } from './directory-listing.js';

export interface ApiHandlerOptions {
  readonly shell: 'desktop' | 'console';
  readonly version: string;
  /** Where errors that are Tessera's own bugs are logged (default console.error). */
  readonly logInternal?: (error: unknown) => void;
}

export interface ApiHandler {
  /** Never throws: a failure comes back as `{ ok: false, error }`. */
  handle(method: string, params: unknown): Promise<ApiEnvelope<ApiMethod>>;
  subscribe(listener: ApiEventListener): () => void;
}

type Implementations = {
  readonly [M in ApiMethod]: (params: ApiValidParams<M>) => Promise<ApiResult<M>> | ApiResult<M>;
};

function implement(service: TesseraService, options: ApiHandlerOptions): Implementations {
  const hostSettings = (): HostSettings => ({
    ...service.getHostConfig(),
    defaults: defaultHostConfig(),
    cores: os.availableParallelism(),
    configFile: service.configFile,
  });
  return {
    'app.info': () => ({
      version: options.version,
      dataDir: service.dataDir,
      storeDir: service.store.dir,
      shell: options.shell,
      // Image counts per client come from SQL: no need to load every image with its disks.
      firstRun:
        service.listSources().length === 0 &&
        service.catalog.listClients().every((client) => client.imageCount === 0),
      sampleDir: service.sampleDir,
      // Only the desktop shell can drag out to the file manager (webContents.startDrag).
      ...(options.shell === 'desktop'
        ? { stagingDir: path.join(service.dataDir, DRAG_STAGING_FOLDER) }
        : {}),
    }),
    'dashboard.get': () => service.dashboard(),

    'inventory.sources': () => service.listSources(),
    'inventory.addSource': (source) => service.addSource(source),
    'inventory.removeSource': ({ id }) => ({ removed: service.removeSource(id) }),
    'inventory.get': ({ rescan }) => (rescan ? service.scanInventory() : service.inventory()),
    'inventory.createSample': () => service.createSampleVm(),

    'policies.list': () => service.listPolicies(),
    'policies.get': ({ name }) => service.getPolicy(name),
    'policies.save': ({ policy, mode }) =>
      service.savePolicy(policy, {
        create: mode === 'create',
        replace: mode === 'replace',
      }),
    'policies.delete': ({ name }) => ({ deleted: service.deletePolicy(name) }),
    'policies.preview': async ({ selection }) => {
      try {
        return { ok: true, vms: await service.previewSelection(selection) };
      } catch (error) {
        if (!(error instanceof VmQueryError)) throw error;
        const { message, reason, position, length } = error;
        return { ok: false, message, reason, position, length };
      }
    },

    'jobs.run': ({ policy, full }) => ({ jobId: service.runPolicy(policy, { full }).jobId }),
    'jobs.backupNow': async ({ vmIds }) => ({ jobId: (await service.backupNow(vmIds)).jobId }),
    'jobs.list': (filter) => service.listJobs(filter),
    'jobs.get': ({ id }) => service.getJob(id),
    'jobs.log': ({ id }) => service.jobLog(id),
    'jobs.cancel': async ({ id }) => ({ cancelled: await service.cancelJob(id) }),

    'schedules.upcoming': ({ limit }) => service.upcomingRuns(limit),

    'images.list': (filter) => service.listImages(filter),

    'restore.plan': (request) => service.planRestore(request),
    'restore.start': async (request) => {
      const { jobId, done } = await service.startRestore(request);
      // The job records how it ended (status, log); nobody here waits for the result.
      done.catch(() => undefined);
      return { jobId };
    },
    'restore.parseRenameFile': ({ text }) => renameEdits(parseRenameFile(text)),

    'storage.summary': () => service.storageSummary(),
    'storage.verify': ({ backupIds }) => service.verify(backupIds),
    'storage.gc': () => service.collectGarbage(),
    'storage.expire': async ({ backupIds }) => ({
      expired: [...(await service.expire(backupIds))],
    }),

    'hosts.get': hostSettings,
    'hosts.set': async (change) => {
      await service.setHostConfig(change);
      return hostSettings();
    },

    'fs.list': ({ path }) => listDirectory(path),
  };
}

export function createApiHandler(service: TesseraService, options: ApiHandlerOptions): ApiHandler {
  const implementations = implement(service, options);
  return {
    async handle(method, params) {
      if (!isApiMethod(method)) {
        return {
          ok: false,
          error: { code: 'UNKNOWN_METHOD', message: `no API method "${method}"` },
        };
      }
      const parsed = API[method].params.safeParse(params ?? {});
      if (!parsed.success) {
        return {
          ok: false,
          error: { code: 'BAD_REQUEST', message: `${method}: ${describeIssues(parsed.error)}` },
        };
      }
      try {
        const run = implementations[method] as (params: unknown) => unknown;
        return { ok: true, result: (await run(parsed.data)) as ApiResult<ApiMethod> };
      } catch (error) {
        return { ok: false, error: toApiError(error, options.logInternal) };
      }
    },
    subscribe: (listener) => service.subscribe(listener),
  };
}
