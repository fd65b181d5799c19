import { create } from 'zustand';
import type { ApiCallError, JobTree } from '../../../shared/api';
import type { JobEvent, JobInfo, JobLogEntry, JobProgress } from '../../../shared/jobs';
import { api } from '../../api/client';
import { latestOnly } from '../../lib/coalesce';
import { asApiError } from '../../lib/errors';
import { notifyError } from '../app/store';

const JOBS_LIMIT = 200;

interface ActivityState {
  readonly jobs: readonly JobInfo[] | null;
  readonly jobsError: ApiCallError | null;
  readonly selectedId: number | null;
  readonly tree: JobTree | null;
  readonly treeError: ApiCallError | null;
  readonly log: readonly JobLogEntry[];
  /** The newest progress of every job heard of, parents and children, by job ID. */
  readonly progress: Readonly<Record<number, JobProgress>>;
  loadJobs(): Promise<void>;
  select(id: number | null): void;
  loadTree(): Promise<void>;
  loadLog(): Promise<void>;
  cancel(id: number): Promise<void>;
  /** Live progress: kept for every job, whatever screen is open (the Dashboard shows it too). */
  applyProgress(progress: JobProgress): void;
  /** Whether a job event concerns the selected job's tree. */
  touchesSelected(event: JobEvent): boolean;
}

const jobsTicket = latestOnly();
const treeTicket = latestOnly();
const logTicket = latestOnly();

export const useActivity = create<ActivityState>()((set, get) => ({
  jobs: null,
  jobsError: null,
  selectedId: null,
  tree: null,
  treeError: null,
  log: [],
  progress: {},

  async loadJobs() {
    const isLatest = jobsTicket();
    try {
      const jobs = await api().call('jobs.list', { limit: JOBS_LIMIT });
      // Newest first, whatever order the server chose.
      const sorted = [...jobs].sort((a, b) => b.startedAt - a.startedAt || b.id - a.id);
      if (isLatest()) set({ jobs: sorted, jobsError: null });
    } catch (error) {
      if (isLatest()) set({ jobsError: asApiError(error) });
    }
  },

  select(id) {
    if (get().selectedId === id) return;
    set({ selectedId: id, tree: null, treeError: null, log: [] });
    if (id !== null) {
      void get().loadTree();
      void get().loadLog();
    }
  },

  async loadTree() {
    const id = get().selectedId;
    if (id === null) return;
    const isLatest = treeTicket();
    try {
      const tree = await api().call('jobs.get', { id });
      if (isLatest() && get().selectedId === id) set({ tree, treeError: null });
    } catch (error) {
      if (isLatest() && get().selectedId === id) set({ treeError: asApiError(error) });
    }
  },

  async loadLog() {
    const id = get().selectedId;
    if (id === null) return;
    const isLatest = logTicket();
    try {
      const log = await api().call('jobs.log', { id });
      if (isLatest() && get().selectedId === id) set({ log });
    } catch {
      // The tree shows the job's error; a missing log is not worth a second message.
    }
  },

  async cancel(id) {
    try {
      const { cancelled } = await api().call('jobs.cancel', { id });
      if (!cancelled) notifyError(`Job ${id} was not cancelled`, new Error('it is not running'));
    } catch (error) {
      notifyError(`Job ${id} could not be cancelled`, error);
    }
  },

  applyProgress(progress) {
    set({ progress: { ...get().progress, [progress.jobId]: progress } });
  },

  touchesSelected(event) {
    const id = get().selectedId;
    if (id === null) return false;
    const jobId =
      event.type === 'job-progress'
        ? event.progress.jobId
        : 'job' in event
          ? event.job.id
          : event.jobId;
    if (jobId === id) return true;
    if ('job' in event && event.job.parentId === id) return true;
    return get().tree?.children.some((child) => child.id === jobId) ?? false;
  },
}));
