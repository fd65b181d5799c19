/**
 * Compound backup jobs as a user runs them: the real `tessera` entry point in a child process,
 * against a data directory in a scratch folder and a folder source of three VMs whose disks
 * (VHDX, VHD, raw) qemu-img made and qemu-io wrote seeded data into. The tests of the first
 * describe build on each other (one data directory), in order.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { constants } from 'node:fs';
import { mkdir, open, readdir, readFile, writeFile } from 'node:fs/promises';
import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import type { ImageRow, JobLogRow } from '../../../electron/engine/catalog/types.js';
import type {
  WorkloadDiscoveryFile,
  WorkloadDistributionFile,
} from '../../../electron/engine/jobs/workload-files.js';
import type { InventoryScan, InventorySource } from '../../../shared/inventory.js';
import type { JobInfo } from '../../../shared/jobs.js';
import type { Policy } from '../../../shared/policy.js';
import { STATUS } from '../../../shared/status-codes.js';
import { MiB, qemuVhdx, qemuWrites, seededWrites } from '../../fixtures/vhdx-images.js';
import { tessera, type CliResult } from '../../helpers/cli.js';
import { scratchDir, seededBytes } from '../../helpers/scratch.js';
import { qemuImg, tool } from '../../helpers/tools.js';

const KiB = 1024;
const OK = `done (status 0: ${STATUS.SUCCESS.message})`;

let dir: string;
let cleanup: () => Promise<void>;
/** The data directory: tessera.conf, store/, jobs/. */
let data: string;
/** The folder source: one sub-folder per VM. */
let vms: string;
const disks = { alpha: '', beta: '', gamma: '' };

beforeAll(async () => {
  ({ dir, cleanup } = await scratchDir('tessera-compound-cli-'));
  data = path.join(dir, 'data');
  vms = path.join(dir, 'vms');
  for (const vm of ['alpha', 'beta', 'gamma']) await mkdir(path.join(vms, vm), { recursive: true });
  disks.beta = path.join(vms, 'beta', 'beta.vhd');
  disks.gamma = path.join(vms, 'gamma', 'gamma.raw');
  await Promise.all([
    qemuVhdx(
      path.join(vms, 'alpha'),
      'alpha.vhdx',
      64 * MiB,
      seededWrites([
        [0, 4 * MiB, 1],
        [40 * MiB, 2 * MiB, 2],
      ]),
    ).then((file) => (disks.alpha = file)),
    qemuImg(
      'create',
      '-q',
      '-f',
      'vpc',
      '-o',
      'subformat=dynamic,force_size=on',
      disks.beta,
      String(32 * MiB),
    ).then(() => qemuWrites(dir, disks.beta, 'vpc', seededWrites([[MiB, 3 * MiB, 3]]))),
    qemuImg('create', '-q', '-f', 'raw', disks.gamma, String(48 * MiB)).then(() =>
      qemuWrites(
        dir,
        disks.gamma,
        'raw',
        seededWrites([
          [0, 2 * MiB, 4],
          [30 * MiB, MiB, 5],
        ]),
      ),
    ),
  ]);
});
afterAll(() => cleanup());

/** `tessera <args> --data <data>`. */
const cli = (...args: string[]): Promise<CliResult> => tessera([...args, '--data', data]);

/** Runs a command with --json, expects exit 0, and parses its output. */
async function json<T>(...args: string[]): Promise<T> {
  const result = await cli(...args, '--json');
  expect(result.code, `${args.join(' ')}: ${result.stderr}`).toBe(0);
  return JSON.parse(result.stdout) as T;
}

/** Expects exit 2 and one `tessera: <message> [CODE]` line on stderr. */
function expectUsage(result: CliResult, message: string, code = 'BAD_REQUEST'): void {
  expect(result.code, result.stdout + result.stderr).toBe(2);
  expect(result.stderr).toBe(`tessera: ${message} [${code}]\n`);
}

/** `tessera images --json`, the storage unit found through $TESSERA_DATA. */
async function images(): Promise<ImageRow[]> {
  const result = await tessera(['images', '--json'], { env: { TESSERA_DATA: data } });
  expect(result.code, result.stderr).toBe(0);
  return JSON.parse(result.stdout) as ImageRow[];
}

