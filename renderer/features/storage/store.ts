import { create } from 'zustand';
import type { ApiCallError } from '../../../shared/api';
import type { GcReport, ImageRow, StorageSummary, VerifyReport } from '../../../shared/images';
import { api } from '../../api/client';
import { latestOnly } from '../../lib/coalesce';
import { asApiError } from '../../lib/errors';
import { notifyError, useApp } from '../app/store';

export type StorageTask = 'verify' | 'gc' | 'expire';

interface StorageState {
  readonly summary: StorageSummary | null;
  readonly images: readonly ImageRow[] | null;
  readonly error: ApiCallError | null;
  /** The maintenance task running now; the buttons wait for it. */
  readonly busy: StorageTask | null;
  readonly verifyReports: readonly VerifyReport[] | null;
  readonly gcReport: GcReport | null;
  readonly expired: readonly string[] | null;
  load(): Promise<void>;
  refreshIfLoaded(): void;
  /** Verifies the given images, or all of them. */
  verify(backupIds?: readonly string[]): Promise<void>;
  collectGarbage(): Promise<void>;
  /** Expires the given images, or every image past its retention. */
  expire(backupIds?: readonly string[]): Promise<void>;
}

const ticket = latestOnly();

export const useStorage = create<StorageState>()((set, get) => ({
  summary: null,
  images: null,
  error: null,
  busy: null,
  verifyReports: null,
  gcReport: null,
  expired: null,

  async load() {
    const isLatest = ticket();
    try {
      const [summary, images] = await Promise.all([
        api().call('storage.summary', {}),
        api().call('images.list', {}),
      ]);
      const newestFirst = [...images].sort((a, b) => b.createdAt - a.createdAt);
      if (isLatest()) set({ summary, images: newestFirst, error: null });
    } catch (error) {
      if (isLatest()) set({ error: asApiError(error) });
    }
  },

  refreshIfLoaded() {
    if (get().summary !== null || get().error !== null) void get().load();
  },

  async verify(backupIds) {
    set({ busy: 'verify', verifyReports: null });
    try {
      const reports = await api().call(
        'storage.verify',
        backupIds && backupIds.length > 0 ? { backupIds: [...backupIds] } : {},
      );
      set({ verifyReports: reports });
      const problems = reports.reduce((sum, report) => sum + report.problems.length, 0);
      useApp.getState().notify({
        kind: problems === 0 ? 'success' : 'warning',
        title:
          problems === 0
            ? `Verified ${reports.length} image(s): no problems`
            : `Verify found ${problems} problem(s)`,
      });
    } catch (error) {
      notifyError('Verify failed', error);
    } finally {
      set({ busy: null });
    }
  },

  async collectGarbage() {
    set({ busy: 'gc', gcReport: null });
    try {
      const gcReport = await api().call('storage.gc', {});
      set({ gcReport });
      void get().load();
    } catch (error) {
      notifyError('Garbage collection failed', error);
    } finally {
      set({ busy: null });
    }
  },

  async expire(backupIds) {
    set({ busy: 'expire', expired: null });
    try {
      const { expired } = await api().call(
        'storage.expire',
        backupIds && backupIds.length > 0 ? { backupIds: [...backupIds] } : {},
      );
      set({ expired });
      useApp.getState().notify({
        kind: 'success',
        title:
          expired.length === 0
            ? 'No image was due to expire'
            : `Expired ${expired.length} image(s)`,
      });
      void get().load();
    } catch (error) {
      notifyError('Expire failed', error);
    } finally {
      set({ busy: null });
    }
  },
}));
