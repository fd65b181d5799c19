import { create } from 'zustand';
import type { ApiCallError, HostSettings } from '../../../shared/api';
import type { HostConfig } from '../../../shared/hosts';
import { api } from '../../api/client';
import { latestOnly } from '../../lib/coalesce';
import { asApiError } from '../../lib/errors';
import { useApp } from '../app/store';

interface HostsState {
  readonly settings: HostSettings | null;
  readonly error: ApiCallError | null;
  load(): Promise<void>;
  refreshIfLoaded(): void;
  /** Resolves to the server's error, or null when saved. */
  save(change: Partial<HostConfig>): Promise<ApiCallError | null>;
}

const ticket = latestOnly();

export const useHosts = create<HostsState>()((set, get) => ({
  settings: null,
  error: null,

  async load() {
    const isLatest = ticket();
    try {
      const settings = await api().call('hosts.get', {});
      if (isLatest()) set({ settings, error: null });
    } catch (error) {
      if (isLatest()) set({ error: asApiError(error) });
    }
  },

  refreshIfLoaded() {
    if (get().settings !== null || get().error !== null) void get().load();
  },

  async save(change) {
    try {
      const settings = await api().call('hosts.set', change);
      ticket(); // a load in flight must not overwrite what was just saved
      set({ settings, error: null });
      useApp.getState().notify({ kind: 'success', title: 'Backup host settings saved' });
      return null;
    } catch (error) {
      return asApiError(error);
    }
  },
}));
