import { create } from 'zustand';
import type { ApiCallError, SampleVm } from '../../../shared/api';
import type { InventoryScan, InventorySource } from '../../../shared/inventory';
import type { NewSource } from '../../../shared/policy';
import { api } from '../../api/client';
import { latestOnly } from '../../lib/coalesce';
import { asApiError } from '../../lib/errors';
import { notifyError, useApp } from '../app/store';

interface InventoryState {
  readonly sources: readonly InventorySource[] | null;
  readonly scan: InventoryScan | null;
  readonly error: ApiCallError | null;
  readonly scanning: boolean;
  load(): Promise<void>;
  refreshIfLoaded(): void;
  rescan(): Promise<void>;
  /** Resolves to the error to show beside the form, or null when the source was added. */
  addSource(source: NewSource): Promise<ApiCallError | null>;
  removeSource(source: InventorySource): Promise<void>;
  createSample(): Promise<SampleVm | null>;
}

const ticket = latestOnly();

export const useInventory = create<InventoryState>()((set, get) => ({
  sources: null,
  scan: null,
  error: null,
  scanning: false,

  async load() {
    const isLatest = ticket();
    try {
      const [sources, scan] = await Promise.all([
        api().call('inventory.sources', {}),
        api().call('inventory.get', {}),
      ]);
      if (isLatest()) set({ sources, scan, error: null });
    } catch (error) {
      if (isLatest()) set({ error: asApiError(error) });
    }
  },

  refreshIfLoaded() {
    if (get().sources !== null || get().error !== null) void get().load();
  },

  async rescan() {
    set({ scanning: true });
    const isLatest = ticket();
    try {
      const [sources, scan] = await Promise.all([
        api().call('inventory.sources', {}),
        api().call('inventory.get', { rescan: true }),
      ]);
      if (isLatest()) set({ sources, scan, error: null });
    } catch (error) {
      notifyError('The rescan failed', error);
    } finally {
      set({ scanning: false });
    }
  },

  async addSource(source) {
    try {
      const added = await api().call('inventory.addSource', source);
      useApp.getState().notify({ kind: 'success', title: `Source "${added.name}" added` });
      await get().rescan();
      return null;
    } catch (error) {
      return asApiError(error);
    }
  },

  async removeSource(source) {
    try {
      await api().call('inventory.removeSource', { id: source.id });
      useApp.getState().notify({ kind: 'success', title: `Source "${source.name}" removed` });
      await get().load();
    } catch (error) {
      notifyError(`Source "${source.name}" was not removed`, error);
    }
  },

  async createSample() {
    try {
      const sample = await api().call('inventory.createSample', {});
      useApp.getState().notify({ kind: 'success', title: `Sample VM "${sample.name}" created` });
      void get().load();
      return sample;
    } catch (error) {
      notifyError('The sample VM was not created', error);
      return null;
    }
  },
}));
