/**
 * `tessera restore`, on the model of NetBackup's nbrestorevm: restore a VM from an image, named
 * by backup ID or as a client's newest image at or before a time, to its original location or
 * into a folder, with the changes of a rename file (`-R`, see engine/restore/rename-file.ts).
 * `--dry-run` prints the plan (what is read, what is written where, how large, what to do
 * afterwards) and writes nothing. The restore runs as a 'restore' job on the data directory,
 * so `tessera job list` and the app's Activity Monitor show it.
 */
import { constants } from 'node:fs';
import { access, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { TesseraError } from '../../../shared/errors.js';
import {
  CONFIG_KIND_LABELS,
  RESTORE_FORMAT_LABELS,
  RESTORE_FORMATS,
  type RestoreDiskFormat,
  type RestoreEdits,
  type RestorePlan,
  type VmRestoreRequest,
  type VmRestoreResult,
} from '../../../shared/restore.js';
import { formatBytes } from '../human.js';
import { interruptSignal } from '../interrupt.js';
import { ProgressBar } from '../progress.js';
import { dataOptions, defaultDataDir, withService } from './service-options.js';

interface RestoreFlags {
  client?: string;
  at?: string;
  to?: string;
  originalLocation?: boolean;
  renameFile?: string;
  overwrite?: boolean;
  format?: string;
  newId?: boolean;
  disk?: string[];
  disksOnly?: boolean;
  sync?: boolean;
  dryRun?: boolean;
  data?: string;
  store?: string;
  json?: boolean;
}

const print = (text: string): void => void process.stdout.write(`${text}\n`);
const printJson = (value: unknown): void => print(JSON.stringify(value, null, 2));

function usage(message: string): never {
  throw new TesseraError('BAD_REQUEST', message);
}

export function registerRestoreCommand(program: Command): void {
  const command = program
    .command('restore')
    .description(
      'restore a VM (its disks, each block checked, and a configuration its hypervisor reads) to its original location or into a folder',
    )
    .argument('[backupId]', 'image to restore, as `tessera images` lists them')
    .option('--client <name>', "restore this client's newest image (instead of a backup ID)")
    .option(
      '--at <time>',
      'with --client: the newest image at or before this time (ISO 8601, or Unix seconds; a date alone is the end of that day, UTC)',
    )
    .option('--to <dir>', 'the folder to restore the VM into (its own folder)')
    .option(
      '--original-location',
      'put the VM back where it was backed up from (needs --overwrite when its files exist)',
    )
    .option(
      '-R, --rename-file <file>',
      'changes for a restore to a different location, one per line (`change vmname to NEW`, `change /old/path to /new/path`...)',
    )
    .option(
      '--overwrite',
      'replace files that exist (the confirmation an original-location restore needs)',
    )
    .option(
      '-f, --format <format>',
      `every disk's format: ${RESTORE_FORMATS.join('|')} (default: each disk's own)`,
    )
    .option('--new-id', 'give the VM and its disks new IDs, so it can live beside the original')
    .option('--disk <position...>', 'restore only these disks (0 = first); no VM configuration')
    .option('--disks-only', 'restore the disks without writing a VM configuration')
    .option('--sync', 'flush the restored files to stable storage before they are put in place')
    .option(
      '--dry-run',
      'print the plan (what is read, what is written where, how large) and write nothing',
    );
  dataOptions(command).action(async (backupId: string | undefined, flags: RestoreFlags) => {
    const request = await requestOf(backupId, flags);
    await checkStoreExists(flags);
    // Started before the engine's modules load, so they are ready when the restore starts.
    if (!flags.dryRun) (await import('../../engine/restore/restore-hosts.js')).warmRestoreHosts();
    await withService(flags, async (service) => {
      if (flags.dryRun) {
        const plan = await service.planRestore(request);
        if (flags.json) return printJson(plan);
        for (const line of planLines(plan)) print(line);
        print('dry run: nothing was written');
        return;
      }
      const bar = flags.json ? null : new ProgressBar(`restore ${backupId ?? flags.client}`);
      const { jobId, done } = await service.startRestore(request, {
        onProgress: (p) => bar?.update(p.doneBytes, p.totalBytes),
      });
      const cancel = (): void => void service.cancelRestore(jobId);
      interruptSignal.addEventListener('abort', cancel);
      try {
        const result = await done;
        bar?.finish();
        if (flags.json) return printJson({ jobId, ...result });
        for (const line of resultLines(result)) print(line);
      } finally {
        interruptSignal.removeEventListener('abort', cancel);
      }
    });
  });
}

/** The restore request the flags and the rename file ask for. */
async function requestOf(
  backupId: string | undefined,
  flags: RestoreFlags,
): Promise<VmRestoreRequest> {
  if ((backupId === undefined) === (flags.client === undefined)) {
    usage('give a backup ID or --client NAME (not both)');
  }
  if (flags.at !== undefined && flags.client === undefined) usage('--at goes with --client');
  if ((flags.to === undefined) === !flags.originalLocation) {
    usage('give --to DIR or --original-location (one of them)');
  }
  if (
    flags.format !== undefined &&
    !(RESTORE_FORMATS as readonly string[]).includes(flags.format)
  ) {
    usage(`--format must be one of ${RESTORE_FORMATS.join(', ')}`);
  }
  const positions = flags.disk?.map((value) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 0) usage(`--disk "${value}" is not a disk position`);
    return n;
  });
  let edits: RestoreEdits = {};
  if (flags.renameFile !== undefined) {
    // Loaded here: only a restore with a rename file needs the parser.
    const { parseRenameFile, renameEdits } = await import('../../engine/restore/rename-file.js');
    const text = await readFile(flags.renameFile, 'utf8').catch((error: NodeJS.ErrnoException) =>
      usage(
        `cannot read the rename file ${flags.renameFile}: ${error.code === 'ENOENT' ? 'no such file' : error.message}`,
      ),
    );
    edits = renameEdits(parseRenameFile(text, flags.renameFile), flags.renameFile);
  }
  const { mergeEdits } = await import('../../engine/restore/rename-file.js');
  edits = mergeEdits(edits, {
    ...(flags.format !== undefined ? { format: flags.format as RestoreDiskFormat } : {}),
    ...(flags.newId ? { newId: true } : {}),
  });
  return {
    image:
      backupId !== undefined
        ? { backupId }
        : { client: flags.client!, ...(flags.at !== undefined ? { at: parseTime(flags.at) } : {}) },
    target: flags.originalLocation
      ? { kind: 'original' }
      : { kind: 'folder', path: path.resolve(flags.to!) },
    overwrite: flags.overwrite ?? false,
    configuration: flags.disksOnly ? 'none' : 'auto',
    ...(positions ? { positions } : {}),
    ...(Object.keys(edits).length > 0 ? { edits } : {}),
    durable: flags.sync ?? false,
  };
}