const readJson = async <T>(file: string): Promise<T> =>
  JSON.parse(await readFile(file, 'utf8')) as T;
const jobFiles = (jobId: number): Promise<string[]> =>
  readdir(path.join(data, 'jobs', String(jobId))).then((names) => names.sort());

/** The job tree `tessera run` and `tessera job show` draw for a successful run on two hosts. */
function successTree(jobId: number, policy: string, host1Disks: number): string {
  return [
    `compound job ${jobId} policy ${policy}: ${OK}`,
    `├─ discovery: ${OK}`,
    `├─ backup host 0 (1 streams, 1 disks): ${OK}`,
    `└─ backup host 1 (1 streams, ${host1Disks} disks): ${OK}`,
  ].join('\n');
}

/** The backup IDs of an `images: a, b, c` line, sorted. */
function imagesLine(stdout: string): string[] {
  const line = stdout.split('\n').find((l) => l.startsWith('images: '));
  expect(line, stdout).toBeDefined();
  return line!.slice('images: '.length).split(', ').sort();
}

describe('tessera source, policy, hosts, run and job on a folder of three VMs', () => {
  /** The first run's job and images, by VM name. */
  let firstJob: number;
  let secondJob: number;
  let firstImages: Record<string, string>;
  /** stderr of a scan with a missing source; see the it.fails below. */
  let missingScan: CliResult;
  const gone = (): string => path.join(dir, 'gone');

  it('source add folder, then list and scan show the three VMs and their disks', async () => {
    const added = await json<InventorySource>('source', 'add', 'folder', vms);
    expect(added).toMatchObject({ id: 1, kind: 'folder', name: 'vms', path: vms });

    const [list, listJson, scan, scanJson] = await Promise.all([
      cli('source', 'list'),
      json<InventorySource[]>('source', 'list'),
      cli('source', 'scan'),
      json<InventoryScan>('source', 'scan'),
    ]);
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout).toBe(`   1  ${'vms'.padEnd(20)} ${'folder'.padEnd(10)} ${vms}\n`);
    expect(listJson).toEqual([added]);

    expect(scanJson.problems).toEqual([]);
    expect(
      scanJson.vms.map((vm) => ({ name: vm.name, source: vm.sourceId, disks: vm.disks })),
    ).toEqual([
      { name: 'alpha', source: 1, disks: [diskOf(disks.alpha, 'vhdx', 64 * MiB)] },
      { name: 'beta', source: 1, disks: [diskOf(disks.beta, 'vhd', 32 * MiB)] },
      { name: 'gamma', source: 1, disks: [diskOf(disks.gamma, 'raw', 48 * MiB)] },
    ]);
    for (const vm of scanJson.vms) expect(vm.id).toMatch(/^folder:[0-9a-f]+$/);

    expect(scan.code, scan.stderr).toBe(0);
    expect(scan.stderr).toBe('');
    const [alpha, beta, gamma] = scanJson.vms;
    expect(scan.stdout.split('\n')).toEqual([
      `alpha  [${alpha!.id}]  `,
      `  vhdx    64.0 MiB  ${disks.alpha}`,
      `beta  [${beta!.id}]  `,
      `  vhd     32.0 MiB  ${disks.beta}`,
      `gamma  [${gamma!.id}]  `,
      `  raw     48.0 MiB  ${disks.gamma}`,
      '',
    ]);
  });

  it('a source whose path is missing is a warning; the other VMs are still listed', async () => {
    const added = await cli('source', 'add', 'folder', gone(), '--name', 'missing');
    expect(added.code, added.stderr).toBe(0);
    expect(added.stdout).toBe(`source 2 "missing" (folder) ${gone()}\n`);

    const [scan, scanJson] = await Promise.all([
      cli('source', 'scan'),
      json<InventoryScan>('source', 'scan'),
    ]);
    missingScan = scan;
    expect(scanJson.vms.map((vm) => vm.name)).toEqual(['alpha', 'beta', 'gamma']);
    expect(scanJson.problems).toEqual([
      {
        sourceId: 2,
        path: gone(),
        message: `${gone()}: cannot open the folder: no such file or folder`,
      },
    ]);
    expect(scan.code, scan.stderr).toBe(0);
    expect(scan.stdout.match(/^\S+ {2}\[folder:/gm)).toHaveLength(3);
    expect(scan.stderr).toMatch(/^warning: .*: cannot open the folder: no such file or folder\n$/);
    expect(scan.stderr).toContain(gone());

    const removed = await cli('source', 'remove', 'missing');
    expect(removed.code, removed.stderr).toBe(0);
    expect(removed.stdout).toBe('source missing removed\n');
    const [again, list] = await Promise.all([
      cli('source', 'remove', 'missing'),
      json<InventorySource[]>('source', 'list'),
    ]);
    expectUsage(again, 'no source "missing"', 'CATALOG_NOT_FOUND');
    expect(list.map((s) => s.name)).toEqual(['vms']);
  });

  // A SourceProblem's message starts with its path: printed once, not twice.
  it('prints the path of a scan warning once', () => {
    expect(missingScan.stderr).toBe(
      `warning: ${gone()}: cannot open the folder: no such file or folder\n`,
    );
  });

  it('policy add with a query and a schedule; list and show (the VMs it selects now)', async () => {
    const query = 'name in ("alpha", "beta", "gamma") and disks = 1';
    const schedule = 'name=nightly type=accelerator every=1d window=22:00+6h keep=30d';
    const added = await cli('policy', 'add', 'nightly', '--query', query, '--schedule', schedule);
    expect(added.code, added.stderr).toBe(0);
    const described = [
      'policy nightly',
      `  selection:     query ${query}`,
      '  accelerator:   on',
      '  snapshot:      read the live disks',
      '  hosts:         from tessera.conf x tessera.conf streams',
      '  schedules:     ',
      `    ${schedule}`,
    ].join('\n');
    expect(added.stdout).toBe(`${described}\n`);

    const [list, listJson, show, showJson] = await Promise.all([
      cli('policy', 'list'),
      json<Policy[]>('policy', 'list'),
      cli('policy', 'show', 'nightly'),
      json<{ policy: Policy; vms: { id: string; name: string }[] }>('policy', 'show', 'nightly'),
    ]);
    const policy: Policy = {
      name: 'nightly',
      enabled: true,
      selection: { kind: 'query', query },
      accelerator: true,
      forcedRescanEvery: null,
      snapshotFirst: false,
      hosts: null,
      streamsPerHost: null,
      schedules: [
        {
          name: 'nightly',
          type: 'accelerator',
          frequencySeconds: 86_400,
          window: { startMinute: 22 * 60, durationMinutes: 360 },
          retentionSeconds: 30 * 86_400,
        },
      ],
    };
    expect(listJson).toEqual([policy]);
    expect(list.stdout).toBe(`nightly              enabled   1 schedules  ${query}\n`);
    expect(showJson.policy).toEqual(policy);
    expect(showJson.vms.map((vm) => vm.name)).toEqual(['alpha', 'beta', 'gamma']);
    expect(show.code, show.stderr).toBe(0);
    expect(show.stdout).toBe(`${described}\n  selects now:   alpha, beta, gamma\n`);
  });

  it('policy edit adds and removes schedules and disables; policy delete removes it', async () => {
    const added = await cli(
      'policy',
      'add',
      'spare',
      '--vms',
      'alpha, beta',
      '--no-accelerator',
      '--hosts',
      '3',
      '--schedule',
      'name=daily every=1d',
    );
    expect(added.code, added.stderr).toBe(0);
    expect(added.stdout).toContain('  selection:     VMs alpha, beta\n');
    expect(added.stdout).toContain('  accelerator:   off\n');
    expect(added.stdout).toContain('  hosts:         3 x tessera.conf streams\n');

    const withWeekly = await json<Policy>(
      'policy',
      'edit',
      'spare',
      '--schedule',
      'name=weekly type=full every=1w keep=8w',
    );
    expect(withWeekly.schedules.map((s) => s.name)).toEqual(['daily', 'weekly']);
    expect(withWeekly.schedules[1]).toEqual({
      name: 'weekly',
      type: 'full',
      frequencySeconds: 7 * 86_400,
      window: null,
      retentionSeconds: 8 * 7 * 86_400,
    });
    expect(withWeekly).toMatchObject({ enabled: true, accelerator: false, hosts: 3 });

    const edited = await cli('policy', 'edit', 'spare', '--remove-schedule', 'daily', '--disable');
    expect(edited.code, edited.stderr).toBe(0);
    expect(edited.stdout).toMatch(/^policy spare \(disabled\)\n/);
    expect(edited.stdout).toContain(
      '\n  schedules:     \n    name=weekly type=full every=1w keep=8w\n',
    );
    expect(edited.stdout).not.toContain('name=daily');

    const [list, listJson] = await Promise.all([
      cli('policy', 'list'),
      json<Policy[]>('policy', 'list'),
    ]);
    expect(list.stdout.split('\n')).toContain(
      'spare                disabled  1 schedules  alpha,beta',
    );
    expect(listJson.find((p) => p.name === 'spare')).toMatchObject({
      enabled: false,
      selection: { kind: 'list', vms: ['alpha', 'beta'] },
      schedules: [{ name: 'weekly' }],
    });

    const deleted = await cli('policy', 'delete', 'spare');
    expect(deleted.code, deleted.stderr).toBe(0);
    expect(deleted.stdout).toBe('policy spare deleted\n');
    const [show, again, names] = await Promise.all([
      cli('policy', 'show', 'spare'),
      cli('policy', 'delete', 'spare'),
      json<Policy[]>('policy', 'list').then((ps) => ps.map((p) => p.name)),
    ]);
    expectUsage(show, 'no policy named "spare"', 'CATALOG_NOT_FOUND');
    expectUsage(again, 'no policy named "spare"', 'CATALOG_NOT_FOUND');
    expect(names).toEqual(['nightly']);
  });

  it('a query that does not parse, or --vms with --query, exits 2 and saves nothing', async () => {
    const [typo, wrongType, both, neither, badSchedule] = await Promise.all([
      cli('policy', 'add', 'typo', '--query', 'name contans "sql"'),
      cli('policy', 'edit', 'nightly', '--query', 'memoryMB >= "big"'),
      cli('policy', 'add', 'both', '--vms', 'alpha', '--query', 'name = "alpha"'),
      cli('policy', 'add', 'neither'),
      cli('policy', 'add', 'often', '--vms', 'alpha', '--schedule', 'name=x every=30s'),
    ]);
    expectUsage(
      typo,
      'column 6: expected an operator after name (=, !=, <, <=, >, >=, contains, startswith, endswith, matches or in), found "contans"',
    );
    expectUsage(
      wrongType,
      'column 13: memoryMB is a number; expected a number after ">=", found the string "big"',
    );
    expectUsage(both, 'give either --vms or --query, not both');
    expectUsage(neither, 'a policy selects VMs: give --vms or --query');
    expectUsage(badSchedule, 'schedules.0.frequencySeconds: a schedule runs at most once a minute');
    const policies = await json<Policy[]>('policy', 'list');
    expect(policies.map((p) => p.name)).toEqual(['nightly']);
    expect(policies[0]!.selection).toEqual({
      kind: 'query',
      query: 'name in ("alpha", "beta", "gamma") and disks = 1',
    });
  });

  it('hosts set --hosts 2 --streams 1 writes tessera.conf, which hosts show reads', async () => {
    const conf = path.join(data, 'tessera.conf');
    const set = await cli('hosts', 'set', '--hosts', '2', '--streams', '1');
    expect(set.code, set.stderr).toBe(0);
    expect(set.stdout).toBe(`backup hosts: 2, streams per host: 1 (saved in ${conf})\n`);

    const [shown, shownText, none, zero] = await Promise.all([
      // $TESSERA_DATA stands in for --data.
      tessera(['hosts', 'show', '--json'], { env: { TESSERA_DATA: data } }),
      cli('hosts', 'show'),
      cli('hosts', 'set'),
      cli('hosts', 'set', '--hosts', '0'),
    ]);
    expect(shown.code, shown.stderr).toBe(0);
    expect(JSON.parse(shown.stdout)).toEqual({ hosts: 2, streamsPerHost: 1, file: conf });
    expect(shownText.stdout).toBe(
      `backup hosts:      2\nstreams per host:  1\nconfiguration:     ${conf}\n`,
    );
    expectUsage(none, 'give --hosts and/or --streams');
    expectUsage(zero, 'hosts: hosts must be a whole number from 1 to 64, not "0"');

    expect(await readFile(conf, 'utf8')).toBe(
      [
        '# Tessera backup host settings (see the README). Edit by hand or with `tessera hosts set`.',
        '# Backup host workers that read disks and compute changed blocks.',
        'hosts = 2',
        '# Disks each backup host reads at once (NO_OF_BACKUP_STREAMS_PER_NODE).',
        'streamsPerHost = 1',
        '',
      ].join('\n'),
    );
  });

  it('run: exit 0, the job tree, the images, and the workload files of discovery and each host', async () => {
    const result = await cli('run', 'nightly');
    expect(result.code, result.stderr).toBe(0);
    firstJob = Number(/^compound job (\d+) policy nightly: /m.exec(result.stdout)?.[1]);
    expect(firstJob).toBeGreaterThan(0);
    // alpha (64 MiB) goes to host 0; gamma (48 MiB) then beta (32 MiB) to host 1.
    expect(result.stdout).toContain(`${successTree(firstJob, 'nightly', 2)}\n`);
    const listed = imagesLine(result.stdout);
    expect(listed).toHaveLength(3);
    firstImages = Object.fromEntries(listed.map((id) => [id.split('_')[0]!, id]));
    expect(Object.keys(firstImages).sort()).toEqual(['alpha', 'beta', 'gamma']);
    expect(result.stdout).not.toContain('what to do');

    expect(await jobFiles(firstJob)).toEqual([
      'workload-discovery.json',
      'workload-distribution-host-0.json',
      'workload-distribution-host-1.json',
    ]);
    const jobDir = path.join(data, 'jobs', String(firstJob));
    const discovery = await readJson<WorkloadDiscoveryFile>(
      path.join(jobDir, 'workload-discovery.json'),
    );
    expect(discovery).toMatchObject({
      format: 'tessera-workload-discovery',
      jobId: firstJob,
      policy: 'nightly',
      query: 'name in ("alpha", "beta", "gamma") and disks = 1',
      skipped: [],
      problems: [],
    });
    expect(discovery.vms.map((vm) => [vm.name, vm.disks.map((d) => d.path)])).toEqual([
      ['alpha', [disks.alpha]],
      ['beta', [disks.beta]],
      ['gamma', [disks.gamma]],
    ]);

    const distribution = (host: number): Promise<WorkloadDistributionFile> =>
      readJson(path.join(jobDir, `workload-distribution-host-${host}.json`));
    const [host0, host1] = await Promise.all([distribution(0), distribution(1)]);
    expect(host0).toMatchObject({
      format: 'tessera-workload-distribution',
      jobId: firstJob,
      host: 0,
      streams: 1,
      totalBytes: 64 * MiB,
    });
    expect(host1).toMatchObject({ host: 1, streams: 1, totalBytes: 80 * MiB });
    const brief = (file: WorkloadDistributionFile): unknown[] =>
      file.disks.map((d) => [d.vmName, d.path, d.format, d.virtualSize, d.previousBackupId]);
    expect(brief(host0)).toEqual([['alpha', disks.alpha, 'vhdx', 64 * MiB, null]]);
    expect(brief(host1)).toEqual([
      ['gamma', disks.gamma, 'raw', 48 * MiB, null],
      ['beta', disks.beta, 'vhd', 32 * MiB, null],
    ]);
    expect([...host0.disks, ...host1.disks].map((d) => d.backupId).sort()).toEqual(listed);

    const rows = await images();
    expect(rows.map((r) => r.backupId).sort()).toEqual(listed);
    for (const row of rows) {
      expect(row).toMatchObject({ kind: 'full', previousBackupId: null, diskCount: 1 });
    }
  });

  it('a second run (--json) is an Accelerator backup of each VM against the first', async () => {
    // 128 KiB of new data in alpha; beta and gamma are unchanged.
    await qemuWrites(dir, disks.alpha, 'vhdx', seededWrites([[8 * MiB, 128 * KiB, 6]]));
    const result = await cli('run', 'nightly', '--json');
    expect(result.code, result.stderr).toBe(0);
    const run = JSON.parse(result.stdout) as {
      job: JobInfo;
      children: JobInfo[];
      images: string[];
    };
    secondJob = run.job.id;
    expect(secondJob).toBeGreaterThan(firstJob);
    expect(run.job).toMatchObject({
      kind: 'compound',
      policy: 'nightly',
      parentId: null,
      state: 'done',
      statusCode: 0,
      detail: { hosts: 2, streams: 1, schedule: null },
    });
    expect(run.children.map((c) => [c.kind, c.parentId, c.statusCode, c.detail?.host])).toEqual([
      ['discovery', secondJob, 0, undefined],
      ['backup-host', secondJob, 0, 0],
      ['backup-host', secondJob, 0, 1],
    ]);
    expect(run.children[2]!.detail).toMatchObject({ disks: 2, streams: 1 });
    expect(run.images).toHaveLength(3);
    expect(await jobFiles(secondJob)).toHaveLength(3);

    const rows = await images();
    expect(rows).toHaveLength(6);
    for (const backupId of run.images) {
      const row = rows.find((r) => r.backupId === backupId)!;
      expect(row, backupId).toMatchObject({
        kind: 'accelerator',
        previousBackupId: firstImages[row.client],
      });
      expect(row.disks[0]!.previousBackupId).toBe(firstImages[row.client]);
      expect(row.backupId).not.toBe(firstImages[row.client]);
      if (row.client === 'alpha') expect(row.disks[0]!.blocksChanged).toBeGreaterThan(0);
      else expect(row.disks[0]!.blocksChanged, row.client).toBe(0);
    }
  });

  it('job list, job show and job log show the compound job, its children and its log', async () => {
    const [list, latest, show, showJson, log, text] = await Promise.all([
      cli('job', 'list'),
      json<JobInfo[]>('job', 'list', '--policy', 'nightly', '--limit', '1'),
      cli('job', 'show', String(firstJob)),
      json<{ job: JobInfo; children: JobInfo[] }>('job', 'show', String(firstJob)),
      json<JobLogRow[]>('job', 'log', String(firstJob)),
      cli('job', 'log', String(firstJob)),
    ]);
    expect(list.code, list.stderr).toBe(0);
    const line = (id: number): RegExp =>
      new RegExp(
        `^ +${id} {2}\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d {2}compound {3}nightly +done \\(status 0: ${STATUS.SUCCESS.message}\\)$`,
      );
    const lines = list.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(line(secondJob));
    expect(lines[1]).toMatch(line(firstJob));
    expect(latest.map((j) => j.id)).toEqual([secondJob]);

    expect(show.code, show.stderr).toBe(0);
    expect(show.stdout).toBe(`${successTree(firstJob, 'nightly', 2)}\n`);
    expect(showJson.job.id).toBe(firstJob);
    const [discovery, host0, host1] = showJson.children;
    expect(showJson.children.map((c) => c.kind)).toEqual([
      'discovery',
      'backup-host',
      'backup-host',
    ]);

    const jobDir = path.join(data, 'jobs', String(firstJob));
    const messages = log.map((l) => [l.jobId, l.level, l.message]);
    expect(messages).toContainEqual([
      discovery!.id,
      'info',
      `3 VMs discovered, 3 selected by the policy, 3 to back up; workload discovery file ${jobDir}/workload-discovery.json`,
    ]);
    expect(messages).toContainEqual([
      host0!.id,
      'info',
      `backup host 0: 1 disks, 1 streams; workload distribution file ${jobDir}/workload-distribution-host-0.json`,
    ]);
    expect(messages).toContainEqual([
      host0!.id,
      'info',
      `alpha: image ${firstImages.alpha} committed`,
    ]);
    for (const vm of ['beta', 'gamma'])
      expect(messages).toContainEqual([
        host1!.id,
        'info',
        `${vm}: image ${firstImages[vm]} committed`,
      ]);
    expect(log.filter((l) => l.level !== 'info')).toEqual([]);
    // In the order written, as `job log` prints them.
    expect(log.map((l) => l.id)).toEqual([...log.map((l) => l.id)].sort((a, b) => a - b));

    expect(text.code, text.stderr).toBe(0);
    const textLines = text.stdout.trimEnd().split('\n');
    expect(textLines).toHaveLength(log.length);
    expect(textLines[0]).toBe(
      `${new Date(log[0]!.at).toISOString()} job ${log[0]!.jobId} ${log[0]!.level.padEnd(7)} ${log[0]!.message}`,
    );
  });

  it('a VM with a damaged VHDX: run exits 8 with the status and what to do; the others are backed up', async () => {
    await mkdir(path.join(vms, 'delta'));
    const delta = await qemuVhdx(path.join(vms, 'delta'), 'delta.vhdx', 32 * MiB, []);
    // Garbage over the file identifier, both headers and both region tables.
    const handle = await open(delta, 'r+');
    await handle.write(seededBytes(7, MiB), 0, MiB, 0);
    await handle.close();

    const added = await cli('policy', 'add', 'everything', '--query', 'source = "vms"');
    expect(added.code, added.stderr).toBe(0);
    const result = await cli('run', 'everything');
    expect(result.code, result.stdout + result.stderr).toBe(8);
    const failed = `failed (status 71: ${STATUS.DISK_OPEN_FAILED.message})`;
    const jobId = Number(/^compound job (\d+) policy everything: /m.exec(result.stdout)?.[1]);
    expect(result.stdout).toContain(
      [
        `compound job ${jobId} policy everything: ${failed}`,
        `├─ discovery: ${failed}`,
        `├─ backup host 0 (1 streams, 1 disks): ${OK}`,
        `└─ backup host 1 (1 streams, 2 disks): ${OK}`,
      ].join('\n'),
    );
    expect(result.stdout).toContain(`\nwhat to do: ${STATUS.DISK_OPEN_FAILED.remedy}\n`);
    expect(result.stderr).toContain(
      `error: delta: disk ${delta} cannot be opened: ${delta}: is named .vhdx but has no VHDX signature`,
    );
    const committed = imagesLine(result.stdout);
    expect(committed.map((id) => id.split('_')[0])).toEqual(['alpha', 'beta', 'gamma']);

    const rows = await images();
    expect(rows).toHaveLength(9);
    expect(rows.filter((r) => committed.includes(r.backupId))).toHaveLength(3);
    expect(rows.some((r) => r.client === 'delta')).toBe(false);

    const discovery = await readJson<WorkloadDiscoveryFile>(
      path.join(data, 'jobs', String(jobId), 'workload-discovery.json'),
    );
    expect(discovery.vms.map((vm) => vm.name)).toEqual(['alpha', 'beta', 'gamma']);
    expect(discovery.skipped).toEqual([
      { vm: 'delta', reason: expect.stringContaining(`disk ${delta} cannot be opened`) },
    ]);

    const show = await cli('job', 'show', String(jobId));
    expect(show.code, show.stderr).toBe(0);
    const status = `status 71: ${STATUS.DISK_OPEN_FAILED.message}; ${STATUS.DISK_OPEN_FAILED.remedy}`;
    expect(show.stdout).toContain(`\njob ${jobId}: ${status}\n`);
    expect(show.stdout).toMatch(new RegExp(`\njob ${jobId + 1}: status 71: `));
  });

  it('job cancel of a job that has ended, or of no job, exits 2', async () => {
    const [ended, unknown, notANumber] = await Promise.all([
      cli('job', 'cancel', String(firstJob)),
      cli('job', 'show', '99999'),
      cli('job', 'cancel', 'latest'),
    ]);
    expectUsage(ended, `job ${firstJob} is not running`);
    expect(ended.stdout).toBe('');
    expectUsage(unknown, 'no job 99999', 'CATALOG_NOT_FOUND');
    expectUsage(notANumber, '"latest" is not a job ID');
  });

  it('a policy that selects no VM: run exits 8, no VM matched (status 227)', async () => {
    const added = await cli('policy', 'add', 'nobody', '--query', 'name = "nobody"');
    expect(added.code, added.stderr).toBe(0);
    const result = await cli('run', 'nobody');
    expect(result.code, result.stdout + result.stderr).toBe(8);
    const failed = `failed (status 227: ${STATUS.NO_VMS_SELECTED.message})`;
    expect(STATUS.NO_VMS_SELECTED.message).toBe("no VM matched the policy's selection");
    const jobId = Number(/^compound job (\d+) policy nobody: /m.exec(result.stdout)?.[1]);
    expect(result.stdout).toContain(
      `compound job ${jobId} policy nobody: ${failed}\n└─ discovery: ${failed}\n`,
    );
    expect(result.stdout).toContain(`what to do: ${STATUS.NO_VMS_SELECTED.remedy}\n`);
    expect(result.stdout).not.toContain('images:');
    expect(await jobFiles(jobId)).toEqual(['workload-discovery.json']);
    expect(await images()).toHaveLength(9);
  });
});

