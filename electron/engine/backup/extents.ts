import type { Extent } from '../store/manifest.js';

/**
 * Collects block runs of one kind as byte extents, from segments that finish in any order;
 * adjacent runs merge, so the count stays proportional to the changes, not the disk.
 */
export class ExtentSet {
  private readonly runs: Array<[start: number, end: number]> = [];

  constructor(private readonly limit: number) {}

  add(start: number, end: number): void {
    this.runs.push([start, Math.min(end, this.limit)]);
  }

  toExtents(): Extent[] {
    const sorted = this.runs.filter(([s, e]) => e > s).sort((a, b) => a[0] - b[0]);
    const merged: Array<[number, number]> = [];
    for (const [start, end] of sorted) {
      const last = merged.at(-1);
      if (last && start <= last[1]) last[1] = Math.max(last[1], end);
      else merged.push([start, end]);
    }
    return merged.map(([start, end]) => [start, end - start] as const);
  }
}
