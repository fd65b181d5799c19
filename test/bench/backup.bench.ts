/**
 * `npm run bench:backup` (and the second half of `npm run bench`): Tessera's backups against
 * restic's, on the same 4 GiB disk in the same run (a shared 2-core machine is noisy; read the
 * ratios).
 *
 * The disk is the convert bench's mixed disk (synthetic-disk.ts) as a dynamic VHDX made by
 * qemu-img. Two day-2 copies of it are made with qemu-io, each rewriting part of the disk with
 * seeded random (incompressible, never repeated) data:
 *   clustered: 1% of the disk in runs of 64 KiB to 4 MiB (log-uniform lengths, 4 KiB aligned)
 *   scattered: 0.1% of the disk as 4 KiB writes at random 4 KiB-aligned offsets
 * For each pattern, each round starts a fresh Tessera store and a fresh restic repository and
 * runs, each tool after a `sync`: the full backup of day 1, the backup of day 2 (the day-2 copy
 * put at the same path, so Tessera makes an Accelerator backup from its track log and restic
 * uses the first snapshot as parent), and a restore of day 2 (Tessera to a dynamic VHDX, restic
 * the file). Both restores are checked against the day-2 disk with `qemu-img compare` (not
 * timed). Each tool runs with its defaults: Tessera one backup host per core, restic 0.14
 * (Debian's, installed here if missing) with its default repository version and compression.
 *
 * Page caches cannot be dropped here, so every run reads a warm cache (the disk is copied into
 * place just before). Times are the best of `rounds`; bytes added are the mean of the rounds,
 * peak RSS the worst. "Added" is how much the store or repository directory grew (the sum of
 * its files' sizes): for Tessera packs, index.db, images/ (manifests and digest lists),
 * tracklogs/ and the descriptor, all but the catalog (catalog.db*, the app's local index);
 * for restic everything in the repository (data, index, snapshots), not its local cache.
 *
 * Targets (restic 0.14 measured on such a disk, raw file, warm cache: full 23 s, ~190 MB/s;
 * day 2 after the clustered change 11.5 s, 73 MB added; after the scattered one 14 s, 720 MB
 * added; restore 12 s): day-2 backup at least 4x faster than restic's; bytes it adds no more
 * than restic's (clustered) and no more than a fifth of restic's (scattered); full backup at
 * least 1.5x and restore at least 2x restic's speed; each image's manifest (manifest.json and
 * digest lists) at most 0.1% of the virtual size; Tessera's peak RSS under 300 MB.
 *
 * Environment: TESSERA_BENCH_SIZE (bytes, default 4 GiB), TESSERA_BENCH_ROUNDS (default 3),
 * TESSERA_BENCH_DIR (default $TMPDIR/tessera-backup-bench), TESSERA_BENCH_KEEP (keep the
 * directory), TESSERA_BENCH_CPU_PROF (a directory: run Tessera with --cpu-prof into it).
 */
import { spawn, spawnSync } from 'node:child_process';
import { createCipheriv, createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeSyntheticVhdx } from './synthetic-disk.js';

const KiB = 1024;
const MiB = 1024 * KiB;
const GiB = 1024 * MiB;
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const size = Number(process.env.TESSERA_BENCH_SIZE ?? 4 * GiB);
const rounds = Number(process.env.TESSERA_BENCH_ROUNDS ?? 3);
const dir = process.env.TESSERA_BENCH_DIR ?? path.join(os.tmpdir(), 'tessera-backup-bench');
const cpuProfDir = process.env.TESSERA_BENCH_CPU_PROF;
const CLIENT = 'benchvm';
const RESTIC_ENV = { RESTIC_PASSWORD: 'bench' };
/** qemu-io commands per invocation: keeps every command line far below ARG_MAX. */
const QEMU_IO_BATCH = 400;

type Tool = 'tessera' | 'restic';
type Step = 'full' | 'day2' | 'restore';
type PatternName = 'clustered' | 'scattered';

interface Run {
  seconds: number;
  peakRss: number | null;
  stdout: string;
}

interface Write {
  offset: number;
  length: number;
}

// ---------------------------------------------------------------------------------------------
// Processes

