/**
 * `npm run bench`: Tessera's disk conversion against qemu-img's, on the same 4 GiB disk in
 * the same run (timings on a shared 2-core machine are noisy; the ratio is what to read).
 *
 * The disk mixes random, text-like and zero regions. qemu-img makes the dynamic VHDX from it;
 * then each tool converts VHDX → raw and raw → VHDX with its defaults (neither flushes the
 * target: qemu-img convert does not, and Tessera's convert does only with --sync). Each
 * conversion runs `rounds` times after a `sync`, and the best time is kept. Targets: ratio ≤ 1 (Tessera at least as
 * fast), Tessera's peak RSS under 150 MB.
 */
import { spawn } from 'node:child_process';
import { mkdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeSyntheticVhdx } from './synthetic-disk.js';

const GiB = 1024 ** 3;
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const size = Number(process.env.TESSERA_BENCH_SIZE ?? 4 * GiB);
const rounds = Number(process.env.TESSERA_BENCH_ROUNDS ?? 3);
const dir = process.env.TESSERA_BENCH_DIR ?? path.join(os.tmpdir(), 'tessera-bench');

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

async function tessera(args: string[]): Promise<Run> {
  const rssFile = path.join(dir, 'rss');
  await rm(rssFile, { force: true });
  const cli = path.join(root, 'out/electron/cli/main.js');
  const hook = path.join(root, 'test/bench/report-rss.mjs');
  const seconds = await timed(process.execPath, ['--import', hook, cli, ...args], {
    TESSERA_RSS_FILE: rssFile,
  });
  const peakRss = Number(await readFile(rssFile, 'utf8').catch(() => 'NaN'));
  return { seconds, peakRss: Number.isFinite(peakRss) ? peakRss : null };
}

async function qemuImg(args: string[]): Promise<Run> {
  return { seconds: await timed('qemu-img', args), peakRss: null };
}

/** Runs both tools `rounds` times, interleaved, each after a `sync`; keeps each tool's best. */
async function race(
  name: string,
  contenders: Record<'tessera' | 'qemu', () => Promise<Run>>,
  target: string,
): Promise<Record<'tessera' | 'qemu', Run>> {
  const runs: Record<'tessera' | 'qemu', Run[]> = { tessera: [], qemu: [] };
  for (let round = 0; round < rounds; round++) {
    for (const tool of ['tessera', 'qemu'] as const) {
      await rm(target, { force: true });
      // Start every run with no dirty pages, so no run pays for the previous one's writeback.
      await timed('sync', []);
      const run = await contenders[tool]();
      process.stderr.write(`  ${name} ${tool} round ${round + 1}: ${run.seconds.toFixed(2)} s\n`);
      runs[tool].push(run);
    }
  }
  await rm(target, { force: true });
  const bestOf = (list: Run[]): Run => {
    const rss = list.map((run) => run.peakRss).filter((value): value is number => value !== null);
    return {
      seconds: Math.min(...list.map((run) => run.seconds)),
      peakRss: rss.length > 0 ? Math.max(...rss) : null,
    };
  };
  return { tessera: bestOf(runs.tessera), qemu: bestOf(runs.qemu) };
}

const mbps = (seconds: number): string => (size / 1e6 / seconds).toFixed(0);

async function main(): Promise<void> {
  await mkdir(dir, { recursive: true });
  const rawSource = path.join(dir, 'source.raw');
  const vhdxSource = path.join(dir, 'source.vhdx');
  process.stderr.write(`making a ${size / GiB} GiB synthetic disk in ${dir}\n`);
  const counts = await writeSyntheticVhdx(rawSource, vhdxSource, size);

  const cases = [
    {
      name: 'VHDX -> raw',
      input: vhdxSource,
      out: 'out.raw',
      qemu: ['-f', 'vhdx', '-O', 'raw'],
      format: 'raw',
    },
    {
      name: 'raw -> VHDX',
      input: rawSource,
      out: 'out.vhdx',
      qemu: ['-f', 'raw', '-O', 'vhdx', '-o', 'subformat=dynamic'],
      format: 'vhdx',
    },
  ];
  const rows: string[] = [];
  let worstRss = 0;
  for (const c of cases) {
    const target = path.join(dir, c.out);
    const { tessera: t, qemu: q } = await race(
      c.name,
      {
        tessera: () =>
          tessera(['disk', 'convert', c.input, target, '--format', c.format, '--json']),
        qemu: () => qemuImg(['convert', ...c.qemu, c.input, target]),
      },
      target,
    );
    worstRss = Math.max(worstRss, t.peakRss ?? 0);
    rows.push(
      `${c.name.padEnd(12)} tessera ${t.seconds.toFixed(2).padStart(6)} s ${mbps(t.seconds).padStart(5)} MB/s | ` +
        `qemu-img ${q.seconds.toFixed(2).padStart(6)} s ${mbps(q.seconds).padStart(5)} MB/s | ` +
        `tessera/qemu-img time ${(t.seconds / q.seconds).toFixed(2)} | tessera peak RSS ${((t.peakRss ?? 0) / 1e6).toFixed(0)} MB`,
    );
  }
  console.log(
    `disk: ${size / GiB} GiB virtual, 1 MiB regions: ${counts.random} random, ${counts.text} text, ${counts.zero} zero`,
  );
  console.log(`best of ${rounds} rounds each; MB/s is of virtual disk size`);
  for (const row of rows) console.log(row);
  console.log(
    `targets: time ratio <= 1.00 in both directions; peak RSS < 150 MB (worst seen: ${(worstRss / 1e6).toFixed(0)} MB)`,
  );
  if (!process.env.TESSERA_BENCH_KEEP) await rm(dir, { recursive: true, force: true });
}

await main();
