import type { Command } from 'commander';
import { TesseraError } from '../../../shared/errors.js';
import { describeProblem } from '../../../shared/inventory.js';
import { SOURCE_KINDS, type SourceKind } from '../../../shared/policy.js';
import { formatBytes } from '../human.js';
import { dataOptions, withService } from './service-options.js';

const print = (text: string): void => void process.stdout.write(`${text}\n`);

interface Flags {
  data?: string;
  store?: string;
  json?: boolean;
  name?: string;
}

export function registerInventoryCommands(program: Command): void {
  const source = program.command('source').description('inventory sources that discover VMs');
  dataOptions(source.command('add').argument('<kind>', SOURCE_KINDS.join(' | ')).argument('<path>'))
    .description(
      'add a source: a folder (Hyper-V layout or loose disks), libvirt domain XML, or VirtualBox .vbox',
    )
    .option('--name <name>', 'a name for the source (default: the folder or file name)')
    .action(async (kind: string, path: string, flags: Flags) => {
      if (!(SOURCE_KINDS as readonly string[]).includes(kind))
        throw new TesseraError(
          'BAD_REQUEST',
          `source kind "${kind}" is not one of ${SOURCE_KINDS.join(', ')}`,
        );
      await withService(flags, async (service) => {
        const added = service.addSource({ kind: kind as SourceKind, path, name: flags.name });
        if (flags.json) return print(JSON.stringify(added, null, 2));
        print(`source ${added.id} "${added.name}" (${added.kind}) ${added.path}`);
      });
    });

  dataOptions(source.command('list'))
    .description('list the sources')
    .action(async (flags: Flags) => {
      await withService(flags, async (service) => {
        const sources = service.listSources();
        if (flags.json) return print(JSON.stringify(sources, null, 2));
        if (sources.length === 0) return print('no sources yet: tessera source add folder <dir>');
        for (const s of sources)
          print(`${String(s.id).padStart(4)}  ${s.name.padEnd(20)} ${s.kind.padEnd(10)} ${s.path}`);
      });
    });

  dataOptions(source.command('remove').argument('<source>', 'ID or name'))
    .description('remove a source (images of its VMs stay)')
    .action(async (which: string, flags: Flags) => {
      await withService(flags, async (service) => {
        const key = /^\d+$/.test(which) ? Number(which) : which;
        if (!service.removeSource(key))
          throw new TesseraError('CATALOG_NOT_FOUND', `no source "${which}"`);
        print(`source ${which} removed`);
      });
    });

  dataOptions(source.command('scan'))
    .description('discover the VMs of every source, with their disks and metadata')
    .action(async (flags: Flags) => {
      await withService(flags, async (service) => {
        const scan = await service.scanInventory();
        if (flags.json) return print(JSON.stringify(scan, null, 2));
        for (const vm of scan.vms) {
          const m = vm.metadata;
          const facts = [
            m.cpus !== null ? `${m.cpus} CPUs` : null,
            m.memoryMB !== null ? `${m.memoryMB} MB` : null,
            m.networkAdapters.length > 0 ? `${m.networkAdapters.length} NICs` : null,
            m.os,
          ].filter(Boolean);
          print(`${vm.name}  [${vm.id}]  ${facts.join(', ')}`);
          for (const disk of vm.disks) {
            const size = disk.virtualSize === null ? 'unreadable' : formatBytes(disk.virtualSize);
            const chain =
              disk.chain.length > 0 ? ` (differencing, ${disk.chain.length} parents)` : '';
            print(
              `  ${disk.format.padEnd(5)} ${size.padStart(10)}  ${disk.path}${chain}${disk.problem ? `  ! ${disk.problem}` : ''}`,
            );
          }
        }
        for (const problem of scan.problems)
          process.stderr.write(`warning: ${describeProblem(problem)}\n`);
        if (scan.vms.length === 0) print('no VMs found');
      });
    });
}
