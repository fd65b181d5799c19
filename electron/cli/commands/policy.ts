import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { TesseraError } from '../../../shared/errors.js';
import { newPolicy, type Policy } from '../../../shared/policy.js';
import { dataOptions, withService } from './service-options.js';
import { formatSchedule, parseScheduleSpec } from './schedule-spec.js';

const print = (text: string): void => void process.stdout.write(`${text}\n`);

interface PolicyFlags {
  data?: string;
  store?: string;
  file?: string;
  vms?: string;
  query?: string;
  accelerator?: boolean;
  forcedRescanEvery?: string;
  snapshotFirst?: boolean;
  hosts?: string;
  streams?: string;
  schedule?: string[];
  removeSchedule?: string[];
  enable?: boolean;
  disable?: boolean;
  json?: boolean;
}

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

function count(text: string | undefined, what: string): number | null | undefined {
  if (text === undefined) return undefined;
  if (text === 'default') return null;
  if (!/^\d+$/.test(text))
    throw new TesseraError(
      'BAD_REQUEST',
      `${what} must be a whole number or "default", not "${text}"`,
    );
  return Number(text);
}

/** Applies the command-line flags to a policy (a new one starts from the defaults). */
function applyFlags(base: Policy, flags: PolicyFlags): Policy {
  let policy: Policy = { ...base };
  if (flags.vms !== undefined && flags.query !== undefined)
    throw new TesseraError('BAD_REQUEST', 'give either --vms or --query, not both');
  if (flags.vms !== undefined)
    policy.selection = {
      kind: 'list',
      vms: flags.vms
        .split(',')
        .map((v) => v.trim())
        .filter(Boolean),
    };
  if (flags.query !== undefined) policy.selection = { kind: 'query', query: flags.query };
  if (flags.accelerator !== undefined) policy.accelerator = flags.accelerator;
  if (flags.snapshotFirst !== undefined) policy.snapshotFirst = flags.snapshotFirst;
  if (flags.enable) policy.enabled = true;
  if (flags.disable) policy.enabled = false;
  const every = count(flags.forcedRescanEvery, '--forced-rescan-every');
  if (every !== undefined) policy.forcedRescanEvery = every === 0 ? null : every;
  const hosts = count(flags.hosts, '--hosts');
  if (hosts !== undefined) policy.hosts = hosts;
  const streams = count(flags.streams, '--streams');
  if (streams !== undefined) policy.streamsPerHost = streams;
  const removed = new Set(flags.removeSchedule ?? []);
  const added = (flags.schedule ?? []).map(parseScheduleSpec);
  policy = {
    ...policy,
    schedules: [
      ...policy.schedules.filter(
        (s) => !removed.has(s.name) && !added.some((a) => a.name === s.name),
      ),
      ...added,
    ],
  };
  return policy;
}

function describe(policy: Policy): string {
  const lines = [
    `policy ${policy.name}${policy.enabled ? '' : ' (disabled)'}`,
    `  selection:     ${policy.selection.kind === 'list' ? `VMs ${policy.selection.vms.join(', ')}` : `query ${policy.selection.query}`}`,
    `  accelerator:   ${policy.accelerator ? 'on' : 'off'}${policy.forcedRescanEvery ? `, forced rescan every ${policy.forcedRescanEvery} backups` : ''}`,
    `  snapshot:      ${policy.snapshotFirst ? 'copy-on-write clone first' : 'read the live disks'}`,
    `  hosts:         ${policy.hosts ?? 'from tessera.conf'} x ${policy.streamsPerHost ?? 'tessera.conf'} streams`,
    `  schedules:     ${policy.schedules.length === 0 ? 'none (run by hand)' : ''}`,
    ...policy.schedules.map((s) => `    ${formatSchedule(s)}`),
  ];
  return lines.join('\n');
}

