/**
 * The files a compound job keeps for troubleshooting, as NetBackup keeps them on the backup
 * host: the workload discovery file (what discovery found and selected) and one workload
 * distribution file per backup host (the disks it was given). JSON, in <data>/jobs/<id>/.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { InventoryVm, SourceProblem } from '../../../shared/inventory.js';
import { writeFileDurably } from '../store/fs-durable.js';

export interface WorkloadDiscoveryFile {
  readonly format: 'tessera-workload-discovery';
  readonly jobId: number;
  readonly policy: string;
  /** Unix milliseconds. */
  readonly discoveredAt: number;
  readonly query: string | null;
  readonly vms: readonly InventoryVm[];
  readonly skipped: readonly { readonly vm: string; readonly reason: string }[];
  readonly problems: readonly SourceProblem[];
}

export interface DistributedDisk {
  readonly vmId: string;
  readonly vmName: string;
  readonly client: string;
  readonly backupId: string;
  readonly position: number;
  readonly path: string;
  readonly format: string;
  readonly virtualSize: number;
  readonly previousBackupId: string | null;
}

export interface WorkloadDistributionFile {
  readonly format: 'tessera-workload-distribution';
  readonly jobId: number;
  readonly host: number;
  readonly streams: number;
  readonly totalBytes: number;
  readonly disks: readonly DistributedDisk[];
}

export function jobDir(jobsDir: string, jobId: number): string {
  return path.join(jobsDir, String(jobId));
}

export const DISCOVERY_FILE = 'workload-discovery.json';
export const distributionFile = (host: number): string => `workload-distribution-host-${host}.json`;

export async function writeWorkloadFile(
  jobsDir: string,
  jobId: number,
  name: string,
  content: WorkloadDiscoveryFile | WorkloadDistributionFile,
): Promise<string> {
  const dir = jobDir(jobsDir, jobId);
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, name);
  await writeFileDurably(file, `${JSON.stringify(content, null, 2)}\n`);
  return file;
}