async function exec(
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ seconds: number; stdout: string }> {
  const started = process.hrtime.bigint();
  const chunks: Buffer[] = [];
  await new Promise<void>((resolve, reject) => {
    const child = spawn(command, args, {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, ...env },
    });
    child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0
        ? resolve()
        : reject(new Error(`${command} ${args.slice(0, 8).join(' ')} ... exited ${code}`)),
    );
  });
  return {
    seconds: Number(process.hrtime.bigint() - started) / 1e9,
    stdout: Buffer.concat(chunks).toString('utf8'),
  };
}

const sync = (): Promise<unknown> => exec('sync', []);

function has(command: string, args: string[]): boolean {
  const result = spawnSync(command, args, { stdio: 'ignore' });
  return result.error === undefined && result.status === 0;
}

/** Installs a Debian package if `probe` fails; returns whether the probe passes after. */
function ensurePackage(pkg: string, probe: () => boolean): boolean {
  if (probe()) return true;
  process.stderr.write(`installing ${pkg} (apt-get)\n`);
  const install = (): boolean =>
    spawnSync('apt-get', ['install', '-y', '-q', pkg], { stdio: ['ignore', 'ignore', 'inherit'] })
      .status === 0;
  if (!install()) {
    spawnSync('apt-get', ['update', '-q'], { stdio: ['ignore', 'ignore', 'inherit'] });
    install();
  }
  return probe();
}

async function tessera(args: string[]): Promise<Run> {
  const rssFile = path.join(dir, 'rss');
  await rm(rssFile, { force: true });
  const cli = path.join(root, 'out/electron/cli/main.js');
  const hook = path.join(root, 'test/bench/report-rss.mjs');
  const prof = cpuProfDir ? ['--cpu-prof', '--cpu-prof-dir', cpuProfDir] : [];
  const { seconds, stdout } = await exec(
    process.execPath,
    [...prof, '--import', hook, cli, ...args],
    {
      TESSERA_RSS_FILE: rssFile,
    },
  );
  const peakRss = Number(await readFile(rssFile, 'utf8').catch(() => 'NaN'));
  return { seconds, stdout, peakRss: Number.isFinite(peakRss) ? peakRss : null };
}

let timeCommand: string | null = null;

async function restic(args: string[]): Promise<Run> {
  const rssFile = path.join(dir, 'rss');
  await rm(rssFile, { force: true });
  const { seconds, stdout } = timeCommand
    ? await exec(timeCommand, ['-f', '%M', '-o', rssFile, 'restic', ...args], RESTIC_ENV)
    : await exec('restic', args, RESTIC_ENV);
  // GNU time's %M is the peak resident set in KiB.
  const kib = Number((await readFile(rssFile, 'utf8').catch(() => 'NaN')).trim());
  return { seconds, stdout, peakRss: Number.isFinite(kib) ? kib * KiB : null };
}

// ---------------------------------------------------------------------------------------------
// Day-2 change patterns

/** A seeded PRNG (xorshift128+ folded to [0, 1)): the same writes on every machine. */
function random(seed: string): () => number {
  const h = createHash('sha256').update(seed).digest();
  let s0 = h.readBigUInt64LE(0) | 1n;
  let s1 = h.readBigUInt64LE(8) | 2n;
  const mask = (1n << 64n) - 1n;
  return () => {
    let x = s0;
    const y = s1;
    s0 = y;
    x = (x ^ (x << 23n)) & mask;
    s1 = x ^ y ^ (x >> 17n) ^ (y >> 26n);
    return Number(((s1 + y) & mask) >> 11n) / 2 ** 53;
  };
}

/** Non-overlapping 4 KiB-aligned writes covering `fraction` of the disk, sorted by offset. */
function planWrites(pattern: PatternName): Write[] {
  const next = random(`tessera-bench-${pattern}`);
  const pages = Math.floor(size / (4 * KiB));
  const target = Math.max(
    1,
    Math.round((size * (pattern === 'clustered' ? 0.01 : 0.001)) / (4 * KiB)),
  );
  const taken = new Uint8Array(pages);
  const writes: Write[] = [];
  let written = 0;
  while (written < target) {
    // Clustered runs: 16 to 1024 pages (64 KiB to 4 MiB), log-uniform. Scattered: one page.
    const want = pattern === 'clustered' ? Math.round(16 * 2 ** (6 * next())) : 1;
    // The last run takes what is left, never leaving a remainder shorter than 64 KiB.
    const left = target - written;
    let length = Math.min(want, left);
    if (pattern === 'clustered' && left - length > 0 && left - length < 16)
      length = left <= 1024 ? left : left - 16;
    const first = Math.floor(next() * (pages - length + 1));
    // Runs neither overlap nor touch, so each stays one run of the length drawn.
    let free = true;
    for (let p = Math.max(0, first - 1); p < Math.min(pages, first + length + 1) && free; p++) {
      if (taken[p]) free = false;
    }
    if (!free) continue;
    taken.fill(1, first, first + length);
    writes.push({ offset: first * 4 * KiB, length: length * 4 * KiB });
    written += length;
  }
  return writes.sort((a, b) => a.offset - b.offset);
}

