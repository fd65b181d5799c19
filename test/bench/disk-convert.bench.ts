/**
 * `npm run bench`: Tessera's disk conversion against qemu-img's, on the same 4 GiB disk in
 * the same run (timings on a shared 2-core machine are noisy; the ratio is what to read).
 *
 * The disk mixes random, text-like and zero regions. qemu-img makes the dynamic VHDX from it;
 * then each tool converts VHDX → raw and raw → VHDX with its defaults (neither flushes the
 * target: qemu-img convert does not, and Tessera's convert does only with --sync). The tools
 * take turns, round after round, each run after an untimed `sync`, so no tool's time includes
 * writing back the previous run's dirty pages; the table gives each tool's minimum and median
 * time and the median of the per-round ratios (each Tessera run against the qemu-img run beside
 * it, so load that comes and goes hits both sides of a ratio alike).
 * Targets: ratio ≤ 1 (Tessera at least as fast), Tessera's peak RSS under 150 MB.
 *
 * Environment:
 *   TESSERA_BENCH_SIZE      virtual size in bytes (default 4 GiB)
 *   TESSERA_BENCH_ROUNDS    rounds per direction (default 5)
 *   TESSERA_BENCH_DIR       working folder (default $TMPDIR/tessera-bench)
 *   TESSERA_BENCH_KEEP      keep the folder afterwards; with it, a later run reuses the sources
 *   TESSERA_BENCH_CLI       the Tessera CLI to time (default out/electron/cli/main.js)
 *   TESSERA_BENCH_BASELINE  another build's CLI to race in the same rounds (before/after)
 *   TESSERA_BENCH_CASES     comma-separated subset of: vhdx-raw, raw-vhdx
 */
import { execFile, spawn } from 'node:child_process';
import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { writeSyntheticVhdx, type RegionKind } from './synthetic-disk.js';

const GiB = 1024 ** 3;
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const size = Number(process.env.TESSERA_BENCH_SIZE ?? 4 * GiB);
const rounds = Number(process.env.TESSERA_BENCH_ROUNDS ?? 5);
const dir = process.env.TESSERA_BENCH_DIR ?? path.join(os.tmpdir(), 'tessera-bench');
const cli = path.resolve(root, process.env.TESSERA_BENCH_CLI ?? 'out/electron/cli/main.js');
const baselineCli = process.env.TESSERA_BENCH_BASELINE
  ? path.resolve(root, process.env.TESSERA_BENCH_BASELINE)
  : null;
const wanted = process.env.TESSERA_BENCH_CASES?.split(',') ?? null;

interface Run {
  seconds: number;
  peakRss: number | null;
}

async function timed(
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<number> {
  const started = process.hrtime.bigint();
  await new Promise<void>((resolve, reject) => {
    const child = spawn(command, args, {
      stdio: ['ignore', 'ignore', 'inherit'],
      env: { ...process.env, ...env },
    });
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`${command} ${args.join(' ')} exited ${code}`)),
    );
  });
  return Number(process.hrtime.bigint() - started) / 1e9;
}

async function tessera(main: string, args: string[]): Promise<Run> {
  const rssFile = path.join(dir, 'rss');
  await rm(rssFile, { force: true });
  const hook = path.join(root, 'test/bench/report-rss.mjs');
  const seconds = await timed(process.execPath, ['--import', hook, main, ...args], {
    TESSERA_RSS_FILE: rssFile,
  });
  const peakRss = Number(await readFile(rssFile, 'utf8').catch(() => 'NaN'));
  return { seconds, peakRss: Number.isFinite(peakRss) ? peakRss : null };
}

async function qemuImg(args: string[]): Promise<Run> {
  return { seconds: await timed('qemu-img', args), peakRss: null };
}

type Tool = 'tessera' | 'baseline' | 'qemu';

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};

/**
 * Runs every contender once untimed (a warm-up: a fresh build's first run pays for reading its
 * code from disk), checking its output with `check`; then `rounds` times, taking turns (the
 * order rotates each round so no tool always follows the same one), each run after a `sync`.
 */
async function race(
  name: string,
  contenders: Partial<Record<Tool, () => Promise<Run>>>,
  target: string,
  check: (tool: Tool) => Promise<void>,
): Promise<Partial<Record<Tool, Run[]>>> {
  const tools = Object.keys(contenders) as Tool[];
  const runs: Partial<Record<Tool, Run[]>> = {};
  for (const tool of tools) {
    await rm(target, { force: true });
    await contenders[tool]!();
    await check(tool);
  }
  for (let round = 0; round < rounds; round++) {
    const order = tools.map((_, i) => tools[(i + round) % tools.length]!);
    for (const tool of order) {
      await rm(target, { force: true });
      // Start every run with no dirty pages, so no run pays for the previous one's writeback.
      await timed('sync', []);
      const run = await contenders[tool]!();
      process.stderr.write(`  ${name} ${tool} round ${round + 1}: ${run.seconds.toFixed(2)} s\n`);
      (runs[tool] ??= []).push(run);
    }
  }
  await rm(target, { force: true });
  return runs;
}

