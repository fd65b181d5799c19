/**
 * The restore plan: everything a whole-VM restore will do, worked out before a byte is
 * written, so `--dry-run` and the app's confirmation show exactly that, and so every refusal
 * (overwrite not confirmed, two disks on one path, a folder that cannot be written, a VM in
 * use, edits an image without VM metadata cannot take) comes before any work.
 *
 * Where things go:
 * - original location: each disk back at the path it was read from, in its own format (a VHD
 *   that exists as fixed stays fixed); the VM's configuration file is kept when it exists
 *   (it names those very paths) and written again from the image when it is gone. No edits:
 *   a changed VM belongs somewhere else.
 * - a folder: the restored VM's folder, laid out as its source type keeps VMs
 *   (config-files.ts); disks by their recorded file names with the new format's extension,
 *   unless an edit (or a rename-file line) puts them elsewhere.
 */
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { TesseraError } from '../../../shared/errors.js';
import { describeIssues } from '../../../shared/policy.js';
import {
  CONFIG_KIND_LABELS,
  RESTORE_FORMAT_LABELS,
  vmRestoreRequestSchema,
  type ConfigKind,
  type PlannedDisk,
  type PlannedFile,
  type PlannedReadDisk,
  type PlannedVm,
  type RestoreDiskFormat,
  type RestoreEdits,
  type RestorePlan,
  type VmRestoreRequest,
} from '../../../shared/restore.js';
import { openDisk } from '../disk/open.js';
import type { WritableFormat } from '../disk/types.js';
import type { DiskImageManifest, ImageManifest } from '../store/manifest.js';
import type { Store } from '../store/store.js';
import {
  ATTACHABLE_FORMATS,
  configFileBytes,
  configPathFor,
  diskFolderFor,
} from './config-files.js';
import { chooseImage } from './image-choice.js';
import { inUseReasons, type InUseContext } from './in-use.js';
import { maintenanceNotes } from './maintenance-notes.js';
import { mapAdapters } from './network-map.js';
import { hypervisorIdOf, recordedVmOf, type RecordedVm } from './recorded-vm.js';
import { pathState, unwritableReason } from './target-checks.js';
import type { VmConfig } from './vm-config.js';

/** What planning and restoring need: the storage unit, and what tells a VM is in use. */
export interface RestoreContext extends InUseContext {
  readonly store: Store;
}

/** A plan with what executing it needs beyond the plan itself. */
export interface PreparedRestore {
  readonly plan: RestorePlan;
  readonly request: VmRestoreRequest;
  readonly manifest: ImageManifest;
  /** The configuration file's bytes when one is written (not kept, not a folder VM). */
  readonly configBytes: Buffer | null;
  /** The VM's ID as the in-use check knows it (the inventory ID), when recorded. */
  readonly inventoryId: string | null;
}

const MiB = 1024 * 1024;
const VHD_MAX_BYTES = 2040 * 1024 * MiB;
const EXTENSIONS: Record<WritableFormat, string> = {
  raw: '.raw',
  vhd: '.vhd',
  'vhd-fixed': '.vhd',
  vhdx: '.vhdx',
};
/** Rough VHDX metadata (headers, log, BAT, metadata region) for size estimates. */
const VHDX_OVERHEAD = 4 * MiB;

const MAC = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/;

function refuse(message: string): never {
  throw new TesseraError('BAD_REQUEST', message);
}

/** Plans a restore; refuses (BAD_REQUEST) anything it would not do. Writes nothing. */
export async function planVmRestore(context: RestoreContext, input: unknown): Promise<RestorePlan> {
  return (await prepareRestore(context, input)).plan;
}

export async function prepareRestore(
  context: RestoreContext,
  input: unknown,
): Promise<PreparedRestore> {
  const parsed = vmRestoreRequestSchema.safeParse(input);
  if (!parsed.success) refuse(`the restore request is not valid: ${describeIssues(parsed.error)}`);
  const request = parsed.data;
  const backupId = await chooseImage(context.store, request.image);
  const manifest = await context.store.readManifest(backupId);
  return new Planner(context, request, manifest).prepare();
}