/** Copies the day-1 disk and applies the pattern's writes with qemu-io, each its own data. */
async function makeDay2(day1: string, target: string, pattern: PatternName): Promise<Write[]> {
  const writes = planWrites(pattern);
  const dataDir = path.join(dir, `writes-${pattern}`);
  await rm(dataDir, { recursive: true, force: true });
  await mkdir(dataDir, { recursive: true });
  await rm(target, { force: true });
  await exec('cp', ['--sparse=always', day1, target]);
  for (let first = 0; first < writes.length; first += QEMU_IO_BATCH) {
    const args = ['-f', 'vhdx'];
    for (const [i, w] of writes.slice(first, first + QEMU_IO_BATCH).entries()) {
      const file = path.join(dataDir, `${first + i}`);
      const key = createHash('sha256')
        .update(`day2-${pattern}-${first + i}`)
        .digest();
      const cipher = createCipheriv('aes-128-ctr', key.subarray(0, 16), key.subarray(16, 32));
      await writeFile(file, cipher.update(Buffer.alloc(w.length)));
      args.push('-c', `write -q -s ${file} ${w.offset} ${w.length}`);
    }
    await exec('qemu-io', [...args, target]);
  }
  await rm(dataDir, { recursive: true, force: true });
  return writes;
}

// ---------------------------------------------------------------------------------------------
// Measuring

/** Sum of the sizes of the files under `top`, skipping names `skip` rejects. */
async function treeBytes(
  top: string,
  skip: (name: string) => boolean = () => false,
): Promise<number> {
  let total = 0;
  const entries = await readdir(top, { withFileTypes: true }).catch(() => []);
  for (const entry of entries) {
    if (skip(entry.name)) continue;
    const full = path.join(top, entry.name);
    if (entry.isDirectory()) total += await treeBytes(full);
    else if (entry.isFile()) total += (await stat(full)).size;
  }
  return total;
}

const tesseraStoreBytes = (store: string): Promise<number> =>
  treeBytes(store, (name) => name.startsWith('catalog.db'));

interface Measure {
  seconds: number;
  added: number | null;
  peakRss: number | null;
}

interface Image {
  backupId: string;
  kind: string;
  disks: Array<{ stats: { bytesStored: number; blocksChanged: number } }>;
}

interface CaseRound {
  tessera: Record<Step, Measure>;
  restic: Record<Step, Measure>;
  bytesStored: Record<'full' | 'day2', number>;
  manifestBytes: Record<'full' | 'day2', number>;
}

async function compareDisks(a: string, b: string, label: string): Promise<void> {
  const result = spawnSync('qemu-img', ['compare', '-q', a, b], { stdio: 'inherit' });
  if (result.status !== 0) throw new Error(`${label}: the restored disk differs from day 2`);
}

