import { create } from 'zustand';
import type { ApiCallError, Dashboard, SampleVm } from '../../../shared/api';
import { api } from '../../api/client';
import { latestOnly } from '../../lib/coalesce';
import { asApiError } from '../../lib/errors';
import { notifyError, useApp } from '../app/store';

interface DashboardState {
  readonly dashboard: Dashboard | null;
  readonly error: ApiCallError | null;
  readonly loading: boolean;
  /** VM IDs (or 'all') whose "Back up now" request is on its way, to disable the buttons. */
  readonly starting: ReadonlySet<string>;
  /**
   * The first-run walkthrough: the sample VM once created, and the job that backed it up.
   * Kept here, not in the panel, so it survives the panel's re-renders and screen changes.
   */
  readonly welcome: { readonly sample: SampleVm | null; readonly jobId: number | null };
  readonly welcomeDismissed: boolean;
  setWelcome(welcome: { sample: SampleVm | null; jobId: number | null }): void;
  dismissWelcome(): void;
  load(): Promise<void>;
  /** Refetches only when the Dashboard was shown once: events must not load unseen screens. */
  refreshIfLoaded(): void;
  /** Starts a backup of some VMs (or all); resolves to the job ID, null when it failed. */
  backupNow(vmIds?: readonly string[]): Promise<number | null>;
}

const ticket = latestOnly();
export const ALL_VMS = 'all';

export const useDashboard = create<DashboardState>()((set, get) => ({
  dashboard: null,
  error: null,
  loading: false,
  starting: new Set(),
  welcome: { sample: null, jobId: null },
  welcomeDismissed: false,

  setWelcome(welcome) {
    set({ welcome });
  },

  dismissWelcome() {
    set({ welcomeDismissed: true });
  },

  async load() {
    const isLatest = ticket();
    set({ loading: true });
    try {
      const dashboard = await api().call('dashboard.get', {});
      if (isLatest()) set({ dashboard, error: null, loading: false });
    } catch (error) {
      if (isLatest()) set({ error: asApiError(error), loading: false });
    }
  },

  refreshIfLoaded() {
    if (get().dashboard !== null || get().error !== null) void get().load();
  },

  async backupNow(vmIds) {
    set({ starting: new Set([...get().starting, ...(vmIds ?? [ALL_VMS])]) });
    try {
      const { jobId } = await api().call('jobs.backupNow', vmIds ? { vmIds: [...vmIds] } : {});
      useApp.getState().notify({
        kind: 'info',
        title: `Backup job ${jobId} started`,
        link: { label: 'Open in Activity Monitor', screen: 'activity', item: String(jobId) },
      });
      void get().load();
      return jobId;
    } catch (error) {
      notifyError('The backup did not start', error);
      return null;
    } finally {
      const starting = new Set(get().starting);
      for (const id of vmIds ?? [ALL_VMS]) starting.delete(id);
      set({ starting });
    }
  },
}));
