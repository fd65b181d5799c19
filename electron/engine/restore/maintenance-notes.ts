/**
 * The maintenance notes of a restore: what the admin guide's "Virtual machine maintenance
 * after a restore" tells an administrator to do once the files are back. Only the notes that
 * apply to this restore are given, each naming the files and values concerned.
 */
import {
  RESTORE_FORMAT_LABELS,
  type MaintenanceNote,
  type PlannedDisk,
  type PlannedVm,
} from '../../../shared/restore.js';

export interface NotesInput {
  readonly original: boolean;
  readonly folder: string | null;
  readonly vm: PlannedVm | null;
  /** What the image recorded of the VM (null: nothing). */
  readonly recordedId: string | null;
  readonly recordedConfigPath: string | null;
  readonly disks: readonly PlannedDisk[];
  /** Why only disks are restored, when they are. */
  readonly disksOnlyReason: string | null;
  readonly defaulted: readonly string[];
  readonly configKept: boolean;
  readonly replacing: readonly string[];
}

export function maintenanceNotes(input: NotesInput): MaintenanceNote[] {
  const notes: MaintenanceNote[] = [];
  const { vm } = input;
  if (!vm) {
    notes.push({
      kind: 'disks-only',
      message: `Only the disks were restored (${input.disksOnlyReason ?? 'no configuration was asked for'}): attach them to a VM, or create one that uses them.`,
    });
  } else {
    // A folder of loose disks has no configuration: no ID, CPUs or disk paths of its own.
    const configured = vm.kind !== 'folder';
    notes.push(registerNote(vm, input));
    if (!input.original && configured) notes.push(idNote(vm, input.recordedId));
    const networkNote = networkNoteOf(vm, input.original);
    if (networkNote) notes.push(networkNote);
    const macNote = macNoteOf(vm, input.original);
    if (macNote) notes.push(macNote);
    if (configured && input.defaulted.length > 0) {
      notes.push({
        kind: 'defaults',
        message: `The image does not record the VM's ${input.defaulted.join(' and ')}; the configuration was written with ${input.defaulted.map((what) => (what === 'CPU count' ? `${vm.cpus} CPU(s)` : `${vm.memoryMB} MiB of memory`)).join(' and ')}. Check them before starting the VM.`,
      });
    }
    if (
      vm.kind === 'hyperv' &&
      /\.vmcx$/i.test(input.recordedConfigPath ?? '') &&
      !input.configKept
    ) {
      notes.push({
        kind: 'register',
        message:
          'The VM had a Hyper-V 2016+ (.vmcx) configuration, which Tessera cannot write: a Hyper-V 2012 R2 XML configuration was written instead, from what the image records (name, CPUs, memory, disks, adapters). Import-VM upgrades it; check its generation, checkpoints and integration settings afterwards.',
      });
    }
  }
  const changed = input.disks.filter((d) => formatOfSource(d.sourceFormat) !== d.format);
  if (changed.length > 0) {
    notes.push({
      kind: 'disk-format',
      message: `Disk format changed: ${changed.map((d) => `disk ${d.position} (${d.sourceName}) was ${d.sourceFormat.toUpperCase()} and is now ${RESTORE_FORMAT_LABELS[d.format]}`).join('; ')}.${changed.some((d) => d.format === 'vhd-fixed') ? ' A fixed VHD takes its whole size on disk, rounded up to a whole MiB as Azure requires.' : ''}`,
    });
  }
  const checkpoints = input.disks.filter((d) => /\.a(vhdx?)$/i.test(d.sourcePath));
  if (checkpoints.length > 0) {
    notes.push({
      kind: 'checkpoints',
      message: `${checkpoints.map((d) => d.sourcePath).join(', ')} ${checkpoints.length === 1 ? 'was a checkpoint (differencing) disk; it was' : 'were checkpoint (differencing) disks; they were'} restored as full disks holding the VM's state at the backup: the VM has no checkpoints any more.`,
    });
  }
  if (!input.original && vm && vm.kind !== 'folder' && input.disks.length > 0) {
    notes.push({
      kind: 'disk-paths',
      message: `The configuration points at the restored disks: ${input.disks.map((d) => d.targetPath).join(', ')}. Moving them later means editing it.`,
    });
  }
  if (input.replacing.length > 0) {
    notes.push({
      kind: 'replaced',
      message: `These files were replaced by their backed-up versions: ${input.replacing.join(', ')}. Anything written to them after the backup is gone.`,
    });
  }
  return notes;
}