class Planner {
  private readonly warnings: string[] = [];
  private readonly edits: RestoreEdits;
  private readonly original: boolean;
  private readonly folder: string | null;
  private readonly recorded: RecordedVm | null;
  private readonly disks: readonly DiskImageManifest[];
  private disksOnlyReason: string | null = null;
  private readonly defaulted: string[] = [];

  constructor(
    private readonly context: RestoreContext,
    private readonly request: VmRestoreRequest,
    private readonly manifest: ImageManifest,
  ) {
    this.edits = request.edits ?? {};
    this.original = request.target.kind === 'original';
    this.folder = request.target.kind === 'folder' ? path.resolve(request.target.path) : null;
    this.recorded = recordedVmOf(manifest.vm);
    this.disks = this.selectedDisks();
  }

  async prepare(): Promise<PreparedRestore> {
    const { manifest, request } = this;
    this.checkEditsFitImage();
    const kind = this.configKind();
    const vmBase = kind === null ? null : this.vmBase(kind);
    const disks = await this.plannedDisks(kind ?? 'folder', vmBase);
    const configPath = vmBase === null ? null : this.configPathOf(kind!, vmBase.name, vmBase.id);
    const configState = configPath === null ? 'absent' : await pathState(configPath);
    // At the original location an existing configuration names these very disks: keep it.
    const configKept = this.original && configState === 'file';
    const vm: PlannedVm | null =
      vmBase === null ? null : { ...vmBase, configPath: configPath ?? null };
    this.checkOneFilePerPath([
      ...disks.map((d) => ({ path: d.targetPath, position: d.position as number | null })),
      ...(configPath === null ? [] : [{ path: configPath, position: null }]),
    ]);
    let configBytes: Buffer | null = null;
    if (vm && configPath !== null && !configKept) {
      configBytes = configFileBytes(vm.kind, this.vmConfig(vm, disks), configPath);
    }

    const files = await this.plannedFiles(disks, configPath, configBytes, configKept);
    await this.checkTargets(files);
    const replacing = files.filter((f) => f.action === 'replace').map((f) => f.path);
    if (replacing.length > 0) {
      const reasons = await inUseReasons(this.context, this.recorded?.id ?? null, replacing);
      if (reasons.length > 0) {
        refuse(
          `the files to be replaced are in use: ${reasons.join('; ')}. Stop the VM (or wait for the backup) and restore again`,
        );
      }
    }

    const reads: PlannedReadDisk[] = this.disks.map((disk) => ({
      position: disk.position,
      name: disk.name,
      sourcePath: disk.sourcePath,
      virtualSize: disk.virtualSize,
      dataBytes: dataBytesOf(disk),
    }));
    const plan: RestorePlan = {
      backupId: manifest.backupId,
      client: manifest.client,
      createdAt: manifest.createdAt,
      target: { kind: request.target.kind, folder: this.folder },
      overwrite: request.overwrite ?? false,
      vm,
      reads,
      disks,
      files,
      readBytes: reads.reduce((sum, r) => sum + r.dataBytes, 0),
      writeBytes: files.reduce((sum, f) => sum + (f.action === 'keep' ? 0 : f.bytes), 0),
      warnings: this.warnings,
      notes: maintenanceNotes({
        original: this.original,
        folder: this.folder,
        vm,
        recordedId: this.recorded ? (hypervisorIdOf(this.recorded.id) ?? this.recorded.id) : null,
        recordedConfigPath: this.recorded?.configPath ?? null,
        disks,
        disksOnlyReason: this.disksOnlyReason,
        defaulted: this.defaulted,
        configKept,
        replacing,
      }),
    };
    return {
      plan,
      request,
      manifest,
      configBytes,
      inventoryId: this.recorded?.id ?? null,
    };
  }