/** Unix seconds from `--at`: seconds, an ISO date (the end of that day, UTC) or date-time. */
export function parseTime(text: string): number {
  if (/^\d{1,12}$/.test(text)) return Number(text);
  const ms = /^\d{4}-\d{2}-\d{2}$/.test(text) ? Date.parse(`${text}T23:59:59Z`) : Date.parse(text);
  if (Number.isNaN(ms)) {
    usage(`--at "${text}" is not a time (like 2026-03-01, 2026-03-01T12:00:00Z or Unix seconds)`);
  }
  return Math.floor(ms / 1000);
}

/**
 * A restore reads an existing storage unit: a mistyped --store must not create an empty one
 * (the service opens its store creating it, as backups need).
 */
async function checkStoreExists(flags: RestoreFlags): Promise<void> {
  const dir = path.resolve(
    flags.store ?? process.env.TESSERA_STORE ?? path.join(flags.data ?? defaultDataDir(), 'store'),
  );
  const found = await access(path.join(dir, 'tessera-store.json'), constants.R_OK).then(
    () => true,
    () => false,
  );
  if (!found) {
    throw new TesseraError(
      'STORE_NOT_FOUND',
      `${dir}: no Tessera storage unit here (tessera-store.json is missing); pass the directory of an existing one (--store or --data)`,
    );
  }
}