function formatOfSource(sourceFormat: string): string {
  return sourceFormat === 'vhd' ? 'vhd' : sourceFormat;
}

function registerNote(vm: PlannedVm, input: NotesInput): MaintenanceNote {
  const config = vm.configPath ?? input.folder ?? '';
  if (input.original) {
    return {
      kind: 'register',
      message: input.configKept
        ? `The VM's own configuration ${config} was kept; the restored disks are at the paths it names. If the VM is no longer registered with its hypervisor, register it again (${registerCommand(vm, config)}).`
        : `The VM's configuration was missing and was written again at ${config} from what the image records. Register the VM with its hypervisor: ${registerCommand(vm, config)}.`,
    };
  }
  return {
    kind: 'register',
    message:
      vm.kind === 'folder'
        ? `The disks are in ${config}: attach them to a VM (or add the folder as an inventory source to back them up).`
        : `The VM must be registered with its hypervisor before it can start: ${registerCommand(vm, config)}.`,
  };
}

function registerCommand(vm: PlannedVm, config: string): string {
  switch (vm.kind) {
    case 'libvirt':
      return `virsh define '${config}'`;
    case 'virtualbox':
      return `VBoxManage registervm '${config}'`;
    case 'hyperv':
      return `copy the VM folder to the Hyper-V host and run Import-VM -Path '<folder>\\Virtual Machines\\${vm.id.toUpperCase()}.xml' -Register (use -Copy -GenerateNewId to import a second copy)`;
    case 'folder':
      return 'attach the disks to a VM';
  }
}

function idNote(vm: PlannedVm, recordedId: string | null): MaintenanceNote {
  if (vm.idKept) {
    return {
      kind: 'same-id',
      message: `The VM keeps its ID ${vm.id}: do not register it on a host where the original is still registered (the hypervisor refuses two VMs with one ID); restore with a new ID for a copy.`,
    };
  }
  return {
    kind: 'new-id',
    message: `New IDs were generated: the VM is ${vm.id}${recordedId ? ` (was ${recordedId})` : ''} and its disks have new identities. Software licensed to the VM's ID may ask to be reactivated, and its next backup is a full one.`,
  };
}

function networkNoteOf(vm: PlannedVm, original: boolean): MaintenanceNote | null {
  const remapped = vm.networkAdapters.filter((a) => a.network !== a.originalNetwork);
  const parts: string[] = [];
  if (remapped.length > 0) {
    parts.push(
      `remapped: ${remapped.map((a) => `${a.name ?? 'adapter'} ${a.originalNetwork ?? '(none)'} → ${a.network ?? '(none)'}`).join(', ')}`,
    );
  }
  if (vm.droppedAdapters.length > 0) {
    parts.push(
      `left out: ${vm.droppedAdapters.map((a) => `${a.name ?? 'adapter'} on ${a.originalNetwork ?? '(none)'}`).join(', ')}`,
    );
  }
  if (original && parts.length === 0) return null;
  if (vm.networkAdapters.length === 0 && parts.length === 0) return null;
  const networks = [...new Set(vm.networkAdapters.map((a) => a.network).filter((n) => n !== null))];
  return {
    kind: 'network',
    message: `Network adapters ${parts.length > 0 ? `were changed (${parts.join('; ')})` : 'are as they were backed up'}: check that ${networks.length > 0 ? networks.map((n) => `"${n}"`).join(', ') : 'the networks'} ${networks.length === 1 ? 'exists' : 'exist'} on the host and reconnect the adapters before starting the VM.`,
  };
}

function macNoteOf(vm: PlannedVm, original: boolean): MaintenanceNote | null {
  const changed = vm.networkAdapters.filter((a) => a.mac !== a.originalMac);
  if (changed.length > 0) {
    return {
      kind: 'mac',
      message: `MAC addresses changed: ${changed.map((a) => `${a.name ?? 'adapter'} ${a.originalMac ?? '(dynamic)'} → ${a.mac ?? '(dynamic)'}`).join(', ')}. A guest that ties its network settings to a MAC (udev rules, Windows adapter settings) sees a new adapter.`,
    };
  }
  if (original || vm.networkAdapters.every((a) => a.mac === null)) return null;
  return {
    kind: 'mac',
    message:
      'MAC addresses are the original VM’s: if the original runs on the same network, give the copy new ones (change mac to new) before starting it.',
  };
}