const mbps = (seconds: number): string => (size / 1e6 / seconds).toFixed(0);

async function sources(): Promise<{ raw: string; vhdx: string; counts: string }> {
  const raw = path.join(dir, 'source.raw');
  const vhdx = path.join(dir, 'source.vhdx');
  const countsFile = path.join(dir, 'source.counts');
  const reusable = process.env.TESSERA_BENCH_KEEP
    ? await Promise.all([stat(raw), stat(vhdx), readFile(countsFile, 'utf8')]).catch(() => null)
    : null;
  if (reusable && reusable[0].size === size) return { raw, vhdx, counts: reusable[2] };
  process.stderr.write(`making a ${size / GiB} GiB synthetic disk in ${dir}\n`);
  const counts: Record<RegionKind, number> = await writeSyntheticVhdx(raw, vhdx, size);
  const text = `${counts.random} random, ${counts.text} text, ${counts.zero} zero`;
  if (process.env.TESSERA_BENCH_KEEP) await writeFile(countsFile, text);
  return { raw, vhdx, counts: text };
}

async function main(): Promise<void> {
  await mkdir(dir, { recursive: true });
  const source = await sources();

  const cases = [
    {
      id: 'vhdx-raw',
      name: 'VHDX -> raw',
      input: source.vhdx,
      inputFormat: 'vhdx',
      out: 'out.raw',
      qemu: ['-f', 'vhdx', '-O', 'raw'],
      format: 'raw',
    },
    {
      id: 'raw-vhdx',
      name: 'raw -> VHDX',
      input: source.raw,
      inputFormat: 'raw',
      out: 'out.vhdx',
      qemu: ['-f', 'raw', '-O', 'vhdx', '-o', 'subformat=dynamic'],
      format: 'vhdx',
    },
  ].filter((c) => !wanted || wanted.includes(c.id));
  const rows: string[] = [];
  let worstRss = 0;
  for (const c of cases) {
    const target = path.join(dir, c.out);
    const args = ['disk', 'convert', c.input, target, '--format', c.format, '--json'];
    const contenders: Partial<Record<Tool, () => Promise<Run>>> = {
      tessera: () => tessera(cli, args),
      qemu: () => qemuImg(['convert', ...c.qemu, c.input, target]),
    };
    if (baselineCli) contenders.baseline = () => tessera(baselineCli, args);
    const runs = await race(c.name, contenders, target, async () => {
      // Every tool's output must hold the source's bytes (qemu-img compare exits 1 if not).
      await promisify(execFile)('qemu-img', ['compare', '-f', c.inputFormat, c.input, target]);
    });
    const qemu = runs.qemu!.map((run) => run.seconds);
    for (const tool of ['tessera', 'baseline'] as const) {
      const list = runs[tool];
      if (!list) continue;
      const seconds = list.map((run) => run.seconds);
      const rss = Math.max(...list.map((run) => run.peakRss ?? 0));
      if (tool === 'tessera') worstRss = Math.max(worstRss, rss);
      const paired = median(seconds.map((s, i) => s / qemu[i]!));
      rows.push(
        `${c.name.padEnd(12)} ${tool.padEnd(8)} min ${Math.min(...seconds).toFixed(2)} s ` +
          `median ${median(seconds).toFixed(2)} s (${mbps(median(seconds))} MB/s) | ` +
          `qemu-img min ${Math.min(...qemu).toFixed(2)} s median ${median(qemu).toFixed(2)} s | ` +
          `ratio min ${(Math.min(...seconds) / Math.min(...qemu)).toFixed(2)} ` +
          `median ${(median(seconds) / median(qemu)).toFixed(2)} paired ${paired.toFixed(2)} | ` +
          `peak RSS ${(rss / 1e6).toFixed(0)} MB`,
      );
    }
  }
  console.log(`disk: ${size / GiB} GiB virtual, 1 MiB regions: ${source.counts}`);
  console.log(
    `${rounds} alternating rounds each; MB/s is of virtual disk size; ratio = tessera/qemu-img time`,
  );
  for (const row of rows) console.log(row);
  console.log(
    `targets: time ratio <= 1.00 in both directions; peak RSS < 150 MB (worst seen: ${(worstRss / 1e6).toFixed(0)} MB)`,
  );
  if (!process.env.TESSERA_BENCH_KEEP) await rm(dir, { recursive: true, force: true });
}

await main();
