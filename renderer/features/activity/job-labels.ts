import type { JobInfo, JobKind } from '../../../shared/jobs';
import { BACKUP_NOW_POLICY } from '../../../shared/policy';

const KIND_LABEL: Readonly<Record<JobKind, string>> = {
  backup: 'Backup',
  restore: 'Restore',
  verify: 'Verify',
  expire: 'Expire',
  gc: 'Garbage collection',
  discovery: 'Discovery',
  compound: 'Backup',
  'backup-host': 'Backup host',
  'catalog-rebuild': 'Catalog rebuild',
};

/** The one-click backup's policy is shown as what it is rather than its internal name. */
function policyLabel(policy: string | null): string | null {
  return policy === BACKUP_NOW_POLICY ? 'Back up now' : policy;
}

/** "Job 12 · nightly", "Job 13 · Back up now". */
export function jobTitle(job: JobInfo): string {
  const policy = policyLabel(job.policy);
  return `Job ${job.id} · ${policy ?? KIND_LABEL[job.kind]}`;
}

/** A child's name in the job tree: "Discovery", "Backup host 2". */
export function childTitle(job: JobInfo): string {
  if (job.kind === 'backup-host') {
    const host = job.detail?.['host'];
    return typeof host === 'number' || typeof host === 'string'
      ? `Backup host ${host}`
      : 'Backup host';
  }
  return KIND_LABEL[job.kind];
}

export function kindLabel(kind: JobKind): string {
  return KIND_LABEL[kind];
}

export function policyName(job: JobInfo): string {
  return policyLabel(job.policy) ?? '—';
}
