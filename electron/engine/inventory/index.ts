/**
 * The inventory: the VMs the user's sources hold, with their disks and metadata.
 *
 * Design: a source is a path and a kind. Each kind has a module that finds configuration files
 * (folder-source.ts with hyperv-layout.ts, libvirt-source.ts, virtualbox-source.ts), a pure
 * parser per format (hyperv-xml.ts, libvirt-domain.ts, virtualbox-machine.ts) over one XML
 * reader (xml.ts), and one disk inspector (disk-inspect.ts) that opens every disk with the disk
 * layer for its format, virtual size and differencing chain. Scanning only reads; nothing is
 * locked or written.
 *
 * Failure is per file: a missing source path, an unreadable folder or a malformed XML file is a
 * SourceProblem naming the file and the reason, and the scan goes on; a disk that cannot be
 * opened is listed with its problem. So one bad file never hides another VM.
 *
 * IDs (identity.ts) are `hyperv:<guid>`, `libvirt:<uuid>`, `vbox:<uuid>` or `folder:<hash>`:
 * stable across scans and distinct across kinds. Should two configurations still claim one ID
 * (a Hyper-V export beside its original keeps the VM GUID), the first, by configuration path,
 * keeps it and the others get `#<hash of their configuration path>` appended, with a problem
 * saying so. The same configuration found by two overlapping sources is listed once, under the
 * first source.
 */
import type {
  InventoryScan,
  InventorySource,
  InventoryVm,
  SourceProblem,
} from '../../../shared/inventory.js';
import { scanFolderSource } from './folder-source.js';
import { hashOf } from './identity.js';
import { scanLibvirtSource } from './libvirt-source.js';
import { ScanCollector } from './scan-collector.js';
import { scanVirtualBoxSource } from './virtualbox-source.js';

/** Lists the VMs of one source. Never throws: what cannot be read becomes a SourceProblem. */
export async function scanSource(source: InventorySource): Promise<InventoryScan> {
  const collector = new ScanCollector(source);
  try {
    await scanByKind(source, collector);
  } catch (error) {
    // A bug or an unforeseen error: reported against the source, never thrown at the caller.
    collector.addError(source.path, error);
  }
  const vms = [...collector.vms].sort((a, b) => compare(a.configPath, b.configPath));
  return withUniqueIds(vms, collector.problems);
}

/**
 * Lists the VMs of every source, in source order. Never throws for one bad source: it becomes
 * a SourceProblem and the other sources' VMs are listed.
 */
export async function scanSources(sources: readonly InventorySource[]): Promise<InventoryScan> {
  const scans = await Promise.all(sources.map((source) => scanSource(source)));
  return withUniqueIds(
    scans.flatMap((scan) => scan.vms),
    scans.flatMap((scan) => scan.problems),
  );
}

async function scanByKind(source: InventorySource, collector: ScanCollector): Promise<void> {
  switch (source.kind) {
    case 'folder':
      return scanFolderSource(source.path, collector);
    case 'libvirt':
      return scanLibvirtSource(source.path, collector);
    case 'virtualbox':
      return scanVirtualBoxSource(source.path, collector);
    default: {
      const unknown: never = source.kind;
      collector.addProblem(source.path, `unknown source kind "${String(unknown)}"`);
    }
  }
}

/** Makes every VM ID unique (see the note at the top). */
function withUniqueIds(
  vms: readonly InventoryVm[],
  problems: readonly SourceProblem[],
): InventoryScan {
  const byId = new Map<string, InventoryVm>();
  const listed: InventoryVm[] = [];
  const notes: SourceProblem[] = [...problems];
  for (const vm of vms) {
    const first = byId.get(vm.id);
    if (!first) {
      byId.set(vm.id, vm);
      listed.push(vm);
      continue;
    }
    if (first.configPath === vm.configPath) {
      notes.push({
        sourceId: vm.sourceId,
        path: vm.configPath,
        message: `${vm.configPath}: VM ${vm.name} (${vm.id}) is already listed by source ${first.sourceId}; it is listed once`,
      });
      continue;
    }
    const id = `${vm.id}#${hashOf(vm.configPath).slice(0, 8)}`;
    notes.push({
      sourceId: vm.sourceId,
      path: vm.configPath,
      message: `${vm.configPath}: VM ${vm.name} has the same ID as ${first.configPath} (${vm.id}), a copy of the same VM; it is listed as ${id}`,
    });
    byId.set(id, vm);
    listed.push({ ...vm, id });
  }
  return { vms: listed, problems: notes };
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