  private selectedDisks(): DiskImageManifest[] {
    const positions = this.request.positions;
    const all = this.manifest.disks;
    if (!positions) return [...all];
    const missing = positions.filter((p) => !all.some((d) => d.position === p));
    if (missing.length > 0) {
      refuse(
        `image ${this.manifest.backupId} has no disk ${missing.join(', ')} (its disks: ${all.map((d) => d.position).join(', ')})`,
      );
    }
    return all.filter((d) => positions.includes(d.position));
  }

  private checkEditsFitImage(): void {
    const { edits } = this;
    if (this.original) {
      const asked = Object.keys(edits).filter(
        (key) => edits[key as keyof RestoreEdits] !== undefined,
      );
      if (asked.length > 0) {
        refuse(
          `a restore to the original location puts the VM back as it was backed up; changes (${asked.join(', ')}) need a restore to a different location`,
        );
      }
    }
    for (const edit of edits.disks ?? []) {
      if (!this.manifest.disks.some((d) => d.position === edit.position)) {
        refuse(
          `disk ${edit.position}: image ${this.manifest.backupId} has disks ${this.manifest.disks.map((d) => d.position).join(', ')}`,
        );
      }
      if (!this.disks.some((d) => d.position === edit.position)) {
        refuse(
          `disk ${edit.position} is changed but not restored (only disks ${this.disks.map((d) => d.position).join(', ')} are)`,
        );
      }
    }
  }

  /** The VM-level edits asked for (they need a configuration to go into). */
  private vmEdits(): string[] {
    const { edits } = this;
    return [
      edits.name !== undefined ? 'the VM name' : null,
      edits.cpus !== undefined ? 'the CPU count' : null,
      edits.memoryMB !== undefined ? 'the memory size' : null,
      (edits.networks?.length ?? 0) > 0 ? 'the network mapping' : null,
      edits.newMacs ? 'new MAC addresses' : null,
    ].filter((edit) => edit !== null);
  }

  /** Which configuration is written, or null for disks only (with the reason recorded). */
  private configKind(): ConfigKind | null {
    const mode = this.request.configuration ?? 'auto';
    const vmEdits = this.vmEdits();
    const needs = (reason: string, hint: string): never =>
      refuse(
        `${reason}, so ${vmEdits.length > 0 ? `${vmEdits.join(', ')} cannot be applied` : 'no VM configuration can be written'}; it can still restore the disks only (${hint})`,
      );
    if (mode === 'none') {
      if (vmEdits.length > 0) {
        refuse(`${vmEdits.join(', ')} need a VM configuration, and none is to be written`);
      }
      this.disksOnlyReason = 'no VM configuration was asked for';
      return null;
    }
    if (!this.recorded) {
      const reason = `image ${this.manifest.backupId} records no VM configuration (it was made by \`tessera backup\` of loose disks, or by an older Tessera)`;
      if (mode === 'write' || vmEdits.length > 0) needs(reason, 'leave out the VM changes');
      this.warnings.push(`${reason}: only the disks are restored`);
      this.disksOnlyReason = 'the image records no VM configuration';
      return null;
    }
    if (this.disks.length < this.manifest.disks.length) {
      const reason = `only disk ${this.disks.map((d) => d.position).join(', ')} of ${this.manifest.disks.length} is restored`;
      if (mode === 'write' || vmEdits.length > 0)
        needs(reason, 'leave out the VM changes, or restore every disk');
      this.warnings.push(`${reason}: no VM configuration is written`);
      this.disksOnlyReason = 'not every disk of the VM is restored';
      return null;
    }
    return this.recorded.configKind;
  }

