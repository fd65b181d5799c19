import type { Command } from 'commander';
import { TesseraError } from '../../../shared/errors.js';
import type { JobInfo, JobProgress } from '../../../shared/jobs.js';
import { statusOf } from '../../../shared/status-codes.js';
import type { TesseraService } from '../../engine/service.js';
import { EXIT } from '../exit-codes.js';
import { formatBytes, formatDuration } from '../human.js';
import { interruptSignal } from '../interrupt.js';
import { dataOptions, withService } from './service-options.js';

const print = (text: string): void => void process.stdout.write(`${text}\n`);

interface Flags {
  data?: string;
  store?: string;
  json?: boolean;
  full?: boolean;
  schedule?: string;
  limit?: string;
  policy?: string;
}

/** The exit code of a job that ended with `statusCode`: 0, 7 partial success, 8 failed. */
export function exitCodeOfStatus(statusCode: number): number {
  if (statusCode === 150) return EXIT.INTERRUPTED;
  const severity = statusOf(statusCode).severity;
  return severity === 'ok' ? EXIT.OK : severity === 'partial' ? EXIT.PARTIAL : EXIT.JOB_FAILED;
}

function statusText(job: JobInfo): string {
  if (job.statusCode === null) return job.state;
  const status = statusOf(job.statusCode);
  return `${job.state} (status ${job.statusCode}: ${status.message})`;
}

function label(job: JobInfo): string {
  const detail = job.detail ?? {};
  if (job.kind === 'backup-host')
    return `backup host ${String(detail.host)} (${String(detail.streams)} streams, ${String(detail.disks)} disks)`;
  if (job.kind === 'compound')
    return `compound job ${job.id}${job.policy ? ` policy ${job.policy}` : ''}`;
  return job.kind;
}

function progressText(progress: JobProgress | undefined): string {
  if (!progress) return '';
  const fraction = progress.totalBytes > 0 ? progress.doneBytes / progress.totalBytes : 1;
  const width = 20;
  const filled = Math.round(Math.min(1, fraction) * width);
  return ` [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${(fraction * 100).toFixed(0).padStart(3)}% ${formatBytes(progress.bytesPerSecond)}/s ETA ${formatDuration(progress.etaSeconds ?? Infinity)}`;
}

/** The compound job tree, one line per job, as `tessera run` and `job show` draw it. */
export function renderTree(
  parent: JobInfo,
  children: readonly JobInfo[],
  progress: ReadonlyMap<number, JobProgress> = new Map(),
): string[] {
  const line = (job: JobInfo): string =>
    `${label(job)}: ${job.endedAt === null ? `running${progressText(progress.get(job.id))}` : statusText(job)}`;
  return [
    line(parent),
    ...children.map((child, i) => `${i === children.length - 1 ? '└─' : '├─'} ${line(child)}`),
  ];
}

function printRemedy(job: JobInfo): void {
  if (job.statusCode === null || job.statusCode === 0) return;
  print(`what to do: ${statusOf(job.statusCode).remedy}`);
}