function when(seconds: number): string {
  return new Date(seconds * 1000)
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, 'Z');
}

export function planLines(plan: RestorePlan): string[] {
  const lines: string[] = [];
  const virtual = plan.reads.reduce((sum, r) => sum + r.virtualSize, 0);
  lines.push(
    `restore plan for image ${plan.backupId} (client ${plan.client}, backed up ${when(plan.createdAt)})`,
  );
  lines.push(
    `read: ${plan.reads.length} disk(s), ${formatBytes(plan.readBytes)} of data, each block checked against its digest (${formatBytes(virtual)} of virtual disk)`,
  );
  for (const r of plan.reads) {
    lines.push(
      `  disk ${r.position} ${r.name}: ${formatBytes(r.virtualSize)}, ${formatBytes(r.dataBytes)} of data`,
    );
  }
  lines.push(
    plan.target.kind === 'original'
      ? 'write: back to the original location'
      : `write: into ${plan.target.folder}`,
  );
  for (const f of plan.files) {
    const what =
      f.kind === 'disk'
        ? `disk ${f.position}, ${RESTORE_FORMAT_LABELS[f.format!]}`
        : plan.vm
          ? `configuration, ${CONFIG_KIND_LABELS[plan.vm.kind]}`
          : 'configuration';
    const size =
      f.action === 'keep'
        ? 'kept as it is'
        : `${f.kind === 'disk' && (f.format === 'vhdx' || f.format === 'vhd') ? 'about ' : ''}${formatBytes(f.bytes)}`;
    lines.push(`  ${f.action.padEnd(7)} ${f.path} (${what}, ${size})`);
  }
  lines.push(`  total: about ${formatBytes(plan.writeBytes)} written`);
  const vm = plan.vm;
  if (vm) {
    lines.push(
      `VM: ${vm.name}${vm.name !== vm.originalName ? ` (was ${vm.originalName})` : ''}, ${CONFIG_KIND_LABELS[vm.kind]}, ${vm.idKept ? 'ID kept' : 'new ID'} ${vm.id}, ${vm.cpus} CPU(s), ${vm.memoryMB} MiB`,
    );
    for (const [i, a] of vm.networkAdapters.entries()) {
      const network =
        a.network === a.originalNetwork
          ? (a.network ?? 'not connected')
          : `${a.originalNetwork ?? '(none)'} → ${a.network ?? '(none)'}`;
      const mac =
        a.mac === a.originalMac
          ? (a.mac ?? 'dynamic MAC')
          : `MAC ${a.originalMac ?? 'dynamic'} → ${a.mac ?? 'dynamic'}`;
      lines.push(`  adapter ${a.name ?? i + 1}: ${network}, ${mac}`);
    }
    for (const a of vm.droppedAdapters)
      lines.push(
        `  adapter ${a.name ?? '(unnamed)'} on ${a.originalNetwork ?? '(none)'}: left out`,
      );
  } else {
    lines.push('VM: disks only, no configuration is written');
  }
  for (const warning of plan.warnings) lines.push(`warning: ${warning}`);
  lines.push(...notesLines(plan.notes));
  return lines;
}

function notesLines(notes: RestorePlan['notes']): string[] {
  if (notes.length === 0) return [];
  return ['after the restore:', ...notes.map((note) => `  - ${note.message}`)];
}

function resultLines(result: VmRestoreResult): string[] {
  return [
    ...result.disks.map(
      (disk) => `restored disk ${disk.position} to ${disk.path} (${formatBytes(disk.virtualSize)})`,
    ),
    ...(result.configPath ? [`wrote the VM configuration ${result.configPath}`] : []),
    ...result.warnings.map((warning) => `warning: ${warning}`),
    ...notesLines(result.notes),
  ];
}
