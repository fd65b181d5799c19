/**
 * The restore form as data: what the user has chosen so far (strings as typed, so a half-typed
 * number is not lost), and the VmRestoreRequest it makes. Pure, so the preview and the restore
 * send exactly the request the form shows, and "the same request" is a string comparison.
 */
import type { ImageRow } from '../../../shared/images';
import {
  VM_NAME_PATTERN,
  type ConfigurationMode,
  type NetworkMapping,
  type PathChange,
  type RestoreDiskFormat,
  type RestoreEdits,
  type VmRestoreRequest,
} from '../../../shared/restore';
import { networksOf, recordedVmOf } from './vm-metadata';

export type TargetKind = 'original' | 'folder';

/** What happens to the adapters on one network: kept there, moved to `to`, or left out. */
export interface NetworkChoice {
  readonly mode: 'keep' | 'map' | 'remove';
  readonly to: string;
}

export interface DiskDraft {
  /** Empty: the default place in the target folder. */
  readonly path: string;
  /** Empty: the form-wide format (or the disk's own). */
  readonly format: RestoreDiskFormat | '';
}

export interface RestoreDraft {
  readonly backupId: string;
  readonly target: TargetKind;
  readonly folder: string;
  /** Original location: "overwrite the VM's files"; a folder: "replace files already there". */
  readonly overwrite: boolean;
  readonly configuration: ConfigurationMode;
  /** The disk positions to restore, ascending. */
  readonly positions: readonly number[];
  /** Empty: the recorded name. */
  readonly name: string;
  readonly newId: boolean;
  readonly newMacs: boolean;
  readonly cpus: string;
  readonly memoryMB: string;
  readonly format: RestoreDiskFormat | '';
  readonly disks: Readonly<Record<number, DiskDraft>>;
  /** By network name; a network absent here is kept. */
  readonly networks: Readonly<Record<string, NetworkChoice>>;
  /** Adapters no per-network choice covers (a rename file's `change network to X`). */
  readonly everyNetwork: NetworkChoice;
  /** From an imported rename file (`change /old/path to /new/path`). */
  readonly pathChanges: readonly PathChange[];
}

export const KEEP: NetworkChoice = { mode: 'keep', to: '' };
const NO_DISK_EDIT: DiskDraft = { path: '', format: '' };

/** A fresh form for an image: every disk, to a folder, nothing changed. */
export function newDraft(image: ImageRow, folder = ''): RestoreDraft {
  return {
    backupId: image.backupId,
    target: 'folder',
    folder,
    overwrite: false,
    configuration: 'auto',
    positions: image.disks.map((disk) => disk.position),
    name: '',
    newId: false,
    newMacs: false,
    cpus: '',
    memoryMB: '',
    format: '',
    disks: {},
    networks: {},
    everyNetwork: KEEP,
    pathChanges: [],
  };
}

export function diskDraftOf(draft: RestoreDraft, position: number): DiskDraft {
  return draft.disks[position] ?? NO_DISK_EDIT;
}

export type RequestOutcome =
  | { readonly ok: true; readonly request: VmRestoreRequest }
  | { readonly ok: false; readonly problems: readonly string[] };