  private vmBase(kind: ConfigKind): Omit<PlannedVm, 'configPath'> {
    const recorded = this.recorded!;
    const { edits } = this;
    const recordedGuid = hypervisorIdOf(recorded.id);
    let id: string;
    let idKept: boolean;
    if (kind === 'folder') {
      // A folder VM's ID is a hash of its folder: a new folder is a new ID, whatever is asked.
      id = recorded.id;
      idKept = this.original;
    } else if (edits.newId || !recordedGuid) {
      if (!edits.newId && !this.original) {
        this.warnings.push(
          `the image records no hypervisor ID for ${recorded.name}; the restored VM gets a new one`,
        );
      }
      id = this.original && recordedGuid ? recordedGuid : randomUUID();
      idKept = id === recordedGuid;
    } else {
      id = recordedGuid;
      idKept = true;
    }
    const cpus = edits.cpus ?? recorded.cpus ?? (this.defaulted.push('CPU count'), 1);
    const memoryMB =
      edits.memoryMB ?? recorded.memoryMB ?? (this.defaulted.push('memory size'), 1024);
    const adapters = recorded.networkAdapters.map((adapter) => {
      if (adapter.mac === null || MAC.test(adapter.mac)) return adapter;
      this.warnings.push(
        `network adapter ${adapter.name ?? ''} has a MAC address Tessera cannot read ("${adapter.mac}"); the hypervisor will give it one`,
      );
      return { ...adapter, mac: null };
    });
    const mapped = mapAdapters(adapters, edits.networks ?? [], {
      newMacs: edits.newMacs ?? false,
      kind,
    });
    if (
      kind === 'folder' &&
      edits.name !== undefined &&
      this.folder &&
      path.basename(this.folder) !== edits.name
    ) {
      this.warnings.push(
        `a folder of disks is named after its folder: the inventory lists it as "${path.basename(this.folder)}", not "${edits.name}"`,
      );
    }
    return {
      kind,
      name: edits.name ?? recorded.name,
      originalName: recorded.name,
      id,
      idKept,
      cpus,
      memoryMB,
      notes: recorded.notes,
      os: recorded.os,
      firmware: recorded.firmware,
      networkAdapters: mapped.kept,
      droppedAdapters: mapped.dropped,
    };
  }

  private configPathOf(kind: ConfigKind, name: string, id: string): string | null {
    if (!this.original) return configPathFor(kind, this.folder!, name, id);
    const recorded = this.recorded!;
    if (kind === 'folder') return null;
    // A lost .vmcx is written again as the XML configuration Tessera can write, beside it.
    if (/\.vmcx$/i.test(recorded.configPath)) {
      return path.join(path.dirname(recorded.configPath), `${id.toUpperCase()}.xml`);
    }
    return recorded.configPath;
  }

  private async plannedDisks(
    kind: ConfigKind,
    vm: Omit<PlannedVm, 'configPath'> | null,
  ): Promise<PlannedDisk[]> {
    const { edits } = this;
    const changes = edits.pathChanges ?? [];
    const used = new Set<number>();
    const planned: PlannedDisk[] = [];
    for (const disk of this.disks) {
      const edit = edits.disks?.find((d) => d.position === disk.position);
      let format: RestoreDiskFormat;
      let target: string;
      if (this.original) {
        target = disk.sourcePath;
        format = await originalFormatOf(disk);
      } else {
        format = edit?.format ?? edits.format ?? defaultFormatOf(disk);
        const change = changes.findIndex((c) => coversPath(c.from, disk.sourcePath));
        if (edit?.path !== undefined) {
          target = path.resolve(this.folder!, edit.path);
        } else if (change >= 0) {
          used.add(change);
          target = path.resolve(this.folder!, changedPath(changes[change]!, disk.sourcePath));
        } else {
          target = path.join(
            diskFolderFor(kind, this.folder!),
            `${path.parse(disk.name).name}${EXTENSIONS[format]}`,
          );
        }
        if (
          (edit?.path !== undefined || change >= 0) &&
          !target.toLowerCase().endsWith(EXTENSIONS[format])
        ) {
          this.warnings.push(
            `disk ${disk.position} goes to ${target} as ${RESTORE_FORMAT_LABELS[format]}; its name does not end in ${EXTENSIONS[format]}, so tools that go by the extension (and Tessera's folder inventory) may not take it for one`,
          );
        }
      }
      this.checkFormatFits(disk, format, vm?.kind ?? null);
      const recordedDisk =
        this.recorded?.disks.find((d) => d.path === disk.sourcePath) ??
        this.recorded?.disks[disk.position] ??
        null;
      planned.push({
        position: disk.position,
        sourceName: disk.name,
        sourcePath: disk.sourcePath,
        sourceFormat: disk.sourceFormat,
        targetPath: target,
        format,
        virtualSize:
          format === 'vhd-fixed' ? Math.ceil(disk.virtualSize / MiB) * MiB : disk.virtualSize,
        identity: edits.newId || !disk.identity ? randomUUID() : disk.identity,
        slot: recordedDisk?.slot ?? null,
      });
    }
    const unused = changes.filter((_, i) => !used.has(i));
    if (unused.length > 0) {
      refuse(
        `change ${unused[0]!.from} to ${unused[0]!.to}: no disk of the image is at or under ${unused[0]!.from} (its disks: ${this.disks.map((d) => d.sourcePath).join(', ')})`,
      );
    }
    return planned;
  }