export function registerPolicyCommands(program: Command): void {
  const policy = program.command('policy').description('backup policies: which VMs, how, when');
  const withFlags = (command: Command): Command =>
    dataOptions(command, false)
      .option('--vms <list>', 'select VMs by ID or name, comma-separated')
      .option(
        '--query <query>',
        'select VMs by query, e.g. \'name contains "sql" and memoryMB >= 4096\'',
      )
      .option('--accelerator', 'Accelerator backups: read everything, send only changed blocks')
      .option('--no-accelerator', 'every backup hashes every block (a full)')
      .option('--forced-rescan-every <n>', 'every Nth backup ignores the track log (0: never)')
      .option('--snapshot-first', 'clone each disk (copy-on-write) before reading it')
      .option('--no-snapshot-first', 'read the live disks')
      .option('--hosts <n>', 'backup hosts for this policy ("default": tessera.conf)')
      .option('--streams <n>', 'streams per backup host ("default": tessera.conf)')
      .option(
        '--schedule <spec>',
        'add or replace a schedule: "name=nightly type=accelerator every=1d window=22:00+6h keep=30d"',
        collect,
      )
      .option('--json', 'print the policy as JSON');

  withFlags(policy.command('add').argument('<name>'))
    .option('--file <policy.json>', 'read the whole policy from a JSON file')
    .option('--disable', 'create it disabled (the scheduler ignores it)')
    .description('create a policy')
    .action(async (name: string, flags: PolicyFlags) => {
      await withService(flags, async (service) => {
        const base: Policy = flags.file
          ? (JSON.parse(await readFile(flags.file, 'utf8')) as Policy)
          : newPolicy(name, { kind: 'list', vms: [] });
        if (!flags.file && flags.vms === undefined && flags.query === undefined)
          throw new TesseraError('BAD_REQUEST', 'a policy selects VMs: give --vms or --query');
        const saved = service.savePolicy({ ...applyFlags(base, flags), name }, { create: true });
        print(flags.json ? JSON.stringify(saved, null, 2) : describe(saved));
      });
    });

  withFlags(policy.command('edit').argument('<name>'))
    .option('--remove-schedule <name>', 'remove a schedule', collect)
    .option('--enable', 'let the scheduler run it')
    .option('--disable', 'keep the scheduler from running it')
    .description('change a policy')
    .action(async (name: string, flags: PolicyFlags) => {
      await withService(flags, async (service) => {
        const saved = service.savePolicy(applyFlags(service.getPolicy(name), flags), {
          replace: true,
        });
        print(flags.json ? JSON.stringify(saved, null, 2) : describe(saved));
      });
    });

  dataOptions(policy.command('list'))
    .description('list the policies')
    .action(async (flags: PolicyFlags) => {
      await withService(flags, async (service) => {
        const policies = service.listPolicies();
        if (flags.json) return print(JSON.stringify(policies, null, 2));
        if (policies.length === 0)
          return print('no policies yet: tessera policy add <name> --query ... --schedule ...');
        for (const p of policies) {
          const selection =
            p.selection.kind === 'list' ? p.selection.vms.join(',') : p.selection.query;
          print(
            `${p.name.padEnd(20)} ${p.enabled ? 'enabled ' : 'disabled'} ${String(p.schedules.length).padStart(2)} schedules  ${selection}`,
          );
        }
      });
    });

  dataOptions(policy.command('show').argument('<name>'))
    .description('show a policy and the VMs it selects now')
    .action(async (name: string, flags: PolicyFlags) => {
      await withService(flags, async (service) => {
        const found = service.getPolicy(name);
        const vms = await service.previewSelection(found.selection);
        if (flags.json)
          return print(
            JSON.stringify(
              { policy: found, vms: vms.map((v) => ({ id: v.id, name: v.name })) },
              null,
              2,
            ),
          );
        print(describe(found));
        print(
          `  selects now:   ${vms.length === 0 ? 'no VMs' : vms.map((v) => v.name).join(', ')}`,
        );
      });
    });

  dataOptions(policy.command('delete').argument('<name>'), false)
    .description('delete a policy (its images stay until they expire)')
    .action(async (name: string, flags: PolicyFlags) => {
      await withService(flags, async (service) => {
        if (!service.deletePolicy(name))
          throw new TesseraError('CATALOG_NOT_FOUND', `no policy named "${name}"`);
        print(`policy ${name} deleted`);
      });
    });
}