async function runCase(
  pattern: PatternName,
  day1: string,
  day2: string,
  round: number,
): Promise<CaseRound> {
  const work = path.join(dir, 'work');
  const disk = path.join(work, 'disk.vhdx');
  const store = path.join(dir, `tessera-${pattern}`);
  const repo = path.join(dir, `restic-${pattern}`);
  const cache = path.join(dir, 'restic-cache');
  for (const d of [work, store, repo, cache]) await rm(d, { recursive: true, force: true });
  await mkdir(work, { recursive: true });
  await exec('restic', ['--repo', repo, 'init', '-q'], RESTIC_ENV);
  const resticArgs = ['--repo', repo, '--cache-dir', cache, '-q'];

  const result: CaseRound = {
    tessera: {} as Record<Step, Measure>,
    restic: {} as Record<Step, Measure>,
    bytesStored: { full: 0, day2: 0 },
    manifestBytes: { full: 0, day2: 0 },
  };
  const images: Partial<Record<'full' | 'day2', Image>> = {};
  // Alternate which tool goes first, so neither always gets the other's leftovers.
  const order: Tool[] = round % 2 === 0 ? ['tessera', 'restic'] : ['restic', 'tessera'];

  const steps: Record<Tool, Record<Step, () => Promise<Measure>>> = {
    tessera: {
      full: () => tesseraBackup('full'),
      day2: () => tesseraBackup('day2'),
      restore: async () => {
        const to = path.join(dir, 'restore-tessera');
        await rm(to, { recursive: true, force: true });
        const run = await tessera([
          'restore',
          images.day2!.backupId,
          '--to',
          to,
          '--format',
          'vhdx',
          '--store',
          store,
          '--json',
        ]);
        if (round === 0) await compareDisks(path.join(to, 'disk.vhdx'), disk, 'tessera');
        await rm(to, { recursive: true, force: true });
        return { seconds: run.seconds, added: null, peakRss: run.peakRss };
      },
    },
    restic: {
      full: () => resticBackup(),
      day2: () => resticBackup(),
      restore: async () => {
        const to = path.join(dir, 'restore-restic');
        await rm(to, { recursive: true, force: true });
        const run = await restic([...resticArgs, 'restore', 'latest', '--target', to]);
        if (round === 0) await compareDisks(path.join(to, disk), disk, 'restic');
        await rm(to, { recursive: true, force: true });
        return { seconds: run.seconds, added: null, peakRss: run.peakRss };
      },
    },
  };

  async function tesseraBackup(step: 'full' | 'day2'): Promise<Measure> {
    const before = await tesseraStoreBytes(store);
    const run = await tessera(['backup', disk, '--client', CLIENT, '--store', store, '--json']);
    const image = JSON.parse(run.stdout) as Image;
    const expected = step === 'full' ? 'full' : 'accelerator';
    if (image.kind !== expected) {
      throw new Error(`tessera's ${step} backup was ${image.kind}, expected ${expected}`);
    }
    images[step] = image;
    result.bytesStored[step] = image.disks.reduce((sum, d) => sum + d.stats.bytesStored, 0);
    result.manifestBytes[step] = await treeBytes(path.join(store, 'images', image.backupId));
    const added = (await tesseraStoreBytes(store)) - before;
    return { seconds: run.seconds, added, peakRss: run.peakRss };
  }

  async function resticBackup(): Promise<Measure> {
    const before = await treeBytes(repo);
    const run = await restic([...resticArgs, 'backup', disk]);
    return { seconds: run.seconds, added: (await treeBytes(repo)) - before, peakRss: run.peakRss };
  }

  for (const [step, source] of [
    ['full', day1],
    ['day2', day2],
    ['restore', null],
  ] as const) {
    if (source) await exec('cp', ['--sparse=always', source, disk]);
    for (const tool of order) {
      // Start every run with no dirty pages, so no run pays for the previous one's writeback.
      await sync();
      const measure = await steps[tool][step]();
      result[tool][step] = measure;
      process.stderr.write(
        `  ${pattern} round ${round + 1} ${step} ${tool}: ${measure.seconds.toFixed(2)} s` +
          (measure.added === null ? '' : `, added ${mb(measure.added)} MB`) +
          '\n',
      );
    }
  }
  if (!process.env.TESSERA_BENCH_KEEP) {
    for (const d of [work, store, repo, cache]) await rm(d, { recursive: true, force: true });
  }
  return result;
}

// ---------------------------------------------------------------------------------------------
// Report

const mb = (bytes: number): string => (bytes / 1e6).toFixed(bytes < 10e6 ? 2 : 1);
const mbps = (seconds: number): string => (size / 1e6 / seconds).toFixed(0);
const mean = (values: number[]): number => values.reduce((a, b) => a + b, 0) / values.length;

function summarize(list: Measure[]): Measure {
  const rss = list.map((m) => m.peakRss).filter((v): v is number => v !== null);
  const added = list.map((m) => m.added).filter((v): v is number => v !== null);
  return {
    seconds: Math.min(...list.map((m) => m.seconds)),
    added: added.length > 0 ? mean(added) : null,
    peakRss: rss.length > 0 ? Math.max(...rss) : null,
  };
}

