import { describe, expect, it } from 'vitest';
import { distributeDisks } from '../../../electron/engine/jobs/distribution.js';
import { seededBytes } from '../../helpers/scratch.js';

const MiB = 1024 * 1024;

interface Disk {
  readonly name: string;
  readonly virtualSize: number;
}

const disk = (name: string, mib: number): Disk => ({ name, virtualSize: mib * MiB });
const names = (hosts: Disk[][]): string[][] => hosts.map((host) => host.map((d) => d.name));
const load = (host: readonly Disk[]): number => host.reduce((sum, d) => sum + d.virtualSize, 0);

describe('distributeDisks', () => {
  it('gives the largest disk first to the least-loaded host', () => {
    const disks = [disk('a', 10), disk('b', 70), disk('c', 40), disk('d', 30), disk('e', 20)];
    // b(70)→h0; c(40)→h1; d(30)→h1 (40 < 70); e(20)→h0 (70 = 70: the first); a(10)→h1 (70 < 90).
    expect(names(distributeDisks(disks, 2))).toEqual([
      ['b', 'e'],
      ['c', 'd', 'a'],
    ]);
    // Three hosts: each of the three largest opens a host, then the smaller ones fill the gaps.
    expect(names(distributeDisks(disks, 3))).toEqual([['b'], ['c', 'a'], ['d', 'e']]);
  });

  it('keeps discovery order between disks of the same size, and the first host among equals', () => {
    const disks = ['p', 'q', 'r', 's', 't'].map((name) => disk(name, 8));
    expect(names(distributeDisks(disks, 2))).toEqual([
      ['p', 'r', 't'],
      ['q', 's'],
    ]);
    // The same input always gives the same distribution.
    expect(names(distributeDisks(disks, 2))).toEqual(names(distributeDisks([...disks], 2)));
    // Mixed sizes: equal ones stay in their input order within the size order.
    const mixed = [disk('x1', 4), disk('big', 16), disk('x2', 4), disk('x3', 4)];
    expect(names(distributeDisks(mixed, 1))).toEqual([['big', 'x1', 'x2', 'x3']]);
  });

  it('gives one host every disk, largest first, and returns the same objects', () => {
    const disks = [disk('a', 1), disk('b', 3), disk('c', 2)];
    const [only, ...rest] = distributeDisks(disks, 1);
    expect(rest).toEqual([]);
    expect(only!.map((d) => d.name)).toEqual(['b', 'c', 'a']);
    expect(only![0]).toBe(disks[1]);
    // The input is not reordered.
    expect(disks.map((d) => d.name)).toEqual(['a', 'b', 'c']);
  });

  it('leaves the extra hosts empty when there are more hosts than disks', () => {
    const disks = [disk('a', 5), disk('b', 9)];
    expect(names(distributeDisks(disks, 4))).toEqual([['b'], ['a'], [], []]);
    expect(distributeDisks([], 3)).toEqual([[], [], []]);
  });

  it('keeps every pair of host totals within the largest disk (seeded random sizes)', () => {
    for (let seed = 1; seed <= 40; seed++) {
      const bytes = seededBytes(seed, 64);
      const count = 1 + (bytes[0]! % 30);
      const hostCount = 1 + (bytes[1]! % 6);
      const disks = Array.from({ length: count }, (_, i) =>
        // 1 MiB to 256 MiB or to 64 GiB, so sizes span several orders of magnitude.
        disk(`d${i}`, 1 + (bytes.readUInt16LE(2 + 2 * i) >> (bytes[i]! % 2 === 0 ? 8 : 0))),
      );
      const hosts = distributeDisks(disks, hostCount);
      expect(hosts).toHaveLength(hostCount);
      // Every disk exactly once.
      expect(hosts.flat().sort((a, b) => a.name.localeCompare(b.name))).toEqual(
        [...disks].sort((a, b) => a.name.localeCompare(b.name)),
      );
      const totals = hosts.map(load);
      const largest = Math.max(...disks.map((d) => d.virtualSize));
      expect(Math.max(...totals) - Math.min(...totals), `seed ${seed}`).toBeLessThanOrEqual(
        largest,
      );
      // Each host's disks are in size order, largest first.
      for (const host of hosts) {
        const sizes = host.map((d) => d.virtualSize);
        expect(sizes).toEqual([...sizes].sort((a, b) => b - a));
      }
    }
  });

  it('throws a RangeError for a host count that is not a whole number of at least 1', () => {
    for (const bad of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => distributeDisks([disk('a', 1)], bad)).toThrow(RangeError);
    }
    expect(() => distributeDisks([], 0)).toThrow('host count must be a whole number >= 1, not 0');
  });
});
