/**
 * Which VMs are being backed up right now, by which job: a VM is never backed up twice at
 * once (two jobs would race for its backup ID and read the disk twice for nothing).
 */
export class VmLocks {
  private readonly holders = new Map<string, number>();

  /** Locks `vmId` for `jobId`; returns null, or the job that already holds it. */
  tryLock(vmId: string, jobId: number): number | null {
    const holder = this.holders.get(vmId);
    if (holder !== undefined && holder !== jobId) return holder;
    this.holders.set(vmId, jobId);
    return null;
  }

  unlock(vmId: string, jobId: number): void {
    if (this.holders.get(vmId) === jobId) this.holders.delete(vmId);
  }

  holderOf(vmId: string): number | null {
    return this.holders.get(vmId) ?? null;
  }
}
