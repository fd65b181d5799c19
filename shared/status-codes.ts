/**
 * Job status codes, on the model of NetBackup's: one number per outcome, a short message and
 * what to do about it. Every job ends with one; the CLI and the app show the message and the
 * remedy. Numbers follow NetBackup's where an equivalent exists (13 file read failed, 50
 * client process aborted, 84 media write error, 129 disk storage unit is full, 150
 * termination requested by administrator, 196 backup window closed).
 */
import type { ErrorCode } from './errors.js';

export interface StatusCode {
  readonly code: number;
  /** 'ok' succeeded, 'partial' succeeded with something to look at, 'failed' did not. */
  readonly severity: 'ok' | 'partial' | 'failed';
  readonly message: string;
  readonly remedy: string;
}

const table = {
  SUCCESS: {
    code: 0,
    severity: 'ok',
    message: 'the requested operation was successful',
    remedy: 'Nothing to do.',
  },
  PARTIAL: {
    code: 1,
    severity: 'partial',
    message: 'the requested operation was partially successful',
    remedy: "Open the job's log: it names each VM or disk that was not backed up and why.",
  },
  DISK_CHANGED: {
    code: 2,
    severity: 'partial',
    message: 'a disk changed while it was read; its image may not be consistent',
    remedy:
      'Turn on "snapshot first" in the policy (needs a file system with copy-on-write clones, such as Btrfs or XFS), or back the VM up while it is stopped.',
  },
  DISK_READ_FAILED: {
    code: 13,
    severity: 'failed',
    message: 'a disk could not be read',
    remedy:
      'Check that the disk file is readable by Tessera and that its storage is healthy; the job log names the file and the operating-system error.',
  },
  INTERRUPTED: {
    code: 40,
    severity: 'failed',
    message: 'the job was interrupted: Tessera stopped while it ran',
    remedy:
      'Nothing was lost: run the policy again. Blocks already stored are reused by the next run.',
  },
  HOST_FAILED: {
    code: 50,
    severity: 'failed',
    message: 'a backup host stopped unexpectedly',
    remedy:
      'Run the job again. If it happens again, lower the number of backup hosts or streams (tessera hosts set) and report the job log.',
  },
  DISK_OPEN_FAILED: {
    code: 71,
    severity: 'failed',
    message: 'a disk could not be opened',
    remedy:
      'Check that the disk file exists where the VM configuration says and that it is not locked by another program; rescan the source.',
  },
  DISK_BAD_IMAGE: {
    code: 74,
    severity: 'failed',
    message: 'a disk image is damaged or uses a format Tessera does not support',
    remedy:
      'Run `tessera disk info` on the file named in the job log; repair or convert the image, or restore a damaged differencing chain.',
  },
  STORE_WRITE_FAILED: {
    code: 84,
    severity: 'failed',
    message: 'the storage unit could not be written',
    remedy:
      "Check the storage unit's file system (permissions, errors in the system log); then run the job again and `tessera verify --all`.",
  },
  STORE_DAMAGED: {
    code: 85,
    severity: 'failed',
    message: 'the storage unit holds damaged or missing blocks',
    remedy:
      'Run `tessera verify --all` to list the damage; the next backup of each affected VM stores the blocks again.',
  },
  STORE_FULL: {
    code: 129,
    severity: 'failed',
    message: 'the disk storage unit is full',
    remedy:
      'Free space: expire old images (`tessera expire`) and reclaim their blocks (`tessera gc`), or move the storage unit to a larger disk.',
  },
  CANCELLED: {
    code: 150,
    severity: 'failed',
    message: 'termination requested by the user',
    remedy: 'Nothing to do; run the policy again when you want the backup.',
  },
  WINDOW_CLOSED: {
    code: 196,
    severity: 'failed',
    message: 'the backup was not attempted because its backup window closed',
    remedy:
      "Widen the schedule's start window, add backup hosts or streams, or start the backup by hand (tessera run).",
  },
  CATALOG_FAILED: {
    code: 220,
    severity: 'failed',
    message: 'the catalog database could not be read or written',
    remedy:
      "Check the storage unit's file system; if the catalog is damaged, `tessera catalog rebuild` recreates it from the storage unit.",
  },
  NO_VMS_SELECTED: {
    code: 227,
    severity: 'failed',
    message: "no VM matched the policy's selection",
    remedy:
      "Check the policy's VM list or query against the inventory (`tessera source scan`), or add the source that holds the VMs.",
  },
  POLICY_NOT_FOUND: {
    code: 230,
    severity: 'failed',
    message: 'the policy does not exist',
    remedy: 'List the policies with `tessera policy list`.',
  },
  BAD_POLICY: {
    code: 240,
    severity: 'failed',
    message: 'the policy is not valid',
    remedy: 'Edit the policy: the job log says which setting is wrong.',
  },
  INTERNAL: {
    code: 99,
    severity: 'failed',
    message: 'an internal error occurred in Tessera',
    remedy: 'Run the job again; if it fails again, report the job log.',
  },
} as const satisfies Record<string, StatusCode>;

export type StatusName = keyof typeof table;
export const STATUS: Readonly<Record<StatusName, StatusCode>> = table;

const byNumber = new Map<number, StatusCode>(Object.values(table).map((s) => [s.code, s]));

/** The entry for a status number; unknown numbers read as an internal error. */
export function statusOf(code: number): StatusCode {
  return byNumber.get(code) ?? { ...table.INTERNAL, code };
}

const RANK = { ok: 0, partial: 1, failed: 2 } as const;

/**
 * The worse of two statuses: by severity, and between two failures the first one (the
 * parent job reports the first thing that went wrong, not an arbitrary later one).
 */
export function worseStatus(a: number, b: number): number {
  return RANK[statusOf(b).severity] > RANK[statusOf(a).severity] ? b : a;
}

/** The status a job ends with when it fails with a TesseraError of `code`. */
export function statusForError(code: ErrorCode | undefined): StatusCode {
  switch (code) {
    case 'DISK_IO':
    case 'DISK_CHANGED':
      return table.DISK_READ_FAILED;
    case 'DISK_PARENT_MISSING':
      return table.DISK_OPEN_FAILED;
    case 'DISK_TRUNCATED':
    case 'DISK_BAD_SIGNATURE':
    case 'DISK_BAD_CHECKSUM':
    case 'DISK_CORRUPT':
    case 'DISK_UNSUPPORTED':
    case 'DISK_TOO_LARGE':
    case 'DISK_PARENT_CYCLE':
    case 'DISK_PARENT_MISMATCH':
    case 'DISK_LOG_UNREPLAYABLE':
    case 'DISK_UNKNOWN_FORMAT':
      return table.DISK_BAD_IMAGE;
    case 'STORE_FULL':
      return table.STORE_FULL;
    case 'STORE_IO':
    case 'STORE_NOT_FOUND':
      return table.STORE_WRITE_FAILED;
    case 'STORE_CORRUPT':
    case 'BLOCK_MISSING':
    case 'BLOCK_DAMAGED':
      return table.STORE_DAMAGED;
    case 'CATALOG_CORRUPT':
    case 'CATALOG_TOO_NEW':
    case 'CATALOG_CONFLICT':
    case 'CATALOG_IO':
      return table.CATALOG_FAILED;
    case 'CANCELLED':
      return table.CANCELLED;
    case 'HOST_FAILED':
      return table.HOST_FAILED;
    case 'BAD_REQUEST':
      return table.BAD_POLICY;
    default:
      return table.INTERNAL;
  }
}