async function main(): Promise<void> {
  if (!existsSync(path.join(root, 'out/electron/cli/main.js'))) {
    throw new Error('build the CLI first: npm run build');
  }
  if (!ensurePackage('restic', () => has('restic', ['version']))) {
    throw new Error('restic is not installed and apt-get could not install it');
  }
  timeCommand = ensurePackage('time', () => has('/usr/bin/time', ['-f', '%M', 'true']))
    ? '/usr/bin/time'
    : null;
  const resticVersion = spawnSync('restic', ['version'], { encoding: 'utf8' }).stdout.trim();

  const loadAtStart = os.loadavg()[0]!;
  await mkdir(dir, { recursive: true });
  if (cpuProfDir) await mkdir(cpuProfDir, { recursive: true });
  const raw = path.join(dir, 'day1.raw');
  const day1 = path.join(dir, 'day1.vhdx');
  process.stderr.write(`making a ${size / GiB} GiB synthetic disk in ${dir}\n`);
  const counts = await writeSyntheticVhdx(raw, day1, size);
  await rm(raw, { force: true });
  const fileSize = (await stat(day1)).size;

  const patterns: PatternName[] = ['clustered', 'scattered'];
  const results: Record<PatternName, CaseRound[]> = { clustered: [], scattered: [] };
  const plans: Record<PatternName, Write[]> = { clustered: [], scattered: [] };
  for (const pattern of patterns) {
    const day2 = path.join(dir, `day2-${pattern}.vhdx`);
    plans[pattern] = await makeDay2(day1, day2, pattern);
    for (let round = 0; round < rounds; round++) {
      results[pattern].push(await runCase(pattern, day1, day2, round));
    }
    if (!process.env.TESSERA_BENCH_KEEP) await rm(day2, { force: true });
  }

  // The table.
  const out: string[] = [];
  const kib = (bytes: number): string => `${bytes / KiB} KiB`;
  out.push(
    `disk: ${size / GiB} GiB virtual, dynamic VHDX of ${mb(fileSize)} MB; 1 MiB regions: ` +
      `${counts.random} random, ${counts.text} text, ${counts.zero} zero`,
  );
  for (const pattern of patterns) {
    const w = plans[pattern];
    const bytes = w.reduce((sum, x) => sum + x.length, 0);
    const lengths = w.map((x) => x.length);
    out.push(
      `day 2 ${pattern}: ${w.length} writes of ${kib(Math.min(...lengths))} to ${kib(Math.max(...lengths))}, ` +
        `${mb(bytes)} MB (${((bytes / size) * 100).toFixed(2)}% of the disk), seeded random data`,
    );
  }
  out.push(
    `${resticVersion}, default repository and compression; Tessera with its defaults (64 KiB blocks, ${os.availableParallelism()} hosts)`,
    `machine: ${os.availableParallelism()} cores, load average (1 min) ${loadAtStart.toFixed(1)} at the start, ` +
      `${os.loadavg()[0]!.toFixed(1)} at the end (other work on the machine makes times noisy)`,
    `best time of ${rounds} round(s), mean bytes added, worst peak RSS; warm page cache (caches cannot be ` +
      `dropped here), sync before each timed run; MB/s is of virtual disk size`,
    `added = growth of the store / repository directory, sum of file sizes (Tessera: packs, index.db, ` +
      `images/, tracklogs/, not catalog.db*; restic: the whole repository, not its cache)`,
    `stored = the manifest's disks[].stats.bytesStored; manifest = the image directory (manifest.json + disk-*.blocks)`,
    '',
  );

  const rows: string[][] = [
    ['', '', 'tessera', '', '', '', 'restic', '', '', '', 'ratios', '', 'tessera', ''],
    [
      'pattern',
      'step',
      's',
      'MB/s',
      'added MB',
      'RSS MB',
      's',
      'MB/s',
      'added MB',
      'RSS MB',
      'time t/r',
      'added t/r',
      'stored MB',
      'manifest MB',
    ],
  ];
  const checks: Array<{ what: string; value: string; ok: boolean }> = [];
  let worstRss = 0;
  let worstManifest = 0;
  const num = (value: number | null, digits = 1): string =>
    value === null ? '-' : value.toFixed(digits);
  for (const pattern of patterns) {
    const list = results[pattern];
    for (const step of ['full', 'day2', 'restore'] as const) {
      const t = summarize(list.map((r) => r.tessera[step]));
      const r = summarize(list.map((x) => x.restic[step]));
      worstRss = Math.max(worstRss, t.peakRss ?? 0);
      const timeRatio = t.seconds / r.seconds;
      const addedRatio =
        t.added !== null && r.added !== null && r.added > 0 ? t.added / r.added : null;
      let stored: number | null = null;
      let manifest: number | null = null;
      if (step !== 'restore') {
        stored = mean(list.map((x) => x.bytesStored[step]));
        manifest = Math.max(...list.map((x) => x.manifestBytes[step]));
        worstManifest = Math.max(worstManifest, manifest);
      }
      const tool = (m: Measure): string[] => [
        m.seconds.toFixed(2),
        mbps(m.seconds),
        m.added === null ? '-' : mb(m.added),
        num(m.peakRss === null ? null : m.peakRss / 1e6, 0),
      ];
      rows.push([
        pattern,
        step === 'day2' ? 'day 2' : step === 'restore' ? 'restore 2' : 'full',
        ...tool(t),
        ...tool(r),
        timeRatio.toFixed(2),
        num(addedRatio, 3),
        stored === null ? '-' : mb(stored),
        manifest === null ? '-' : mb(manifest),
      ]);
      const speedup = `${(1 / timeRatio).toFixed(2)}x restic's speed`;
      if (step === 'day2') {
        checks.push({
          what: `${pattern}: day-2 backup >= 4x restic's speed`,
          value: speedup,
          ok: timeRatio <= 0.25,
        });
        const limit = pattern === 'clustered' ? 1 : 0.2;
        checks.push({
          what: `${pattern}: day-2 bytes added <= ${pattern === 'clustered' ? "restic's" : "1/5 of restic's"}`,
          value: `${mb(t.added ?? 0)} vs ${mb(r.added ?? 0)} MB (${num(addedRatio, 3)})`,
          ok: addedRatio !== null && addedRatio <= limit,
        });
      } else if (step === 'full') {
        checks.push({
          what: `${pattern}: full backup >= 1.5x restic's speed`,
          value: speedup,
          ok: timeRatio <= 1 / 1.5,
        });
      } else {
        checks.push({
          what: `${pattern}: restore >= 2x restic's speed`,
          value: speedup,
          ok: timeRatio <= 0.5,
        });
      }
    }
  }
  const widths = rows[1]!.map((_, i) => Math.max(...rows.slice(1).map((row) => row[i]!.length)));
  const groups = new Set([2, 6, 10, 12]);
  const lines = rows
    .slice(1)
    .map((row) =>
      row
        .map(
          (cell, i) =>
            (groups.has(i) ? '| ' : '') +
            (i < 2 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!)),
        )
        .join(' '),
    );
  // The group labels, each after its bar.
  let groupLine = '';
  for (const [i, label] of rows[0]!.entries()) {
    if (!groups.has(i)) continue;
    const at = lines[0]!.split('|', [...groups].indexOf(i) + 1).join('|').length;
    groupLine = `${groupLine.padEnd(at)}| ${label}`;
  }
  out.push(groupLine, lines[0]!, '-'.repeat(lines[0]!.length), ...lines.slice(1));
  if (rounds > 1) {
    // Each round runs the two tools back to back, so its own ratio is less exposed to load
    // that comes and goes than the ratio of two best times taken in different rounds.
    out.push('', 'time tessera/restic in each round (the two back to back):');
    for (const pattern of patterns) {
      for (const step of ['full', 'day2', 'restore'] as const) {
        const ratios = results[pattern].map(
          (r) => r.tessera[step].seconds / r.restic[step].seconds,
        );
        out.push(
          `  ${pattern} ${step === 'day2' ? 'day 2' : step}: ${ratios.map((x) => x.toFixed(2)).join(' ')}`,
        );
      }
    }
  }
  checks.push({
    what: 'manifest (manifest.json + digest lists) <= 0.1% of virtual size',
    value: `largest ${mb(worstManifest)} MB, limit ${mb(size * 0.001)} MB`,
    ok: worstManifest <= size * 0.001,
  });
  checks.push({
    what: "Tessera's peak RSS < 300 MB",
    value: `worst ${(worstRss / 1e6).toFixed(0)} MB`,
    ok: worstRss < 300e6,
  });
  out.push('', 'targets:');
  const width = Math.max(...checks.map((c) => c.what.length));
  for (const c of checks)
    out.push(`  ${c.what.padEnd(width)}  ${c.value.padEnd(34)} ${c.ok ? 'met' : 'NOT MET'}`);
  for (const line of out) console.log(line);
  if (!process.env.TESSERA_BENCH_KEEP) await rm(dir, { recursive: true, force: true });
}

await main();
