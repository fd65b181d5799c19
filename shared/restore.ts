/**
 * Whole-VM restore as the CLI and the app ask for it: the request (which image, where to, what
 * to change on the way), the plan the engine makes of it before writing anything (what is read,
 * what is written where, how large, what will need doing afterwards) and the result. The
 * nbrestorevm-style rename file (electron/engine/restore/rename-file.ts) parses into the same
 * edits a request carries, so the CLI and the app restore through one path.
 */
import { z } from 'zod';

/** Disk formats a restore writes: VHDX dynamic, VHD fixed (Azure), VHD dynamic, raw. */
export const RESTORE_FORMATS = ['vhdx', 'vhd-fixed', 'vhd', 'raw'] as const;
export type RestoreDiskFormat = (typeof RESTORE_FORMATS)[number];
export const restoreFormatSchema = z.enum(RESTORE_FORMATS);

/** How a person reads each format. */
export const RESTORE_FORMAT_LABELS: Readonly<Record<RestoreDiskFormat, string>> = {
  vhdx: 'VHDX (dynamic)',
  'vhd-fixed': 'VHD (fixed, as Azure needs)',
  vhd: 'VHD (dynamic)',
  raw: 'raw',
};

/**
 * A VM name a restore may give: it becomes a file name (`<name>.xml`, `<name>.vbox`), so no
 * path separators or control characters, and not `.`/`..`.
 */
// eslint-disable-next-line no-control-regex -- control characters are what it keeps out
export const VM_NAME_PATTERN = /^(?!\.{1,2}$)[^/\\\u0000-\u001f\u007f]{1,100}$/;

export const restoreVmNameSchema = z
  .string()
  .regex(
    VM_NAME_PATTERN,
    'a VM name is 1 to 100 characters without / \\ or control characters, and not . or ..',
  );

/** Which image: by backup ID, or a client's newest image at or before `at` (Unix seconds). */
export const imageChoiceSchema = z.union([
  z.object({ backupId: z.string().min(1) }).strict(),
  z
    .object({
      client: z.string().min(1),
      at: z.number().int().nonnegative().optional(),
    })
    .strict(),
]);
export type ImageChoice = z.infer<typeof imageChoiceSchema>;

/** Back where the image says the VM was, or into a folder (the restored VM's folder). */
export const restoreTargetSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('original') }).strict(),
  z.object({ kind: z.literal('folder'), path: z.string().min(1) }).strict(),
]);
export type RestoreTarget = z.infer<typeof restoreTargetSchema>;

/**
 * Network adapter mapping: adapters on network `from` (every adapter when null) move to `to`,
 * or are left out of the restored configuration when `to` is null.
 */
export const networkMappingSchema = z
  .object({ from: z.string().min(1).nullable(), to: z.string().min(1).nullable() })
  .strict();
export type NetworkMapping = z.infer<typeof networkMappingSchema>;

/** Per-disk changes: where the disk goes (relative paths are inside the target folder). */
export const diskEditSchema = z
  .object({
    position: z.number().int().nonnegative(),
    path: z.string().min(1).optional(),
    format: restoreFormatSchema.optional(),
  })
  .strict();
export type DiskEdit = z.infer<typeof diskEditSchema>;

/**
 * A rename file's `change /old/path to /new/path`: a disk whose recorded path is `from`, or
 * lies under the folder `from`, goes to `to` (with the rest of its path, for a folder).
 */
export const pathChangeSchema = z
  .object({ from: z.string().min(1), to: z.string().min(1) })
  .strict();
export type PathChange = z.infer<typeof pathChangeSchema>;

export const restoreEditsSchema = z
  .object({
    name: restoreVmNameSchema.optional(),
    /** Give the VM (and its disks) new IDs, so it can live beside the original. */
    newId: z.boolean().optional(),
    /** Give every network adapter a new MAC address (in the hypervisor's own range). */
    newMacs: z.boolean().optional(),
    cpus: z.number().int().min(1).max(1024).optional(),
    memoryMB: z
      .number()
      .int()
      .min(4)
      .max(64 * 1024 * 1024),
    /** Every disk's format, unless a disk edit names its own. Default: each disk's own. */
    format: restoreFormatSchema.optional(),
    disks: z.array(diskEditSchema).optional(),
    pathChanges: z.array(pathChangeSchema).optional(),
    networks: z.array(networkMappingSchema).optional(),
  })
  .partial()
  .strict();
export type RestoreEdits = z.infer<typeof restoreEditsSchema>;

/**
 * Whether a VM configuration is written: 'auto' writes one when the image records the VM and
 * every disk is restored; 'write' insists (and refuses when it cannot); 'none' restores disks.
 */
export const CONFIGURATION_MODES = ['auto', 'write', 'none'] as const;
export type ConfigurationMode = (typeof CONFIGURATION_MODES)[number];

export const vmRestoreRequestSchema = z
  .object({
    image: imageChoiceSchema,
    target: restoreTargetSchema,
    /** The explicit confirmation that existing files (the original VM's, too) are replaced. */
    overwrite: z.boolean().optional(),
    configuration: z.enum(CONFIGURATION_MODES).optional(),
    /** Restore only these disk positions (then no configuration is written). */
    positions: z.array(z.number().int().nonnegative()).min(1).optional(),
    edits: restoreEditsSchema.optional(),
    /** Flush every file to stable storage before it is renamed into place. */
    durable: z.boolean().optional(),
  })
  .strict();
export type VmRestoreRequest = z.infer<typeof vmRestoreRequestSchema>;

/** The kinds of configuration a restore writes: one per source type Tessera reads. */
export type ConfigKind = 'libvirt' | 'virtualbox' | 'hyperv' | 'folder';