  private checkFormatFits(
    disk: DiskImageManifest,
    format: RestoreDiskFormat,
    kind: ConfigKind | null,
  ): void {
    const where = `disk ${disk.position} (${disk.name})`;
    if (format.startsWith('vhd') && format !== 'vhdx') {
      if (disk.logicalSectorSize !== 512) {
        refuse(
          `${where} has ${disk.logicalSectorSize}-byte sectors; a VHD has 512-byte sectors only: restore it as vhdx or raw`,
        );
      }
      if (disk.virtualSize > VHD_MAX_BYTES) {
        refuse(`${where} is larger than a VHD can be (2040 GiB): restore it as vhdx or raw`);
      }
    }
    if (kind !== null && !ATTACHABLE_FORMATS[kind].includes(format)) {
      refuse(
        `${where}: a ${CONFIG_KIND_LABELS[kind]} cannot use a ${RESTORE_FORMAT_LABELS[format]} disk; choose ${ATTACHABLE_FORMATS[kind].join(', ')} (or restore the disks only)`,
      );
    }
  }

  private vmConfig(vm: PlannedVm, disks: readonly PlannedDisk[]): VmConfig {
    return {
      name: vm.name,
      id: vm.id,
      cpus: vm.cpus,
      memoryMB: vm.memoryMB,
      notes: vm.notes,
      os: vm.os,
      firmware: vm.firmware,
      networkAdapters: vm.networkAdapters.map((a) => ({
        name: a.name,
        mac: a.mac,
        network: a.network,
      })),
      disks: disks.map((d) => ({
        path: d.targetPath,
        format: d.format,
        slot: d.slot,
        identity: d.identity,
      })),
    };
  }

  private async plannedFiles(
    disks: readonly PlannedDisk[],
    configPath: string | null,
    configBytes: Buffer | null,
    configKept: boolean,
  ): Promise<PlannedFile[]> {
    const files: PlannedFile[] = [];
    for (const disk of disks) {
      const state = await pathState(disk.targetPath);
      files.push({
        kind: 'disk',
        path: disk.targetPath,
        action: state === 'absent' ? 'create' : 'replace',
        bytes: fileBytesOf(
          disk,
          this.disks.find((d) => d.position === disk.position)!,
        ),
        position: disk.position,
        format: disk.format,
      });
    }
    if (configPath !== null) {
      files.push({
        kind: 'configuration',
        path: configPath,
        action: configKept
          ? 'keep'
          : (await pathState(configPath)) === 'absent'
            ? 'create'
            : 'replace',
        bytes: configBytes?.byteLength ?? 0,
        position: null,
        format: null,
      });
    }
    return files;
  }