describe('another tessera process while `tessera run` is in progress', () => {
  // Opening the data directory marks only jobs whose process is gone as interrupted: a
  // `tessera job list` beside a running `tessera run` leaves its job running. A libvirt
  // domain whose disk is a FIFO holds the run in discovery until the test opens the FIFO.
  it('a job list leaves the running job running, and the run ends it as it ends', async () => {
    const other = path.join(dir, 'data-concurrent');
    const lv = path.join(dir, 'libvirt');
    await mkdir(lv);
    const fifo = path.join(lv, 'stall.img');
    await tool('mkfifo', [fifo]);
    const xml = path.join(lv, 'stall.xml');
    await writeFile(
      xml,
      `<domain type='kvm'><name>stall</name><uuid>6f1c8d2e-0000-4000-8000-000000000001</uuid>
<devices><disk type='file' device='disk'><driver name='qemu' type='raw'/>
<source file='${fifo}'/><target dev='vda' bus='virtio'/></disk></devices></domain>\n`,
    );
    const at = (...args: string[]): Promise<CliResult> => tessera([...args, '--data', other]);
    expect((await at('source', 'add', 'libvirt', xml)).code).toBe(0);
    expect((await at('policy', 'add', 'stall', '--vms', 'stall')).code).toBe(0);

    let child: ChildProcess | undefined;
    let ended = false;
    const running = tessera(['run', 'stall', '--data', other], {
      onSpawn: (spawned) => (child = spawned),
    }).finally(() => (ended = true));
    let seen: JobInfo | undefined;
    try {
      // The run's job exists once its discovery has started; the scan then waits on the FIFO.
      for (let i = 0; i < 20 && !seen && !ended; i++) {
        const list = await at('job', 'list', '--json');
        seen = (JSON.parse(list.stdout) as JobInfo[])[0];
      }
      expect(ended).toBe(false);
      expect(seen).toMatchObject({ policy: 'stall', state: 'running', statusCode: null });
    } finally {
      await releaseFifo(fifo, () => ended, child);
    }
    const result = await running;
    // The disk is not a regular file: the run ends with 71, and the catalog says so.
    expect(result.code).toBe(8);
    const show = await at('job', 'show', String(seen!.id), '--json');
    expect(JSON.parse(show.stdout)).toMatchObject({ job: { state: 'failed', statusCode: 71 } });
  });
});

/** A disk as the inventory lists one that opened fine. */
function diskOf(file: string, format: string, virtualSize: number): object {
  return { path: file, format, virtualSize, chain: [], slot: null, problem: null };
}

/**
 * Lets the reader blocked on `fifo` go on (a writer that opens and closes it gives it EOF),
 * until the process has ended; kills it if it has not after a few seconds.
 */
async function releaseFifo(
  fifo: string,
  ended: () => boolean,
  child: ChildProcess | undefined,
): Promise<void> {
  for (let i = 0; i < 50 && !ended(); i++) {
    try {
      const writer = await open(fifo, constants.O_WRONLY | constants.O_NONBLOCK);
      await writer.close();
    } catch {
      // ENXIO: no reader has it open right now
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  if (!ended()) child?.kill('SIGKILL');
}