export const CONFIG_KIND_LABELS: Readonly<Record<ConfigKind, string>> = {
  libvirt: 'libvirt domain XML',
  virtualbox: 'VirtualBox machine (.vbox)',
  hyperv: 'Hyper-V folder layout (2012 R2 XML configuration)',
  folder: 'folder of disks',
};

export interface PlannedReadDisk {
  readonly position: number;
  readonly name: string;
  readonly sourcePath: string;
  readonly virtualSize: number;
  /** Bytes of stored (non-zero) blocks read and checked against their digests. */
  readonly dataBytes: number;
}

export interface PlannedDisk {
  readonly position: number;
  /** The disk as the image recorded it. */
  readonly sourceName: string;
  readonly sourcePath: string;
  readonly sourceFormat: string;
  readonly targetPath: string;
  readonly format: RestoreDiskFormat;
  readonly virtualSize: number;
  /** The identity (GUID) the restored disk gets: the recorded one, or new with a new ID. */
  readonly identity: string;
  /** Where the VM's configuration attaches it ("vda", "SATA 0:0", "scsi 0:1"). */
  readonly slot: string | null;
}

/** One file the restore writes (or, for an original configuration, leaves alone). */
export interface PlannedFile {
  readonly kind: 'disk' | 'configuration';
  readonly path: string;
  /** 'create' a new file; 'replace' an existing one (needs overwrite); 'keep' it as it is. */
  readonly action: 'create' | 'replace' | 'keep';
  /** Size of the file once written (for dynamic disks, about: data plus metadata). */
  readonly bytes: number;
  readonly position: number | null;
  readonly format: RestoreDiskFormat | null;
}

export interface PlannedAdapter {
  readonly name: string | null;
  readonly mac: string | null;
  readonly network: string | null;
  /** As the image recorded it. */
  readonly originalMac: string | null;
  readonly originalNetwork: string | null;
}

export interface PlannedVm {
  readonly kind: ConfigKind;
  readonly name: string;
  readonly originalName: string;
  /** The hypervisor ID the configuration carries (a GUID/UUID; for folder VMs a path hash). */
  readonly id: string;
  readonly idKept: boolean;
  /** The configuration file written (or kept); null for a folder of disks. */
  readonly configPath: string | null;
  readonly cpus: number;
  readonly memoryMB: number;
  readonly notes: string | null;
  readonly os: string | null;
  readonly firmware: string | null;
  readonly networkAdapters: readonly PlannedAdapter[];
  /** Adapters a mapping left out. */
  readonly droppedAdapters: readonly PlannedAdapter[];
}

export type MaintenanceKind =
  | 'register'
  | 'new-id'
  | 'same-id'
  | 'network'
  | 'mac'
  | 'disk-format'
  | 'disk-paths'
  | 'defaults'
  | 'checkpoints'
  | 'disks-only'
  | 'replaced';

/** What must (or may need to) be done once the files are back, as the admin guide lists it. */
export interface MaintenanceNote {
  readonly kind: MaintenanceKind;
  readonly message: string;
}

export interface RestorePlan {
  readonly backupId: string;
  readonly client: string;
  /** Unix seconds. */
  readonly createdAt: number;
  readonly target: { readonly kind: 'original' | 'folder'; readonly folder: string | null };
  readonly overwrite: boolean;
  /** The VM configuration written; null restores the disks only (see warnings for why). */
  readonly vm: PlannedVm | null;
  readonly reads: readonly PlannedReadDisk[];
  readonly disks: readonly PlannedDisk[];
  /** Every file, in the order it is put in place. */
  readonly files: readonly PlannedFile[];
  /** Bytes of block data read from the storage unit (each block checked). */
  readonly readBytes: number;
  /** Bytes written, about (dynamic disks hold only their data). */
  readonly writeBytes: number;
  readonly warnings: readonly string[];
  /** What will need doing after the restore. */
  readonly notes: readonly MaintenanceNote[];
}

export interface RestoredVmDisk {
  readonly position: number;
  readonly path: string;
  readonly virtualSize: number;
  readonly format: RestoreDiskFormat;
  readonly identity: string;
}

export interface VmRestoreResult {
  readonly backupId: string;
  readonly disks: readonly RestoredVmDisk[];
  /** The configuration written, or null (disks only, a folder VM, or an original kept). */
  readonly configPath: string | null;
  /** Files that existed and were replaced (overwrite). */
  readonly replaced: readonly string[];
  readonly notes: readonly MaintenanceNote[];
  readonly warnings: readonly string[];
}

/**
 * One line of a rename file, parsed (see electron/engine/restore/rename-file.ts for the
 * format). `line` is 1-based, for messages.
 */
export type RenameDirective =
  | { readonly kind: 'vmname'; readonly line: number; readonly name: string }
  | { readonly kind: 'vmid'; readonly line: number; readonly value: 'new' | 'keep' }
  | { readonly kind: 'mac'; readonly line: number; readonly value: 'new' | 'keep' }
  | { readonly kind: 'cpus'; readonly line: number; readonly cpus: number }
  | { readonly kind: 'memory'; readonly line: number; readonly memoryMB: number }
  | {
      readonly kind: 'format';
      readonly line: number;
      /** null: every disk. */
      readonly position: number | null;
      readonly format: RestoreDiskFormat;
    }
  | { readonly kind: 'path'; readonly line: number; readonly from: string; readonly to: string }
  | { readonly kind: 'disk'; readonly line: number; readonly position: number; readonly to: string }
  | {
      readonly kind: 'network';
      readonly line: number;
      /** null: every adapter. */
      readonly from: string | null;
      /** null: leave the adapters out. */
      readonly to: string | null;
    };