  private checkOneFilePerPath(files: readonly { path: string; position: number | null }[]): void {
    const byPath = new Map<string, { path: string; position: number | null }>();
    for (const file of files) {
      const first = byPath.get(file.path);
      if (first) {
        const name = (f: { position: number | null }): string =>
          f.position !== null ? `disk ${f.position}` : 'the configuration';
        refuse(
          `${name(first)} and ${name(file)} would both be written to ${file.path}; give one of them another path (e.g. "change disk ${file.position ?? first.position} to <path>" in the rename file)`,
        );
      }
      byPath.set(file.path, file);
    }
  }

  private async checkTargets(files: readonly PlannedFile[]): Promise<void> {
    const overwrite = this.request.overwrite ?? false;
    for (const file of files) {
      const state = await pathState(file.path);
      if (state === 'folder' || state === 'other') {
        refuse(`${file.path} exists and is not a file; it cannot be restored over`);
      }
    }
    const existing = files.filter((f) => f.action === 'replace').map((f) => f.path);
    if (existing.length > 0 && !overwrite) {
      refuse(
        this.original
          ? `a restore to the original location replaces the VM's files: ${existing.join(', ')} exist. Confirm the overwrite (--overwrite) to replace them; the old files are kept until the new ones are complete`
          : `${existing.join(', ')} already exist${existing.length === 1 ? 's' : ''}; choose another folder, or confirm the overwrite (--overwrite)`,
      );
    }
    const folders = [
      ...new Set(files.filter((f) => f.action !== 'keep').map((f) => path.dirname(f.path))),
    ];
    for (const folder of folders) {
      const reason = await unwritableReason(folder);
      if (reason) refuse(`cannot restore there: ${reason}`);
    }
  }
}

/** Bytes of stored (non-zero) blocks: what is read from the storage unit. */
function dataBytesOf(disk: DiskImageManifest): number {
  return Math.min(disk.virtualSize, (disk.blockCount - disk.stats.blocksZero) * disk.blockSize);
}

/** The size of the written file: full for raw and fixed VHD, about the data for dynamic ones. */
function fileBytesOf(planned: PlannedDisk, disk: DiskImageManifest): number {
  const data = dataBytesOf(disk);
  switch (planned.format) {
    case 'raw':
      return planned.virtualSize;
    case 'vhd-fixed':
      return planned.virtualSize + 512;
    case 'vhd': {
      const blocks = Math.ceil(planned.virtualSize / (2 * MiB));
      return data + 3 * 512 + Math.ceil((blocks * 4) / 512) * 512 + blocks * 512;
    }
    case 'vhdx':
      return data + VHDX_OVERHEAD;
  }
}

/** A disk's own format; VHD restores as dynamic VHD unless asked otherwise. */
function defaultFormatOf(disk: DiskImageManifest): RestoreDiskFormat {
  return disk.sourceFormat === 'vhd' ? 'vhd' : disk.sourceFormat;
}

/** At the original location, a VHD that is there as a fixed VHD is restored fixed again. */
async function originalFormatOf(disk: DiskImageManifest): Promise<RestoreDiskFormat> {
  if (disk.sourceFormat !== 'vhd') return disk.sourceFormat;
  const existing = await openDisk(disk.sourcePath, { format: 'vhd' }).catch(() => null);
  if (!existing) return 'vhd';
  const fixed = existing.subformat === 'fixed';
  await existing.close();
  return fixed ? 'vhd-fixed' : 'vhd';
}

/** Does `from` name this disk's path, or a folder it lies in? */
function coversPath(from: string, sourcePath: string): boolean {
  const normalized = path.resolve(from);
  return (
    sourcePath === normalized ||
    sourcePath.startsWith(normalized.endsWith(path.sep) ? normalized : normalized + path.sep)
  );
}

function changedPath(change: { from: string; to: string }, sourcePath: string): string {
  const from = path.resolve(change.from);
  if (sourcePath === from) return change.to;
  return path.join(change.to, path.relative(from, sourcePath));
}
