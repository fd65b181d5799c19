import { create } from 'zustand';
import type { ApiCallError } from '../../../shared/api';
import type { Policy } from '../../../shared/policy';
import { api } from '../../api/client';
import { latestOnly } from '../../lib/coalesce';
import { asApiError } from '../../lib/errors';
import { notifyError, useApp } from '../app/store';

interface PoliciesState {
  readonly policies: readonly Policy[] | null;
  readonly error: ApiCallError | null;
  load(): Promise<void>;
  refreshIfLoaded(): void;
  /** Resolves to the server's error, or null when saved. */
  save(policy: Policy, mode: 'create' | 'replace'): Promise<ApiCallError | null>;
  remove(name: string): Promise<boolean>;
  /** Starts the policy's compound job; resolves to its ID, null when it did not start. */
  runNow(name: string): Promise<number | null>;
}

const ticket = latestOnly();

export const usePolicies = create<PoliciesState>()((set, get) => ({
  policies: null,
  error: null,

  async load() {
    const isLatest = ticket();
    try {
      const policies = await api().call('policies.list', {});
      if (isLatest()) set({ policies, error: null });
    } catch (error) {
      if (isLatest()) set({ error: asApiError(error) });
    }
  },

  refreshIfLoaded() {
    if (get().policies !== null || get().error !== null) void get().load();
  },

  async save(policy, mode) {
    try {
      const saved = await api().call('policies.save', { policy, mode });
      useApp.getState().notify({ kind: 'success', title: `Policy "${saved.name}" saved` });
      await get().load();
      return null;
    } catch (error) {
      return asApiError(error);
    }
  },

  async remove(name) {
    try {
      await api().call('policies.delete', { name });
      useApp.getState().notify({ kind: 'success', title: `Policy "${name}" deleted` });
      await get().load();
      return true;
    } catch (error) {
      notifyError(`Policy "${name}" was not deleted`, error);
      return false;
    }
  },

  async runNow(name) {
    try {
      const { jobId } = await api().call('jobs.run', { policy: name });
      useApp.getState().notify({
        kind: 'info',
        title: `Policy "${name}" started as job ${jobId}`,
        link: { label: 'Open in Activity Monitor', screen: 'activity', item: String(jobId) },
      });
      return jobId;
    } catch (error) {
      notifyError(`Policy "${name}" did not start`, error);
      return null;
    }
  },
}));
