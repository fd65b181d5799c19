/**
 * `npm run bench:compound` (after `npm run build`; part of `npm run bench`): compound jobs with 1 host x 1
 * stream, 1 host x 2 streams and 2 hosts x 1 stream, side by side in one run.
 *
 * Eight VMs with mixed raw disk sizes (TESSERA_BENCH_COMPOUND_MIB, default 2880 MiB in all,
 * split 640/512/448/384/320/256/192/128) of the convert bench's mixed content (40% random,
 * 30% text, 30% holes) sit in a folder source. One full backup stores them; then each round
 * runs an Accelerator backup of all eight with each configuration, in rotating order, in two
 * scenarios, nothing changed in either:
 *   nothing changed: every allocated block is read and fingerprinted (XXH3) and compared with
 *     its track log; the everyday case, bound by reading and the jobs' fixed costs;
 *   forced rescan (a policy with forcedRescanEvery 1): every allocated block is read and
 *     hashed with SHA-256 again and looked up in the block index, the CPU-bound case the
 *     streams are for.
 * The page cache is warm (the disks were just written).
 *
 * Printed per scenario and configuration (best of TESSERA_BENCH_ROUNDS, default 3): wall time,
 * aggregate MB/s of virtual disk covered and of data read, CPU use (process user+system time over wall
 * time, all threads; 2.0 = both cores busy), and the main thread's busy time (event-loop
 * utilisation x wall), which must stay far below the wall time: the main thread only stores
 * blocks and bookkeeps, the hosts hash. Target: 1x2 and 2x1 at least 1.7x the speed of 1x1 on
 * the CPU-bound (forced rescan) scenario.
 */
import { mkdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type * as ServiceModule from '../../electron/engine/service.js';
import { newPolicy } from '../../shared/policy.js';
import { writeSyntheticDisk } from './synthetic-disk.js';

// The built engine (npm run build), as the app runs it: workers start from JavaScript, not
// through tsx's TypeScript loader, whose start-up would be timed with each job.
const { TesseraService } = (await import(
  new URL('../../out/electron/engine/service.js', import.meta.url).href
)) as typeof ServiceModule;
type TesseraService = ServiceModule.TesseraService;

const MiB = 1024 * 1024;
const SHARES = [640, 512, 448, 384, 320, 256, 192, 128];
const total = Number(process.env.TESSERA_BENCH_COMPOUND_MIB ?? 2880);
const rounds = Number(process.env.TESSERA_BENCH_ROUNDS ?? 3);
const dir = process.env.TESSERA_BENCH_DIR ?? path.join(os.tmpdir(), 'tessera-compound-bench');
const CONFIGS = [
  { hosts: 1, streamsPerHost: 1 },
  { hosts: 1, streamsPerHost: 2 },
  { hosts: 2, streamsPerHost: 1 },
] as const;

interface Scenario {
  readonly title: string;
  readonly policy: string;
}

const SCENARIOS: readonly Scenario[] = [
  { title: 'nothing changed', policy: 'bench' },
  { title: 'forced rescan (every block hashed with SHA-256 again)', policy: 'bench-rescan' },
];

interface Sample {
  wall: number;
  cpu: number;
  mainBusy: number;
  doneBytes: number;
  readBytes: number;
}

async function main(): Promise<void> {
  await rm(dir, { recursive: true, force: true });
  const scale = total / SHARES.reduce((a, b) => a + b, 0);
  let diskBytes = 0;
  for (const [i, share] of SHARES.entries()) {
    const vm = path.join(dir, 'vms', `vm${i + 1}`);
    await mkdir(vm, { recursive: true });
    const size = Math.max(1, Math.round(share * scale)) * MiB;
    await writeSyntheticDisk(path.join(vm, 'disk0.img'), size, 100 + i);
    diskBytes += size;
  }
  const service = await TesseraService.open({ dataDir: path.join(dir, 'data') });
  service.addSource({ kind: 'folder', path: path.join(dir, 'vms') });
  const selection = { kind: 'query', query: 'name startswith "vm"' } as const;
  service.savePolicy(newPolicy('bench', selection));
  service.savePolicy({ ...newPolicy('bench-rescan', selection), forcedRescanEvery: 1 });
  console.log(
    `8 VMs, ${(diskBytes / MiB).toFixed(0)} MiB of raw disks, ${os.availableParallelism()} cores`,
  );
  await service.setHostConfig({ hosts: 2, streamsPerHost: 1 });
  const full = await run(service, 'bench');
  console.log(
    `full backup (2x1): ${full.wall.toFixed(2)} s, ${mbps(full.doneBytes, full.wall)} MB/s`,
  );

  const results: Array<[Scenario, Map<string, Sample[]>]> = [];
  for (const scenario of SCENARIOS) {
    const samples = new Map<string, Sample[]>();
    for (let round = 0; round < rounds; round++) {
      for (let k = 0; k < CONFIGS.length; k++) {
        const config = CONFIGS[(round + k) % CONFIGS.length]!;
        await service.setHostConfig(config);
        const sample = await run(service, scenario.policy);
        const key = `${config.hosts}x${config.streamsPerHost}`;
        samples.set(key, [...(samples.get(key) ?? []), sample]);
      }
    }
    results.push([scenario, samples]);
  }
  await service.close();

  for (const [scenario, samples] of results) {
    const best = (key: string): Sample =>
      samples.get(key)!.reduce((a, b) => (b.wall < a.wall ? b : a));
    const base = best('1x1');
    console.log(`\nAccelerator backup of all 8 VMs, ${scenario.title} (best of ${rounds}):`);
    console.log(
      'config  wall s  MB/s covered  MB/s read  CPU use  main busy s  speed-up vs 1x1  (all walls)',
    );
    for (const config of CONFIGS) {
      const key = `${config.hosts}x${config.streamsPerHost}`;
      const s = best(key);
      const walls = samples
        .get(key)!
        .map((x) => x.wall.toFixed(2))
        .join(' ');
      console.log(
        `${key.padEnd(6)}  ${s.wall.toFixed(2).padStart(6)}  ${mbps(s.doneBytes, s.wall).padStart(12)}  ${mbps(s.readBytes, s.wall).padStart(9)}  ${(s.cpu / s.wall).toFixed(2).padStart(7)}  ${s.mainBusy.toFixed(2).padStart(11)}  ${(base.wall / s.wall).toFixed(2).padStart(15)}x  (${walls})`,
      );
    }
  }
  if (!process.env.TESSERA_BENCH_KEEP) await rm(dir, { recursive: true, force: true });
}

function mbps(bytes: number, seconds: number): string {
  return (bytes / 1e6 / seconds).toFixed(0);
}

async function run(service: TesseraService, policy: string): Promise<Sample> {
  let doneBytes = 0;
  let readBytes = 0;
  const off = service.subscribe((event) => {
    if (
      event.type === 'job-progress' &&
      service.getJob(event.progress.jobId).job.parentId === null
    ) {
      doneBytes = event.progress.doneBytes;
      readBytes = event.progress.readBytes;
    }
  });
  const cpu0 = process.cpuUsage();
  const elu0 = performance.eventLoopUtilization();
  const t0 = performance.now();
  const outcome = await service.runPolicy(policy).done;
  const wall = (performance.now() - t0) / 1000;
  const elu = performance.eventLoopUtilization(elu0);
  const cpu = process.cpuUsage(cpu0);
  off();
  if (outcome.statusCode !== 0 || outcome.images.length !== 8) {
    throw new Error(
      `bench run failed: status ${outcome.statusCode}, ${outcome.images.length} images`,
    );
  }
  return {
    wall,
    cpu: (cpu.user + cpu.system) / 1e6,
    mainBusy: elu.active / 1000,
    doneBytes,
    readBytes,
  };
}

await main();
