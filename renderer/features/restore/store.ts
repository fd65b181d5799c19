import { create } from 'zustand';
import { ApiCallError } from '../../../shared/api';
import type { ImageRow } from '../../../shared/images';
import type { JobInfo, JobLogEntry } from '../../../shared/jobs';
import type { RestorePlan, VmRestoreRequest } from '../../../shared/restore';
import { api } from '../../api/client';
import { latestOnly } from '../../lib/coalesce';
import { asApiError } from '../../lib/errors';
import type { RestoreDragPayload } from './drag';
import { newDraft, requestKey, requestOf, type RestoreDraft } from './restore-draft';

interface RestoreState {
  /** Every image, newest first. */
  readonly images: readonly ImageRow[] | null;
  readonly error: ApiCallError | null;
  /** The timeline's date range, as the date inputs hold it ("YYYY-MM-DD", or "" for open). */
  readonly range: { readonly from: string; readonly to: string };
  /** The form for the browsed image; kept here so it survives leaving the screen. */
  readonly draft: RestoreDraft | null;
  readonly plan: RestorePlan | null;
  /** The request the plan was made for: Restore needs the form to still make it. */
  readonly planKey: string | null;
  readonly planError: ApiCallError | null;
  readonly planning: boolean;
  /** Counts previews, so the plan panel scrolls into view once per preview. */
  readonly planSeq: number;
  readonly starting: boolean;
  readonly startError: ApiCallError | null;
  /** The restore job started from this screen, its record once loaded, and its log. */
  readonly jobId: number | null;
  readonly job: JobInfo | null;
  readonly jobError: ApiCallError | null;
  readonly jobLog: readonly JobLogEntry[];
  /** The drag-to-restore destination folder. */
  readonly dropFolder: string;
  load(): Promise<void>;
  refreshIfLoaded(): void;
  setRange(range: { from: string; to: string }): void;
  /** Starts a form for the image, unless the form is already its (the target folder stays). */
  openImage(image: ImageRow): void;
  editDraft(update: (draft: RestoreDraft) => RestoreDraft): void;
  preview(request: VmRestoreRequest): Promise<void>;
  start(request: VmRestoreRequest): Promise<void>;
  loadJob(): Promise<void>;
  closeJob(): void;
  setDropFolder(folder: string): void;
  /** A drop (or "Restore to folder…"): the form gets the folder and the selection, then previews. */
  restoreToFolder(payload: RestoreDragPayload, folder: string): Promise<void>;
}

const ticket = latestOnly();
const planTicket = latestOnly();
const jobTicket = latestOnly();

export const useRestore = create<RestoreState>()((set, get) => ({
  images: null,
  error: null,
  range: { from: '', to: '' },
  draft: null,
  plan: null,
  planKey: null,
  planError: null,
  planning: false,
  planSeq: 0,
  starting: false,
  startError: null,
  jobId: null,
  job: null,
  jobError: null,
  jobLog: [],
  dropFolder: '',

  async load() {
    const isLatest = ticket();
    try {
      const images = await api().call('images.list', {});
      const newestFirst = [...images].sort(
        (a, b) => b.createdAt - a.createdAt || b.backupId.localeCompare(a.backupId),
      );
      if (isLatest()) set({ images: newestFirst, error: null });
    } catch (error) {
      if (isLatest()) set({ error: asApiError(error) });
    }
  },

  refreshIfLoaded() {
    if (get().images !== null || get().error !== null) void get().load();
  },

  setRange(range) {
    set({ range });
  },

  openImage(image) {
    const current = get().draft;
    if (current?.backupId === image.backupId) return;
    planTicket();
    set({
      draft: newDraft(image, current?.folder ?? ''),
      plan: null,
      planKey: null,
      planError: null,
      planning: false,
      startError: null,
    });
  },

  editDraft(update) {
    const draft = get().draft;
    if (draft) set({ draft: update(draft) });
  },

  async preview(request) {
    const isLatest = planTicket();
    set({ planning: true, planError: null, startError: null });
    try {
      const plan = await api().call('restore.plan', request);
      if (isLatest()) {
        set({ plan, planKey: requestKey(request), planSeq: get().planSeq + 1 });
      }
    } catch (error) {
      if (isLatest()) {
        set({
          plan: null,
          planKey: null,
          planError: asApiError(error),
          planSeq: get().planSeq + 1,
        });
      }
    } finally {
      if (isLatest()) set({ planning: false });
    }
  },

  async start(request) {
    set({ starting: true, startError: null });
    try {
      const { jobId } = await api().call('restore.start', request);
      jobTicket();
      set({ jobId, job: null, jobError: null, jobLog: [], plan: null, planKey: null });
      await get().loadJob();
    } catch (error) {
      set({ startError: asApiError(error) });
    } finally {
      set({ starting: false });
    }
  },

  async loadJob() {
    const id = get().jobId;
    if (id === null) return;
    const isLatest = jobTicket();
    try {
      const tree = await api().call('jobs.get', { id });
      const ended = tree.job.state !== 'running' && tree.job.state !== 'queued';
      // A failed restore says why in its log; the result panel shows those lines.
      const log = ended && tree.job.statusCode !== 0 ? await api().call('jobs.log', { id }) : [];
      if (isLatest() && get().jobId === id) set({ job: tree.job, jobLog: log, jobError: null });
    } catch (error) {
      if (isLatest() && get().jobId === id) set({ jobError: asApiError(error) });
    }
  },

  closeJob() {
    jobTicket();
    set({ jobId: null, job: null, jobError: null, jobLog: [] });
  },

  setDropFolder(dropFolder) {
    set({ dropFolder });
  },

  async restoreToFolder(payload, folder) {
    const image = get().images?.find((i) => i.backupId === payload.backupId);
    if (!image) return;
    get().openImage(image);
    const current = get().draft!;
    const positions =
      payload.positions ??
      (current.positions.length > 0 ? current.positions : image.disks.map((d) => d.position));
    const draft: RestoreDraft = {
      ...current,
      target: 'folder',
      folder,
      positions: [...positions].sort((a, b) => a - b),
    };
    set({ draft });
    const outcome = requestOf(draft, image);
    if (!outcome.ok) {
      set({
        plan: null,
        planKey: null,
        planError: new ApiCallError({ code: 'BAD_REQUEST', message: outcome.problems.join(' ') }),
        planSeq: get().planSeq + 1,
      });
      return;
    }
    await get().preview(outcome.request);
  },
}));
