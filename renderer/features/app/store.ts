import { create } from 'zustand';
import type { ApiCallError, AppInfo } from '../../../shared/api';
import { api } from '../../api/client';
import type { ConnectionState } from '../../api/types';
import { asApiError } from '../../lib/errors';
import type { ScreenId } from './router';

export type ToastKind = 'error' | 'warning' | 'success' | 'info';

export interface Toast {
  readonly id: number;
  readonly kind: ToastKind;
  readonly title: string;
  readonly message?: string;
  readonly remedy?: string;
  /** An in-app link, e.g. to the Activity Monitor for a job. */
  readonly link?: { readonly label: string; readonly screen: ScreenId; readonly item?: string };
}

/** Errors stay until dismissed (they need reading); the rest go after a while. */
const TOAST_LIFETIME_MS = 8000;
const MAX_TOASTS = 5;

interface AppState {
  readonly info: AppInfo | null;
  readonly infoError: ApiCallError | null;
  readonly connection: ConnectionState;
  readonly toasts: readonly Toast[];
  loadInfo(): Promise<void>;
  setConnection(state: ConnectionState): void;
  notify(toast: Omit<Toast, 'id'>): void;
  dismiss(id: number): void;
}

let nextToastId = 1;

export const useApp = create<AppState>()((set, get) => ({
  info: null,
  infoError: null,
  connection: 'connecting',
  toasts: [],

  async loadInfo() {
    try {
      const info = await api().call('app.info', {});
      set({ info, infoError: null });
    } catch (error) {
      set({ infoError: asApiError(error) });
    }
  },

  setConnection(connection) {
    set({ connection });
  },

  notify(toast) {
    const id = nextToastId++;
    set({ toasts: [...get().toasts, { ...toast, id }].slice(-MAX_TOASTS) });
    if (toast.kind !== 'error') window.setTimeout(() => get().dismiss(id), TOAST_LIFETIME_MS);
  },

  dismiss(id) {
    set({ toasts: get().toasts.filter((toast) => toast.id !== id) });
  },
}));

/** Shows a failed call as a toast: its message and, when the server gave one, its remedy. */
export function notifyError(title: string, error: unknown): void {
  const apiError = asApiError(error);
  // The full-page message already says it; a toast per failed call would only add noise.
  if (apiError.code === 'UNAUTHORIZED') return;
  useApp.getState().notify({
    kind: 'error',
    title,
    message: apiError.message,
    ...(apiError.remedy ? { remedy: apiError.remedy } : {}),
  });
}