/** The request the form makes, or what must be fixed first (in the form's words). */
export function requestOf(draft: RestoreDraft, image: ImageRow): RequestOutcome {
  const problems: string[] = [];
  const vm = recordedVmOf(image.vm);
  const allDisks = draft.positions.length === image.disks.length;
  if (draft.positions.length === 0) problems.push('Select at least one disk to restore.');

  const request: {
    -readonly [K in keyof VmRestoreRequest]: VmRestoreRequest[K];
  } = {
    image: { backupId: image.backupId },
    target:
      draft.target === 'original'
        ? { kind: 'original' }
        : { kind: 'folder', path: draft.folder.trim() },
  };
  if (draft.overwrite) request.overwrite = true;
  if (draft.configuration !== 'auto') request.configuration = draft.configuration;
  if (!allDisks && draft.positions.length > 0) request.positions = [...draft.positions];

  if (draft.target === 'original') {
    if (!draft.overwrite) {
      problems.push("Confirm that the VM's files at their original location are overwritten.");
    }
    return problems.length > 0 ? { ok: false, problems } : { ok: true, request };
  }

  if (draft.folder.trim() === '') problems.push('Choose the target folder.');
  const edits: { -readonly [K in keyof RestoreEdits]: RestoreEdits[K] } = {};
  const name = draft.name.trim();
  if (name !== '' && name !== vm?.name) {
    if (VM_NAME_PATTERN.test(name)) edits.name = name;
    else
      problems.push('The VM name must be 1 to 100 characters without / \\ or control characters.');
  }
  if (draft.newId) edits.newId = true;
  if (draft.newMacs) edits.newMacs = true;
  const cpus = wholeNumber(draft.cpus);
  if (cpus === 'invalid' || (typeof cpus === 'number' && (cpus < 1 || cpus > 1024))) {
    problems.push('CPUs must be a whole number from 1 to 1024.');
  } else if (cpus !== null && cpus !== vm?.cpus) edits.cpus = cpus;
  const memory = wholeNumber(draft.memoryMB);
  if (memory === 'invalid' || (typeof memory === 'number' && memory < 4)) {
    problems.push('Memory must be a whole number of MiB, at least 4.');
  } else if (memory !== null && memory !== vm?.memoryMB) edits.memoryMB = memory;
  if (draft.format !== '') edits.format = draft.format;

  const disks = draft.positions.flatMap((position) => {
    const disk = diskDraftOf(draft, position);
    const path = disk.path.trim();
    if (path === '' && disk.format === '') return [];
    return [
      {
        position,
        ...(path !== '' ? { path } : {}),
        ...(disk.format !== '' ? { format: disk.format } : {}),
      },
    ];
  });
  if (disks.length > 0) edits.disks = disks;
  if (draft.pathChanges.length > 0) edits.pathChanges = [...draft.pathChanges];

  const networks: NetworkMapping[] = [];
  const addMapping = (from: string | null, choice: NetworkChoice, label: string) => {
    if (choice.mode === 'keep') return;
    if (choice.mode === 'remove') {
      networks.push({ from, to: null });
      return;
    }
    const to = choice.to.trim();
    if (to === '') problems.push(`Name the network the adapters on ${label} move to.`);
    else networks.push({ from, to });
  };
  for (const network of networkRowsOf(draft, image)) {
    addMapping(network, draft.networks[network] ?? KEEP, `"${network}"`);
  }
  addMapping(null, draft.everyNetwork, 'the other networks');
  if (networks.length > 0) edits.networks = networks;

  if (Object.keys(edits).length > 0) request.edits = edits;
  return problems.length > 0 ? { ok: false, problems } : { ok: true, request };
}

/**
 * A rename file's edits, put into the form: what it names replaces what the form had; the
 * rest of the form stays. Mappings of networks the image does not record are kept, so the
 * server names the typo rather than the form dropping it.
 */
export function withEdits(draft: RestoreDraft, edits: RestoreEdits): RestoreDraft {
  const disks: Record<number, DiskDraft> = { ...draft.disks };
  for (const edit of edits.disks ?? []) {
    const current = disks[edit.position] ?? NO_DISK_EDIT;
    disks[edit.position] = {
      path: edit.path ?? current.path,
      format: edit.format ?? current.format,
    };
  }
  const networks: Record<string, NetworkChoice> = { ...draft.networks };
  let everyNetwork = draft.everyNetwork;
  for (const mapping of edits.networks ?? []) {
    const choice: NetworkChoice =
      mapping.to === null ? { mode: 'remove', to: '' } : { mode: 'map', to: mapping.to };
    if (mapping.from === null) everyNetwork = choice;
    else networks[mapping.from] = choice;
  }
  return {
    ...draft,
    target: 'folder',
    name: edits.name ?? draft.name,
    newId: edits.newId ?? draft.newId,
    newMacs: edits.newMacs ?? draft.newMacs,
    cpus: edits.cpus !== undefined ? String(edits.cpus) : draft.cpus,
    memoryMB: edits.memoryMB !== undefined ? String(edits.memoryMB) : draft.memoryMB,
    format: edits.format ?? draft.format,
    disks,
    networks,
    everyNetwork,
    pathChanges: [...draft.pathChanges, ...(edits.pathChanges ?? [])],
  };
}

/** Networks the form offers a choice for: the recorded ones, then any a rename file named. */
export function networkRowsOf(draft: RestoreDraft, image: ImageRow): string[] {
  const recorded = networksOf(recordedVmOf(image.vm));
  return [...recorded, ...Object.keys(draft.networks).filter((n) => !recorded.includes(n))];
}

/** "The same request" for the preview-then-restore rule. */
export function requestKey(request: VmRestoreRequest): string {
  return JSON.stringify(request);
}

function wholeNumber(text: string): number | null | 'invalid' {
  const trimmed = text.trim();
  if (trimmed === '') return null;
  return /^\d{1,9}$/.test(trimmed) ? Number(trimmed) : 'invalid';
}
