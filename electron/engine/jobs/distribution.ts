/**
 * Workload distribution: which backup host backs up which disk. Largest disk first, each to
 * the host with the fewest bytes so far (the longest-processing-time rule), which keeps the
 * hosts' loads within one disk of each other and ends the compound job soonest.
 */
export interface DistributableDisk {
  readonly virtualSize: number;
}

export function distributeDisks<T extends DistributableDisk>(
  disks: readonly T[],
  hostCount: number,
): T[][] {
  if (!Number.isInteger(hostCount) || hostCount < 1) {
    throw new RangeError(`host count must be a whole number >= 1, not ${hostCount}`);
  }
  const hosts = Array.from({ length: hostCount }, () => ({ bytes: 0, disks: [] as T[] }));
  const order = disks
    .map((disk, index) => ({ disk, index }))
    // Ties keep discovery order, so the same inventory always gives the same distribution.
    .sort((a, b) => b.disk.virtualSize - a.disk.virtualSize || a.index - b.index);
  for (const { disk } of order) {
    let least = hosts[0]!;
    for (const host of hosts) if (host.bytes < least.bytes) least = host;
    least.disks.push(disk);
    least.bytes += disk.virtualSize;
  }
  return hosts.map((host) => host.disks);
}
