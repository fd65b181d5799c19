/**
 * What the configuration writers (libvirt-writer.ts, vbox-writer.ts, hyperv-writer.ts) take:
 * a VM as it is to be restored, with every edit already applied and the disks at their
 * restored paths. The writers are pure (config in, file text out) and check their input here
 * first, so a bad value is a clear BAD_REQUEST naming the field, never a file a hypervisor
 * rejects later.
 */
import { TesseraError } from '../../../shared/errors.js';
import { VM_NAME_PATTERN } from '../../../shared/restore.js';
import type { WritableFormat } from '../disk/types.js';
import { normalizeGuid } from '../inventory/identity.js';

export interface ConfigDisk {
  /** Absolute path of the restored disk. */
  readonly path: string;
  readonly format: WritableFormat;
  /** Where the source attached it, in the source's own words ("vda", "SATA 0:1", "scsi 0:0"). */
  readonly slot: string | null;
  /** The disk's identity (GUID), as written into the disk file. */
  readonly identity: string;
}

export interface ConfigAdapter {
  readonly name: string | null;
  /** Lower-case colon-separated ("52:54:00:12:34:56"), or null to let the hypervisor pick. */
  readonly mac: string | null;
  /** The network, switch or bridge; null leaves the adapter unconnected. */
  readonly network: string | null;
}

export interface VmConfig {
  readonly name: string;
  /** The VM's GUID/UUID, lower case without braces. */
  readonly id: string;
  readonly cpus: number;
  readonly memoryMB: number;
  readonly notes: string | null;
  readonly os: string | null;
  readonly firmware: string | null;
  readonly networkAdapters: readonly ConfigAdapter[];
  readonly disks: readonly ConfigDisk[];
}

const MAC = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/;

function bad(what: string): never {
  throw new TesseraError('BAD_REQUEST', `cannot write the VM configuration: ${what}`);
}

/** Checks a configuration before any writer turns it into text. */
export function checkVmConfig(config: VmConfig): void {
  if (!VM_NAME_PATTERN.test(config.name)) {
    bad(
      `the name ${JSON.stringify(config.name)} is not usable (1 to 100 characters, no / \\ or control characters)`,
    );
  }
  if (normalizeGuid(config.id) !== config.id) {
    bad(`the VM ID "${config.id}" is not a lower-case GUID`);
  }
  if (!Number.isInteger(config.cpus) || config.cpus < 1 || config.cpus > 1024) {
    bad(`${config.cpus} CPUs: a VM has 1 to 1024`);
  }
  if (!Number.isInteger(config.memoryMB) || config.memoryMB < 4) {
    bad(`${config.memoryMB} MiB of memory: a VM needs a whole number of at least 4`);
  }
  const seen = new Set<string>();
  for (const [i, disk] of config.disks.entries()) {
    if (!disk.path.startsWith('/') && !/^[a-z]:[\\/]/i.test(disk.path)) {
      bad(`disk ${i} path "${disk.path}" is not absolute`);
    }
    if (seen.has(disk.path)) bad(`two disks are the same file ${disk.path}`);
    seen.add(disk.path);
    if (!normalizeGuid(disk.identity)) bad(`disk ${i} identity "${disk.identity}" is not a GUID`);
  }
  for (const [i, adapter] of config.networkAdapters.entries()) {
    if (adapter.mac !== null && !MAC.test(adapter.mac)) {
      bad(`network adapter ${i} MAC address "${adapter.mac}" is not six hex pairs`);
    }
  }
}

/** Text safe inside an XML element or a quoted attribute. */
export function xmlEscape(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

/** A MAC address as twelve upper-case hex digits ("00155D0A1B2C"), as Hyper-V and VirtualBox write it. */
export function bareMac(mac: string): string {
  return mac.replace(/:/g, '').toUpperCase();
}
