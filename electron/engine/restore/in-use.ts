/**
 * Is a VM being restored over in use? A restore to the original location must not replace the
 * files of a running VM or of a VM Tessera is backing up right now.
 *
 * Best effort, and what it cannot see: Linux has no mandatory file locks, so "the disk is open
 * for writing" cannot be asked of the file itself. What is checked:
 * 1. Tessera's own backups: a VM locked by a job of this process, and the running compound
 *    jobs of any process on the same data directory (their workload discovery files list the
 *    VMs they back up; a job that has not written its discovery file yet is not seen).
 * 2. Open files: every process's open files in /proc/<pid>/fd (Linux only). Processes of other
 *    users are not visible without privileges, so a hypervisor running as its own user (qemu
 *    under libvirt runs as libvirt-qemu) is seen only when Tessera runs as root or that user.
 * So a restore may still replace the disk of a running VM that runs as another user: stop the
 * VM first. The in-place swap (swap.ts) keeps the old files until the new ones are complete.
 */
import { readdir, readFile, readlink } from 'node:fs/promises';
import path from 'node:path';
import type { Catalog } from '../catalog/catalog.js';
import { DISCOVERY_FILE, jobDir, type WorkloadDiscoveryFile } from '../jobs/workload-files.js';

export interface InUseContext {
  readonly catalog?: Catalog;
  /** The data directory's jobs/ folder, where running compound jobs keep their files. */
  readonly jobsDir?: string;
  /** The job of this process that holds the VM's backup lock, if any. */
  readonly lockHolder?: (vmId: string) => number | null;
  /** Skip the /proc scan (tests). */
  readonly skipOpenFiles?: boolean;
}

/** Why the VM or its files are in use, one sentence each; empty when nothing was found. */
export async function inUseReasons(
  context: InUseContext,
  vmId: string | null,
  files: readonly string[],
): Promise<string[]> {
  const reasons: string[] = [];
  const holder = vmId === null ? null : (context.lockHolder?.(vmId) ?? null);
  if (holder !== null) reasons.push(`job ${holder} is backing the VM up`);
  for (const job of await runningBackups(context, vmId, files)) {
    if (job !== holder) reasons.push(`job ${job} is backing the VM up`);
  }
  if (!context.skipOpenFiles) {
    for (const [file, pids] of await openFileHolders(files)) {
      reasons.push(`${file} is open in process ${pids.join(', ')}`);
    }
  }
  return reasons;
}

async function runningBackups(
  context: InUseContext,
  vmId: string | null,
  files: readonly string[],
): Promise<number[]> {
  if (!context.catalog || !context.jobsDir) return [];
  const wanted = new Set(files);
  const jobs: number[] = [];
  for (const job of context.catalog.listJobs({ parentId: null, state: 'running' })) {
    if (job.kind !== 'compound') continue;
    const file = path.join(jobDir(context.jobsDir, job.id), DISCOVERY_FILE);
    const discovery = await readFile(file, 'utf8')
      .then((text) => JSON.parse(text) as WorkloadDiscoveryFile)
      .catch(() => null);
    const busy = discovery?.vms.some(
      (vm) => vm.id === vmId || vm.disks.some((disk) => wanted.has(disk.path)),
    );
    if (busy) jobs.push(job.id);
  }
  return jobs;
}

/** Processes (other than this one) holding any of `files` open, by file. Linux only. */
export async function openFileHolders(files: readonly string[]): Promise<Map<string, number[]>> {
  const holders = new Map<string, number[]>();
  if (process.platform !== 'linux' || files.length === 0) return holders;
  const wanted = new Set(files.map((file) => path.resolve(file)));
  const pids = (await readdir('/proc').catch(() => [] as string[])).filter((name) =>
    /^\d+$/.test(name),
  );
  for (const pid of pids) {
    if (Number(pid) === process.pid) continue;
    const fds = await readdir(`/proc/${pid}/fd`).catch(() => [] as string[]);
    for (const fd of fds) {
      const target = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => null);
      if (target === null || !wanted.has(target)) continue;
      const list = holders.get(target) ?? [];
      if (!list.includes(Number(pid))) list.push(Number(pid));
      holders.set(target, list);
    }
  }
  return holders;
}
