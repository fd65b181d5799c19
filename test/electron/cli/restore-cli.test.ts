/**
 * `tessera restore` as a user runs it: the real entry point in a child process, on a data
 * directory where a libvirt VM (domain XML, a VHDX disk qemu-img made and qemu-io wrote) was
 * backed up twice through the engine's service. The first image is restored by client and
 * time into another folder under a new name as a fixed VHD, with a rename file; --dry-run
 * writes nothing; refusals exit 2 and change nothing; a damaged storage unit exits 5 and
 * leaves no target. The tests build on each other, in order.
 */
import { copyFile, readdir, stat, truncate, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ImageRow } from '../../../shared/images.js';
import type { JobInfo } from '../../../shared/jobs.js';
import type { RestorePlan, VmRestoreResult } from '../../../shared/restore.js';
import { scanSource } from '../../../electron/engine/inventory/index.js';
import { TesseraService } from '../../../electron/engine/service.js';
import { tessera, type CliResult } from '../../helpers/cli.js';
import { scratchDir, sha256File } from '../../helpers/scratch.js';
import { qemuImg, qemuIo } from '../../helpers/tools.js';
import {
  DB01_UUID,
  exists,
  filesUnder,
  makeLibvirtVm,
  MiB,
  type LibvirtVm,
} from '../../engine/restore/restore-fixtures.js';

let dir: string;
let cleanup: () => Promise<void>;
let data: string;
let vm: LibvirtVm;
let first: ImageRow;
let second: ImageRow;
let day1: string;

beforeAll(async () => {
  ({ dir, cleanup } = await scratchDir('tessera-restore-cli-'));
  data = path.join(dir, 'data');
  vm = await makeLibvirtVm(path.join(dir, 'libvirt'));
  let seconds = 1_790_000_000;
  const service = await TesseraService.open({ dataDir: data, now: () => (seconds += 3600) });
  try {
    service.addSource({ kind: 'libvirt', path: path.dirname(vm.config) });
    expect((await (await service.backupNow()).done).statusCode).toBe(0);
    day1 = path.join(dir, 'db01-day1.vhdx');
    await copyFile(vm.disk, day1);
    await qemuIo('-f', 'vhdx', '-c', `write -P 0x5a ${2 * MiB} ${MiB}`, vm.disk);
    expect((await (await service.backupNow()).done).statusCode).toBe(0);
    [second, first] = service.listImages({ client: 'db01' }) as [ImageRow, ImageRow];
  } finally {
    await service.close();
  }
});
afterAll(() => cleanup());

/** `tessera <args> --data <data>`. */
const cli = (...args: string[]): Promise<CliResult> => tessera([...args, '--data', data]);

async function cliJson<T>(...args: string[]): Promise<T> {
  const result = await cli(...args, '--json');
  expect(result.code, result.stderr).toBe(0);
  return JSON.parse(result.stdout) as T;
}

