/**
 * Whole-VM restore through the engine's service, on real parts: a Hyper-V folder VM whose
 * disks qemu-img made and qemu-io wrote, backed up twice through a folder source into a real
 * storage unit, then restored: the first image to a different folder under a new name as
 * fixed VHDs with new IDs and remapped networks (qemu-img compare against the day-1 disks,
 * the configuration read back by the inventory), refusals that change nothing, in-use checks,
 * an original-location overwrite, a failing swap and a damaged storage unit.
 * The tests build on each other (one data directory), in order.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFile, readdir, readFile, stat, truncate, writeFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ImageRow } from '../../../shared/images.js';
import type { JobEvent } from '../../../shared/jobs.js';
import type { VmRestoreRequest } from '../../../shared/restore.js';
import { STATUS } from '../../../shared/status-codes.js';
import { openDisk } from '../../../electron/engine/disk/open.js';
import { scanSource } from '../../../electron/engine/inventory/index.js';
import { DISCOVERY_FILE } from '../../../electron/engine/jobs/workload-files.js';
import { restoreVm } from '../../../electron/engine/restore/restore-vm.js';
import { fileOps } from '../../../electron/engine/restore/swap.js';
import { TesseraService } from '../../../electron/engine/service.js';
import { scratchDir, sha256File } from '../../helpers/scratch.js';
import { qemuImg, qemuIo } from '../../helpers/tools.js';
import {
  exists,
  filesUnder,
  makeHyperVVm,
  MiB,
  WEB01_GUID,
  type HyperVVm,
} from './restore-fixtures.js';

let dir: string;
let cleanup: () => Promise<void>;
let service: TesseraService;
let vm: HyperVVm;
let first: ImageRow;
let second: ImageRow;
/** The disks as the first backup saw them. */
const day1 = { boot: '', data: '' };
const events: JobEvent[] = [];

beforeAll(async () => {
  ({ dir, cleanup } = await scratchDir('tessera-restore-vm-'));
  vm = await makeHyperVVm(path.join(dir, 'vms'));
  let seconds = 1_790_000_000;
  service = await TesseraService.open({ dataDir: path.join(dir, 'data'), now: () => seconds++ });
  service.subscribe((event) => {
    if (event.type.startsWith('job-')) events.push(event as JobEvent);
  });
  service.addSource({ kind: 'folder', path: path.join(dir, 'vms') });
  expect((await (await service.backupNow()).done).statusCode).toBe(0);
  day1.boot = path.join(dir, 'day1-boot.vhdx');
  day1.data = path.join(dir, 'day1-data.vhd');
  await copyFile(vm.boot, day1.boot);
  await copyFile(vm.data, day1.data);
  // Day 2: the boot disk changes; the second image holds it.
  await qemuIo('-f', 'vhdx', '-c', `write -P 0x77 ${4 * MiB} ${MiB}`, vm.boot);
  expect((await (await service.backupNow()).done).statusCode).toBe(0);
  [second, first] = service.listImages({ client: 'WEB01' }) as [ImageRow, ImageRow];
});
afterAll(async () => {
  await service?.close();
  await cleanup();
});

const compare = (formatA: string, a: string, formatB: string, b: string): Promise<string> =>
  qemuImg('compare', '-q', '-f', formatA, '-F', formatB, a, b);

async function refusal(request: unknown): Promise<string> {
  const error = await service.planRestore(request).then(
    () => null,
    (e: unknown) => e as Error & { code?: string },
  );
  expect(error, 'the plan refuses').not.toBeNull();
  expect(error!.code).toBe('BAD_REQUEST');
  return error!.message;
}