async function runAndWatch(service: TesseraService, name: string, flags: Flags): Promise<number> {
  const tty = Boolean(process.stderr.isTTY) && !flags.json;
  const progress = new Map<number, JobProgress>();
  const jobs = new Map<number, JobInfo>();
  let parentId = -1;
  let drawn = 0;
  let lastDraw = 0;
  const draw = (force = false): void => {
    const parent = jobs.get(parentId);
    if (!tty || !parent) return;
    const now = Date.now();
    if (!force && now - lastDraw < 200) return;
    lastDraw = now;
    const children = [...jobs.values()]
      .filter((j) => j.parentId === parentId)
      .sort((a, b) => a.id - b.id);
    const lines = renderTree(parent, children, progress);
    const width = (process.stderr.columns ?? 120) - 1;
    process.stderr.write(
      `${drawn > 0 ? `\x1b[${drawn}A` : ''}${lines.map((l) => `\r${l.slice(0, width)}\x1b[K\n`).join('')}`,
    );
    drawn = lines.length;
  };
  const unsubscribe = service.subscribe((event) => {
    switch (event.type) {
      case 'job-started':
      case 'job-ended':
        jobs.set(event.job.id, event.job);
        if (!tty && !flags.json && event.type === 'job-ended')
          print(`${label(event.job)}: ${statusText(event.job)}`);
        draw(true);
        break;
      case 'job-progress':
        progress.set(event.progress.jobId, event.progress);
        draw();
        break;
      case 'job-log':
        if (event.level !== 'info' && !flags.json) {
          if (tty) {
            process.stderr.write(
              `${drawn > 0 ? `\x1b[${drawn}A\r\x1b[J` : ''}${event.level}: ${event.message}\n`,
            );
            drawn = 0;
            draw(true);
          } else {
            process.stderr.write(`${event.level}: ${event.message}\n`);
          }
        }
        break;
      case 'inventory-changed':
        break;
    }
  });
  try {
    const running = service.runPolicy(name, { full: flags.full, schedule: flags.schedule });
    parentId = running.jobId;
    const onInterrupt = (): void => void service.cancelJob(parentId);
    interruptSignal.addEventListener('abort', onInterrupt, { once: true });
    const outcome = await running.done;
    interruptSignal.removeEventListener('abort', onInterrupt);
    draw(true);
    const tree = service.getJob(outcome.jobId);
    if (flags.json) {
      print(JSON.stringify({ ...tree, images: outcome.images }, null, 2));
    } else {
      if (!tty) print(renderTree(tree.job, tree.children).join('\n'));
      if (outcome.images.length > 0) print(`images: ${outcome.images.join(', ')}`);
      printRemedy(tree.job);
    }
    return exitCodeOfStatus(outcome.statusCode);
  } finally {
    unsubscribe();
  }
}

export function registerJobCommands(program: Command, setExit: (code: number) => void): void {
  dataOptions(program.command('run').argument('<policy>'))
    .description('run a policy now as a compound job, showing the job tree live')
    .option('--full', 'read and hash every block (ignore the track logs)')
    .option('--schedule <name>', 'run as this schedule of the policy (its type and retention)')
    .action(async (policy: string, flags: Flags) => {
      setExit(await withService(flags, (service) => runAndWatch(service, policy, flags)));
    });

  registerSchedulerCommand(program);
  const job = program.command('job').description('jobs: list, show, cancel, log');
  dataOptions(job.command('list'))
    .description('list the latest top-level jobs')
    .option('--limit <n>', 'at most this many', '20')
    .option('--policy <name>', "only this policy's jobs")
    .action(async (flags: Flags) => {
      await withService(flags, async (service) => {
        const jobs = service.listJobs({ limit: Number(flags.limit), policy: flags.policy });
        if (flags.json) return print(JSON.stringify(jobs, null, 2));
        if (jobs.length === 0) return print('no jobs yet');
        for (const j of jobs) {
          const when = new Date(j.startedAt).toISOString().replace('T', ' ').slice(0, 19);
          print(
            `${String(j.id).padStart(6)}  ${when}  ${j.kind.padEnd(10)} ${(j.policy ?? j.client ?? '').padEnd(16)} ${statusText(j)}`,
          );
        }
      });
    });

  dataOptions(job.command('show').argument('<id>'))
    .description('show a job and its children, with the status and what to do about it')
    .action(async (id: string, flags: Flags) => {
      await withService(flags, async (service) => {
        const tree = service.getJob(jobId(id));
        if (flags.json) return print(JSON.stringify(tree, null, 2));
        print(renderTree(tree.job, tree.children).join('\n'));
        for (const j of [tree.job, ...tree.children]) {
          if (j.statusCode !== null && j.statusCode !== 0) {
            print(
              `job ${j.id}: status ${j.statusCode}: ${statusOf(j.statusCode).message}; ${statusOf(j.statusCode).remedy}`,
            );
          }
        }
      });
    });

  dataOptions(job.command('log').argument('<id>'))
    .description("a job's log, with its children's")
    .action(async (id: string, flags: Flags) => {
      await withService(flags, async (service) => {
        const lines = service.jobLog(jobId(id));
        if (flags.json) return print(JSON.stringify(lines, null, 2));
        for (const l of lines) {
          print(`${new Date(l.at).toISOString()} job ${l.jobId} ${l.level.padEnd(7)} ${l.message}`);
        }
      });
    });

  dataOptions(job.command('cancel').argument('<id>'))
    .description('cancel a running compound job, or one backup-host child of it')
    .action(async (id: string, flags: Flags) => {
      await withService(flags, async (service) => {
        if (!(await service.cancelJob(jobId(id))))
          throw new TesseraError('BAD_REQUEST', `job ${id} is not running`);
        print(`cancel requested for job ${id}`);
      });
    });
}

/** `tessera scheduler`: the engine's scheduler in the foreground, until Ctrl-C. */
function registerSchedulerCommand(program: Command): void {
  dataOptions(program.command('scheduler'), false)
    .description("run the policies' schedules: start due jobs inside their windows, until Ctrl-C")
    .option('--upcoming', 'only list the next scheduled runs and exit')
    .action(async (flags: Flags & { upcoming?: boolean }) => {
      await withService(flags, async (service) => {
        const upcoming = service.upcomingRuns(10);
        for (const run of upcoming) {
          print(`next: ${new Date(run.at).toISOString()}  ${run.policy} / ${run.schedule}`);
        }
        if (flags.upcoming) return;
        if (upcoming.length === 0) print('no enabled policy has a schedule; waiting anyway');
        service.subscribe((event) => {
          if (event.type === 'job-ended' && event.job.parentId === null) {
            print(`${new Date().toISOString()}  ${label(event.job)}: ${statusText(event.job)}`);
          }
        });
        service.startScheduler();
        await new Promise<void>((resolve) =>
          interruptSignal.addEventListener('abort', () => resolve(), { once: true }),
        );
      });
    });
}

function jobId(text: string): number {
  if (!/^\d+$/.test(text)) throw new TesseraError('BAD_REQUEST', `"${text}" is not a job ID`);
  return Number(text);
}
