import type { ApiEvent } from '../../../shared/api';
import type { JobInfo } from '../../../shared/jobs';
import { statusOf } from '../../../shared/status-codes';
import type { RendererClient } from '../../api/types';
import { coalesce } from '../../lib/coalesce';
import { jobTitle } from '../activity/job-labels';
import { useActivity } from '../activity/store';
import { useDashboard } from '../dashboard/store';
import { useHosts } from '../hosts/store';
import { useInventory } from '../inventory/store';
import { usePolicies } from '../policies/store';
import { useRestore } from '../restore/store';
import { useStorage } from '../storage/store';
import { useApp, type ToastKind } from './store';

/** Events come in bursts; each store refetches at most this often. */
const REFETCH_MS = 300;
const LOG_REFETCH_MS = 500;

const refetch = {
  dashboard: coalesce(() => useDashboard.getState().refreshIfLoaded(), REFETCH_MS),
  jobs: coalesce(() => {
    if (useActivity.getState().jobs !== null) void useActivity.getState().loadJobs();
  }, REFETCH_MS),
  tree: coalesce(() => void useActivity.getState().loadTree(), REFETCH_MS),
  log: coalesce(() => void useActivity.getState().loadLog(), LOG_REFETCH_MS),
  storage: coalesce(() => useStorage.getState().refreshIfLoaded(), REFETCH_MS),
  restore: coalesce(() => useRestore.getState().refreshIfLoaded(), REFETCH_MS),
  restoreJob: coalesce(() => void useRestore.getState().loadJob(), REFETCH_MS),
  inventory: coalesce(() => useInventory.getState().refreshIfLoaded(), REFETCH_MS),
  policies: coalesce(() => usePolicies.getState().refreshIfLoaded(), REFETCH_MS),
  hosts: coalesce(() => useHosts.getState().refreshIfLoaded(), REFETCH_MS),
  info: coalesce(() => void useApp.getState().loadInfo(), REFETCH_MS),
};

const TOAST_KIND: Readonly<Record<'ok' | 'partial' | 'failed', ToastKind>> = {
  ok: 'success',
  partial: 'warning',
  failed: 'error',
};

/** A top-level job's end deserves a toast; its children's ends are visible in the tree. */
function announceEnd(job: JobInfo): void {
  if (job.parentId !== null || job.statusCode === null) return;
  const status = statusOf(job.statusCode);
  useApp.getState().notify({
    // A cancel was asked for: worth a note, not an alarm.
    kind: job.state === 'cancelled' ? 'info' : TOAST_KIND[status.severity],
    title: `${jobTitle(job)} ended: status ${status.code}`,
    message: status.message,
    ...(status.severity !== 'ok' ? { remedy: status.remedy } : {}),
    link: { label: 'Open in Activity Monitor', screen: 'activity', item: String(job.id) },
  });
}

function onEvent(event: ApiEvent): void {
  const activity = useActivity.getState();
  switch (event.type) {
    case 'job-progress':
      activity.applyProgress(event.progress);
      return;
    case 'job-log':
      if (activity.touchesSelected(event)) refetch.log();
      return;
    case 'job-started':
    case 'job-ended':
      if (event.type === 'job-ended') announceEnd(event.job);
      refetch.dashboard();
      refetch.jobs();
      refetch.storage();
      refetch.restore();
      // The Restore screen follows the restore it started to its result.
      if (event.job.id === useRestore.getState().jobId) refetch.restoreJob();
      if (activity.touchesSelected(event)) {
        refetch.tree();
        refetch.log();
      }
      // The first backup ends the first run: the welcome panel gives way to the Dashboard.
      if (event.type === 'job-ended' && useApp.getState().info?.firstRun) refetch.info();
      return;
    case 'inventory-changed':
      refetch.inventory();
      refetch.dashboard();
      if (useApp.getState().info?.firstRun) refetch.info();
      return;
    case 'policies-changed':
      refetch.policies();
      refetch.dashboard();
      return;
    case 'hosts-changed':
      refetch.hosts();
      return;
  }
}

/** After an outage every loaded store refetches: the events it missed are gone. */
function resyncEverything(): void {
  Object.values(refetch).forEach((run) => run());
  const activity = useActivity.getState();
  if (activity.selectedId !== null) refetch.tree();
}

/** Connects the client's events to the stores, once, at start-up. */
export function connectStores(client: RendererClient): void {
  useApp.getState().setConnection(client.connection);
  client.onConnection((state) => useApp.getState().setConnection(state));
  client.subscribe(onEvent);
  client.onResync(resyncEverything);
}