describe('whole-VM restore', () => {
  const target = (): string => path.join(dir, 'restored', 'WEB01-copy');
  const copyRequest = (): VmRestoreRequest => ({
    image: { backupId: first.backupId },
    target: { kind: 'folder', path: target() },
    edits: {
      name: 'WEB01-copy',
      format: 'vhd-fixed',
      newId: true,
      networks: [
        { from: 'External vSwitch', to: 'Lab' },
        { from: 'Backup', to: null },
      ],
    },
  });

  it('plans the first image into another folder: what is read, what is written where, how large, the notes', async () => {
    const plan = await service.planRestore(copyRequest());
    expect(plan).toMatchObject({
      backupId: first.backupId,
      client: 'WEB01',
      target: { kind: 'folder', folder: target() },
      overwrite: false,
      vm: {
        kind: 'hyperv',
        name: 'WEB01-copy',
        originalName: 'WEB01',
        idKept: false,
        cpus: 2,
        memoryMB: 2048,
        firmware: 'generation 2',
        networkAdapters: [
          { network: 'Lab', originalNetwork: 'External vSwitch', mac: '00:15:5d:0a:1b:2c' },
        ],
        droppedAdapters: [{ originalNetwork: 'Backup' }],
      },
    });
    expect(plan.vm!.id).not.toBe(WEB01_GUID.toLowerCase());
    expect(plan.reads.map((r) => [r.name, r.virtualSize, r.dataBytes])).toEqual([
      ['web01.vhdx', 32 * MiB, 3 * MiB],
      ['web01-data.vhd', 16 * MiB, MiB],
    ]);
    expect(plan.readBytes).toBe(4 * MiB);
    const disks = path.join(target(), 'Virtual Hard Disks');
    const config = path.join(target(), 'Virtual Machines', `${plan.vm!.id.toUpperCase()}.xml`);
    expect(plan.files.map((f) => [f.kind, f.path, f.action, f.format])).toEqual([
      ['disk', path.join(disks, 'web01.vhd'), 'create', 'vhd-fixed'],
      ['disk', path.join(disks, 'web01-data.vhd'), 'create', 'vhd-fixed'],
      ['configuration', config, 'create', null],
    ]);
    // Fixed VHDs: their whole size plus the footer.
    expect(plan.files[0]!.bytes).toBe(32 * MiB + 512);
    expect(plan.writeBytes).toBe(48 * MiB + 1024 + plan.files[2]!.bytes);
    expect(plan.notes.map((n) => n.kind)).toEqual([
      'register',
      'new-id',
      'network',
      'mac',
      'disk-format',
      'disk-paths',
    ]);
    expect(plan.notes[0]!.message).toContain('Import-VM');
    expect(plan.notes[2]!.message).toContain('External vSwitch → Lab');
    expect(plan.notes[2]!.message).toContain('left out: Backup Adapter on Backup');
    // Planning wrote nothing.
    expect(await exists(path.join(dir, 'restored'))).toBe(false);
  });

  it('restores it as a restore job: disks equal to day 1 (qemu-img compare), a configuration the inventory reads back', async () => {
    events.length = 0;
    const { jobId, done } = await service.startRestore(copyRequest());
    const result = await done;
    const disks = path.join(target(), 'Virtual Hard Disks');
    expect(result.disks.map((d) => [d.path, d.format, d.virtualSize])).toEqual([
      [path.join(disks, 'web01.vhd'), 'vhd-fixed', 32 * MiB],
      [path.join(disks, 'web01-data.vhd'), 'vhd-fixed', 16 * MiB],
    ]);
    await compare('vhdx', day1.boot, 'vpc', result.disks[0]!.path);
    await compare('vpc', day1.data, 'vpc', result.disks[1]!.path);
    // The first image, not the second: the day-2 write is not in it.
    await expect(compare('vhdx', vm.boot, 'vpc', result.disks[0]!.path)).rejects.toThrow();
    for (const disk of result.disks) {
      const opened = await openDisk(disk.path);
      expect([opened.format, opened.subformat, opened.identity]).toEqual([
        'vhd',
        'fixed',
        disk.identity,
      ]);
      await opened.close();
    }

    const scan = await scanSource({ id: 9, kind: 'folder', path: target(), name: 'r', addedAt: 0 });
    expect(scan.problems).toEqual([]);
    expect(scan.vms).toHaveLength(1);
    const restored = scan.vms[0]!;
    expect(restored).toMatchObject({
      name: 'WEB01-copy',
      configPath: result.configPath,
      metadata: {
        cpus: 2,
        memoryMB: 2048,
        notes: 'Intranet web server',
        firmware: 'generation 2',
        networkAdapters: [{ name: 'Network Adapter', mac: '00:15:5d:0a:1b:2c', network: 'Lab' }],
      },
    });
    expect(restored.id).toMatch(/^hyperv:/);
    expect(restored.id).not.toBe(`hyperv:${WEB01_GUID.toLowerCase()}`);
    expect(restored.disks.map((d) => [d.path, d.format, d.problem])).toEqual([
      [result.disks[0]!.path, 'vhd', null],
      [result.disks[1]!.path, 'vhd', null],
    ]);
    // Only the restored files: no temporary names left.
    expect(await filesUnder(target())).toEqual([
      `Virtual Hard Disks/web01-data.vhd`,
      `Virtual Hard Disks/web01.vhd`,
      path.relative(target(), result.configPath!),
    ]);

    const tree = service.getJob(jobId);
    expect(tree.job).toMatchObject({
      kind: 'restore',
      client: 'WEB01',
      state: 'done',
      statusCode: 0,
    });
    expect(tree.job.detail).toMatchObject({
      backupId: first.backupId,
      configPath: result.configPath,
    });
    const ofJob = events.filter(
      (e) =>
        (e.type === 'job-progress' ? e.progress.jobId : 'job' in e ? e.job.id : e.jobId) === jobId,
    );
    expect(ofJob[0]!.type).toBe('job-started');
    expect(ofJob.at(-1)!.type).toBe('job-ended');
    const progress = ofJob.flatMap((e) => (e.type === 'job-progress' ? [e.progress] : []));
    expect(progress.at(-1)).toMatchObject({ doneBytes: 48 * MiB, totalBytes: 48 * MiB });
    const log = service.jobLog(jobId).map((l) => l.message);
    expect(log.some((m) => m.includes('Import-VM'))).toBe(true);
  });

  it('refuses to restore into that folder again unless the overwrite is confirmed', async () => {
    const message = await refusal({
      ...copyRequest(),
      edits: { ...copyRequest().edits, newId: false },
    });
    expect(message).toContain(`${path.join(target(), 'Virtual Hard Disks', 'web01.vhd')}`);
    expect(message).toContain('already exist; choose another folder, or confirm the overwrite');
  });

  it('refuses an original-location restore without the overwrite confirmation, and changes nothing', async () => {
    const before = await Promise.all([vm.boot, vm.data, vm.config].map(sha256File));
    const listing = await filesUnder(vm.folder);
    const jobs = service.listJobs().length;
    const message = await refusal({
      image: { backupId: first.backupId },
      target: { kind: 'original' },
    });
    expect(message).toContain("a restore to the original location replaces the VM's files");
    expect(message).toContain(vm.boot);
    expect(message).toContain('--overwrite');
    await expect(
      service.startRestore({ image: { backupId: first.backupId }, target: { kind: 'original' } }),
    ).rejects.toThrow('Confirm the overwrite');
    expect(await Promise.all([vm.boot, vm.data, vm.config].map(sha256File))).toEqual(before);
    expect(await filesUnder(vm.folder)).toEqual(listing);
    expect(service.listJobs()).toHaveLength(jobs);
  });

  it('refuses edits at the original location, and VM edits of a disks-only restore', async () => {
    expect(
      await refusal({
        image: { backupId: first.backupId },
        target: { kind: 'original' },
        overwrite: true,
        edits: { name: 'x' },
      }),
    ).toContain('changes (name) need a restore to a different location');
    expect(
      await refusal({
        image: { client: 'WEB01' },
        target: { kind: 'folder', path: path.join(dir, 'one-disk') },
        positions: [1],
        edits: { cpus: 4 },
      }),
    ).toContain(
      'only disk 1 of 2 is restored, so the CPU count cannot be applied; it can still restore the disks only',
    );
  });

  it('refuses two disks on one path, a network no adapter is on, a folder under a file and a bad request', async () => {
    const folder = path.join(dir, 'refused');
    const base = { image: { backupId: first.backupId }, target: { kind: 'folder', path: folder } };
    expect(
      await refusal({
        ...base,
        edits: {
          disks: [
            { position: 0, path: 'same.vhdx' },
            { position: 1, path: 'same.vhdx', format: 'vhdx' },
          ],
        },
      }),
    ).toContain(`disk 0 and disk 1 would both be written to ${path.join(folder, 'same.vhdx')}`);
    expect(
      await refusal({ ...base, edits: { networks: [{ from: 'Extrenal', to: 'Lab' }] } }),
    ).toContain(
      'network "Extrenal": no network adapter of the VM is on it (its adapters are on "External vSwitch", "Backup")',
    );
    expect(await refusal({ ...base, edits: { format: 'raw' } })).toContain(
      'a Hyper-V folder layout (2012 R2 XML configuration) cannot use a raw disk',
    );
    expect(
      await refusal({ ...base, edits: { pathChanges: [{ from: '/nowhere/', to: '/x/' }] } }),
    ).toContain('change /nowhere/ to /x/: no disk of the image is at or under /nowhere/');
    const file = path.join(dir, 'a-file');
    await writeFile(file, 'x');
    expect(
      await refusal({ ...base, target: { kind: 'folder', path: path.join(file, 'sub') } }),
    ).toContain(`cannot restore there: ${path.join(file, 'sub')}`);
    expect(await refusal({ ...base, edits: { cpus: 0 } })).toContain('edits.cpus');
    await expect(
      service.planRestore({ image: { client: 'nobody' }, target: base.target }),
    ).rejects.toThrow(
      'no image of client "nobody" in this storage unit (clients with images: WEB01)',
    );
    expect(await exists(folder)).toBe(false);
  });

  it("picks a client's newest image at or before a time", async () => {
    const at = async (seconds?: number): Promise<string> =>
      (
        await service.planRestore({
          image: { client: 'WEB01', at: seconds },
          target: { kind: 'folder', path: path.join(dir, 'x') },
        })
      ).backupId;
    expect(await at()).toBe(second.backupId);
    expect(await at(second.createdAt - 1)).toBe(first.backupId);
    expect(await at(second.createdAt)).toBe(second.backupId);
    await expect(at(first.createdAt - 1)).rejects.toThrow(
      `client "WEB01" has no image at or before`,
    );
  });

  it('refuses an original-location restore while a Tessera job backs the VM up or a process has its disk open', async () => {
    const request = {
      image: { backupId: first.backupId },
      target: { kind: 'original' },
      overwrite: true,
    };
    // A compound job of another process, running, whose discovery file lists the VM.
    const jobId = service.catalog.createJob({ kind: 'compound', policy: 'nightly' });
    await mkdir(path.join(service.jobsDir, String(jobId)), { recursive: true });
    const { vms } = await scanSource({
      id: 1,
      kind: 'folder',
      path: path.join(dir, 'vms'),
      name: 's',
      addedAt: 0,
    });
    await writeFile(
      path.join(service.jobsDir, String(jobId), DISCOVERY_FILE),
      JSON.stringify({ format: 'tessera-workload-discovery', jobId, vms }),
    );
    try {
      expect(await refusal(request)).toContain(
        `the files to be replaced are in use: job ${jobId} is backing the VM up`,
      );
    } finally {
      service.catalog.finishJob(jobId, { state: 'done', statusCode: 0 });
    }
    // A process holding the boot disk open (as a running hypervisor would).
    const holder: ChildProcess = spawn('tail', ['-f', vm.boot], { stdio: 'ignore' });
    try {
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(await refusal(request)).toContain(`${vm.boot} is open in process ${holder.pid}`);
    } finally {
      holder.kill();
    }
  });

  it('restores the first image over the original once confirmed: disks back to day 1, configuration kept', async () => {
    const config = await sha256File(vm.config);
    const plan = await service.planRestore({
      image: { backupId: first.backupId },
      target: { kind: 'original' },
      overwrite: true,
    });
    expect(plan.files.map((f) => [f.path, f.action, f.format])).toEqual([
      [vm.boot, 'replace', 'vhdx'],
      [vm.data, 'replace', 'vhd'],
      [vm.config, 'keep', null],
    ]);
    expect(plan.notes.map((n) => n.kind)).toEqual(['register', 'replaced']);
    const { done } = await service.startRestore({
      image: { backupId: first.backupId },
      target: { kind: 'original' },
      overwrite: true,
    });
    const result = await done;
    expect(result.replaced).toEqual([vm.boot, vm.data]);
    expect(result.configPath).toBeNull();
    await compare('vhdx', day1.boot, 'vhdx', vm.boot);
    await compare('vpc', day1.data, 'vpc', vm.data);
    expect(await sha256File(vm.config)).toBe(config);
    expect(await filesUnder(vm.folder)).toEqual([
      'Virtual Hard Disks/web01-data.vhd',
      'Virtual Hard Disks/web01.vhdx',
      `Virtual Machines/${WEB01_GUID}.xml`,
    ]);
    // Restored with the recorded identities: the same disks as far as Hyper-V can tell.
    const opened = await openDisk(vm.boot);
    expect(opened.identity).toBe(first.disks[0]!.identity);
    await opened.close();
  });

  it('a swap that fails half-way puts every old file back and says so', async () => {
    const before = await Promise.all([vm.boot, vm.data].map(sha256File));
    let renames = 0;
    const failing = {
      ...fileOps,
      rename: async (from: string, to: string) => {
        // Old boot aside, new boot in, old data aside: then the new data's rename fails.
        if (++renames === 4) throw Object.assign(new Error('EIO: i/o error'), { code: 'EIO' });
        return fileOps.rename(from, to);
      },
    };
    const error = await restoreVm(
      { store: service.store },
      { image: { backupId: second.backupId }, target: { kind: 'original' }, overwrite: true },
      { swapOps: failing },
    ).catch((e: Error & { code: string }) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as { code: string }).code).toBe('DISK_IO');
    expect((error as Error).message).toBe(
      `could not put ${vm.data} in place (EIO: i/o error); every file is back as it was before the restore`,
    );
    expect(await Promise.all([vm.boot, vm.data].map(sha256File))).toEqual(before);
    expect(await filesUnder(vm.folder)).toEqual([
      'Virtual Hard Disks/web01-data.vhd',
      'Virtual Hard Disks/web01.vhdx',
      `Virtual Machines/${WEB01_GUID}.xml`,
    ]);
  });

  it('a cancelled restore job ends cancelled (150) and leaves nothing behind', async () => {
    const to = path.join(dir, 'restored', 'cancelled');
    const { jobId, done } = await service.startRestore({
      image: { backupId: second.backupId },
      target: { kind: 'folder', path: to },
    });
    expect(service.cancelRestore(jobId)).toBe(true);
    await expect(done).rejects.toMatchObject({ name: 'AbortError' });
    expect(service.getJob(jobId).job).toMatchObject({
      state: 'cancelled',
      statusCode: STATUS.CANCELLED.code,
    });
    expect(await exists(to)).toBe(false);
    expect(service.cancelRestore(jobId)).toBe(false);
  });

  it('a damaged storage unit (a pack truncated) fails the restore job cleanly: no target, no half-written disk', async () => {
    const packs = path.join(service.store.dir, 'packs');
    for (const sub of await readdir(packs)) {
      for (const name of await readdir(path.join(packs, sub))) {
        const file = path.join(packs, sub, name);
        await truncate(file, Math.floor((await stat(file)).size / 3));
      }
    }
    const to = path.join(dir, 'restored', 'damaged');
    const { jobId, done } = await service.startRestore({
      image: { backupId: second.backupId },
      target: { kind: 'folder', path: to },
      edits: { name: 'damaged' },
    });
    const error = (await done.catch((e: unknown) => e)) as Error & { code: string };
    expect(['BLOCK_DAMAGED', 'BLOCK_MISSING', 'STORE_CORRUPT']).toContain(error.code);
    expect(await exists(to)).toBe(false);
    expect(
      (await filesUnder(path.join(dir, 'restored'))).filter((f) => !f.startsWith('WEB01-copy/')),
    ).toEqual([]);
    expect(service.getJob(jobId).job).toMatchObject({
      kind: 'restore',
      state: 'failed',
      statusCode: STATUS.STORE_DAMAGED.code,
    });
    // The earlier restore is untouched.
    expect(
      await readFile(path.join(target(), 'Virtual Hard Disks', 'web01.vhd')).then(
        (b) => b.byteLength,
      ),
    ).toBe(32 * MiB + 512);
  });
});