describe('tessera restore', () => {
  const target = (): string => path.join(dir, 'restored', 'db01-test');
  let renameFile: string;

  beforeAll(async () => {
    renameFile = path.join(dir, 'db01.rename');
    await writeFile(
      renameFile,
      [
        '# db01 as a test copy: new name, smaller, on the isolated network',
        'change vmname to db01-test',
        'change cpus to 2',
        'change memory to 2G',
        'change network default to isolated',
        `change ${vm.disk} to disks/db01-test.vhd`,
      ].join('\n'),
    );
  });

  /** The image of the first day: the newest at or before the first backup's time. */
  const restoreArgs = (): string[] => [
    'restore',
    '--client',
    'db01',
    '--at',
    new Date((second.createdAt - 1) * 1000).toISOString(),
    '--to',
    target(),
    '-R',
    renameFile,
    '--format',
    'vhd-fixed',
    '--new-id',
  ];

  it('--dry-run prints what is read, what is written where and how large, and writes nothing', async () => {
    const human = await cli(...restoreArgs(), '--dry-run');
    expect(human.code, human.stderr).toBe(0);
    const disk = path.join(target(), 'disks', 'db01-test.vhd');
    const config = path.join(target(), 'db01-test.xml');
    expect(human.stdout).toContain(`restore plan for image ${first.backupId} (client db01`);
    expect(human.stdout).toContain('read: 1 disk(s), 3.00 MiB of data, each block checked');
    expect(human.stdout).toContain('  disk 0 db01.vhdx: 24.0 MiB, 3.00 MiB of data');
    expect(human.stdout).toContain(`write: into ${target()}`);
    expect(human.stdout).toContain(
      `  create  ${disk} (disk 0, VHD (fixed, as Azure needs), 24.0 MiB)`,
    );
    expect(human.stdout).toMatch(
      new RegExp(`  create  ${config} \\(configuration, libvirt domain XML, \\d+ B\\)`),
    );
    expect(human.stdout).toContain('VM: db01-test (was db01), libvirt domain XML, new ID');
    expect(human.stdout).toContain('2 CPU(s), 2048 MiB');
    expect(human.stdout).toContain('adapter 1: default → isolated, 52:54:00:12:34:56');
    expect(human.stdout).toContain(`virsh define '${config}'`);
    expect(human.stdout).toContain('New IDs were generated');
    expect(human.stdout).toContain('dry run: nothing was written');

    const plan = await cliJson<RestorePlan>(...restoreArgs(), '--dry-run');
    expect(plan.backupId).toBe(first.backupId);
    expect(plan.files.map((f) => [f.path, f.action])).toEqual([
      [disk, 'create'],
      [config, 'create'],
    ]);
    expect(plan.writeBytes).toBe(24 * MiB + 512 + plan.files[1]!.bytes);
    expect(await exists(path.join(dir, 'restored'))).toBe(false);
  });

  it('restores the first image under the new name as a fixed VHD: equal to day 1, a domain the libvirt source reads back', async () => {
    const result = await cliJson<VmRestoreResult & { jobId: number }>(...restoreArgs());
    const disk = path.join(target(), 'disks', 'db01-test.vhd');
    expect(result).toMatchObject({
      backupId: first.backupId,
      disks: [{ position: 0, path: disk, format: 'vhd-fixed', virtualSize: 24 * MiB }],
      configPath: path.join(target(), 'db01-test.xml'),
      replaced: [],
    });
    await qemuImg('compare', '-q', '-f', 'vhdx', '-F', 'vpc', day1, disk);
    await expect(
      qemuImg('compare', '-q', '-f', 'vhdx', '-F', 'vpc', vm.disk, disk),
    ).rejects.toThrow();

    const scan = await scanSource({
      id: 1,
      kind: 'libvirt',
      path: target(),
      name: 'r',
      addedAt: 0,
    });
    expect(scan.problems).toEqual([]);
    expect(scan.vms).toHaveLength(1);
    const restored = scan.vms[0]!;
    expect(restored).toMatchObject({
      name: 'db01-test',
      metadata: {
        cpus: 2,
        memoryMB: 2048,
        firmware: 'pc-q35-7.2',
        networkAdapters: [{ mac: '52:54:00:12:34:56', network: 'isolated' }],
      },
    });
    expect(restored.id).not.toBe(`libvirt:${DB01_UUID}`);
    expect(restored.disks.map((d) => [d.path, d.format, d.virtualSize, d.problem])).toEqual([
      [disk, 'vhd', 24 * MiB, null],
    ]);
    expect(await filesUnder(target())).toEqual(['db01-test.xml', 'disks/db01-test.vhd']);

    const jobs = await cliJson<JobInfo[]>('job', 'list');
    expect(jobs.find((j) => j.id === result.jobId)).toMatchObject({
      kind: 'restore',
      client: 'db01',
      state: 'done',
      statusCode: 0,
    });
  });

  it('the human output names each restored file and the maintenance notes', async () => {
    const to = path.join(dir, 'restored', 'db01-second');
    const human = await cli('restore', second.backupId, '--to', to, '--new-id');
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).toContain(`restored disk 0 to ${path.join(to, 'db01.vhdx')} (24.0 MiB)`);
    expect(human.stdout).toContain(`wrote the VM configuration ${path.join(to, 'db01.xml')}`);
    expect(human.stdout).toContain('after the restore:');
    expect(human.stdout).toContain(`virsh define '${path.join(to, 'db01.xml')}'`);
    await qemuImg('compare', '-q', '-f', 'vhdx', '-F', 'vhdx', vm.disk, path.join(to, 'db01.vhdx'));
  });

  it('refuses an original-location restore without --overwrite: exit 2, the files unchanged', async () => {
    const before = await Promise.all([vm.disk, vm.config].map(sha256File));
    const refused = await cli('restore', first.backupId, '--original-location');
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain("a restore to the original location replaces the VM's files");
    expect(refused.stderr).toContain(vm.disk);
    expect(refused.stderr).toContain('--overwrite');
    expect(refused.stderr).toContain('[BAD_REQUEST]');
    expect(await Promise.all([vm.disk, vm.config].map(sha256File))).toEqual(before);
    expect(await readdir(path.dirname(vm.disk))).toEqual(['db01.vhdx']);
  });

  it('refuses bad command lines and rename files with exit 2, naming the problem', async () => {
    const bad = path.join(dir, 'bad.rename');
    await writeFile(bad, 'change vmname to db02\nchange cpus to many\n');
    const to = path.join(dir, 'restored', 'never');
    const cases: [string[], string][] = [
      [
        ['restore', first.backupId, '--to', to, '-R', bad],
        `${bad} line 2, column 16: expected a CPU count from 1 to 1024, found "many"`,
      ],
      [
        ['restore', first.backupId, '--to', to, '-R', path.join(dir, 'none')],
        'cannot read the rename file',
      ],
      [['restore', '--to', to], 'give a backup ID or --client NAME (not both)'],
      [['restore', first.backupId], 'give --to DIR or --original-location (one of them)'],
      [
        ['restore', first.backupId, '--to', to, '--format', 'qcow2'],
        '--format must be one of vhdx, vhd-fixed, vhd, raw',
      ],
      [
        ['restore', '--client', 'db01', '--at', 'yesterday', '--to', to],
        '--at "yesterday" is not a time',
      ],
      [['restore', first.backupId, '--at', '1', '--to', to], '--at goes with --client'],
      [
        ['restore', '--client', 'db01', '--at', '2000-01-01', '--to', to],
        'client "db01" has no image at or before 2000-01-01T23:59:59.000Z',
      ],
      [
        ['restore', first.backupId, '--original-location', '--overwrite', '--new-id'],
        'changes (newId) need a restore to a different location',
      ],
    ];
    for (const [args, message] of cases) {
      const result = await cli(...args);
      expect(result.code, `${args.join(' ')}: ${result.stderr}`).toBe(2);
      expect(result.stderr).toContain(message);
    }
    expect(await exists(to)).toBe(false);
  });

  it('an image without VM metadata (tessera backup) restores its disks only, and refuses VM changes', async () => {
    const store = path.join(dir, 'loose-store');
    const backup = await tessera(['backup', day1, '--client', 'loose', '--store', store, '--json']);
    expect(backup.code, backup.stderr).toBe(0);
    const { backupId } = JSON.parse(backup.stdout) as { backupId: string };
    const to = path.join(dir, 'restored', 'loose');
    const refused = await tessera([
      'restore',
      backupId,
      '--to',
      to,
      '-R',
      renameFile,
      '--store',
      store,
    ]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(`image ${backupId} records no VM configuration`);
    expect(refused.stderr).toContain('it can still restore the disks only');
    const plain = await tessera(['restore', backupId, '--to', to, '--store', store]);
    expect(plain.code, plain.stderr).toBe(0);
    expect(plain.stdout).toContain(
      `restored disk 0 to ${path.join(to, 'db01-day1.vhdx')} (24.0 MiB)`,
    );
    expect(plain.stdout).toContain('warning: image');
    expect(plain.stdout).toContain('Only the disks were restored');
    expect(await filesUnder(to)).toEqual(['db01-day1.vhdx']);
    const missing = await tessera([
      'restore',
      backupId,
      '--to',
      to,
      '--store',
      path.join(dir, 'nothing'),
    ]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('no Tessera storage unit here');
    expect(await exists(path.join(dir, 'nothing'))).toBe(false);
  });

  it('a damaged storage unit (packs truncated): exit 5, no target folder, no partial disk', async () => {
    const packs = path.join(data, 'store', 'packs');
    for (const sub of await readdir(packs)) {
      for (const name of await readdir(path.join(packs, sub))) {
        const file = path.join(packs, sub, name);
        await truncate(file, Math.floor((await stat(file)).size / 4));
      }
    }
    const to = path.join(dir, 'restored', 'damaged');
    const result = await cli('restore', first.backupId, '--to', to, '--format', 'raw');
    expect(result.code, result.stderr).toBe(5);
    expect(result.stderr).toMatch(/BLOCK_DAMAGED|BLOCK_MISSING|STORE_CORRUPT/);
    expect(await exists(to)).toBe(false);
  });
});
