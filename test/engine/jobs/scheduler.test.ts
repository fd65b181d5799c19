import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Policy, Schedule } from '../../../shared/policy.js';
import { Scheduler, type SchedulerOptions } from '../../../electron/engine/jobs/scheduler.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

function schedule(name: string, overrides: Partial<Schedule> = {}): Schedule {
  return {
    name,
    type: 'accelerator',
    frequencySeconds: 86_400,
    window: null,
    retentionSeconds: null,
    ...overrides,
  };
}

function policy(name: string, schedules: Schedule[], enabled = true): Policy {
  return {
    name,
    enabled,
    selection: { kind: 'list', vms: ['vm'] },
    accelerator: true,
    forcedRescanEvery: null,
    snapshotFirst: false,
    hosts: null,
    streamsPerHost: null,
    schedules,
  };
}

interface Started {
  readonly policy: string;
  readonly schedule: string;
  readonly windowEnd: Date | null;
}

/**
 * A scheduler over an in-memory catalog: a clock the test moves, last runs that start()
 * records (as the engine does when it creates the job), and a set of running policies.
 */
function harness(policies: Policy[], overrides: Partial<SchedulerOptions> = {}) {
  const state = {
    now: new Date(2025, 0, 10, 12, 0).getTime(),
    lastRuns: new Map<string, number>(),
    running: new Set<string>(),
    started: [] as Started[],
    errors: [] as Array<{ error: unknown; policy: string }>,
  };
  const scheduler = new Scheduler({
    policies: () => policies,
    lastRun: (p, s) => state.lastRuns.get(`${p}/${s}`) ?? null,
    isRunning: (p) => state.running.has(p),
    start: async (p, s, windowEnd) => {
      state.lastRuns.set(`${p.name}/${s.name}`, state.now);
      state.started.push({ policy: p.name, schedule: s.name, windowEnd });
    },
    now: () => state.now,
    onError: (error, p) => state.errors.push({ error, policy: p }),
    ...overrides,
  });
  return { scheduler, state };
}

/** A promise and the functions that settle it. */
function deferred(): { promise: Promise<void>; resolve: () => void; reject: (e: Error) => void } {
  let resolve!: () => void;
  let reject!: (e: Error) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('Scheduler.tick', () => {
  it('starts each due policy once and reports how many it started', async () => {
    const { scheduler, state } = harness([
      policy('a', [schedule('daily')]),
      policy('b', [schedule('daily')]),
    ]);
    expect(await scheduler.tick()).toBe(2);
    expect(state.started.map((s) => `${s.policy}/${s.schedule}`)).toEqual(['a/daily', 'b/daily']);
    // Their last runs are now recorded: nothing is due.
    expect(await scheduler.tick()).toBe(0);
    expect(state.started).toHaveLength(2);
  });

  it('skips disabled policies', async () => {
    const { scheduler, state } = harness([
      policy('off', [schedule('daily')], false),
      policy('on', [schedule('daily')]),
    ]);
    expect(await scheduler.tick()).toBe(1);
    expect(state.started.map((s) => s.policy)).toEqual(['on']);
  });

  it('skips a policy that is running, and starts it once it is not', async () => {
    const { scheduler, state } = harness([policy('busy', [schedule('daily')])]);
    state.running.add('busy');
    expect(await scheduler.tick()).toBe(0);
    expect(state.started).toEqual([]);
    state.running.delete('busy');
    expect(await scheduler.tick()).toBe(1);
  });

  it('starts one run per policy: the full when a full and an incremental are both due', async () => {
    const { scheduler, state } = harness([
      policy('p', [
        schedule('hourly', { frequencySeconds: 3600 }),
        schedule('weekly-full', { type: 'full', frequencySeconds: 7 * 86_400 }),
      ]),
    ]);
    expect(await scheduler.tick()).toBe(1);
    expect(state.started.map((s) => s.schedule)).toEqual(['weekly-full']);
    // Only the full's last run is recorded, so the incremental comes next.
    expect(await scheduler.tick()).toBe(1);
    expect(state.started.map((s) => s.schedule)).toEqual(['weekly-full', 'hourly']);
  });

  it('passes the end of the start window to start()', async () => {
    const { scheduler, state } = harness([
      policy('night', [schedule('n', { window: { startMinute: 22 * 60, durationMinutes: 360 } })]),
      policy('any', [schedule('a')]),
    ]);
    state.now = new Date(2025, 0, 10, 23, 15).getTime();
    expect(await scheduler.tick()).toBe(2);
    expect(state.started).toEqual([
      { policy: 'night', schedule: 'n', windowEnd: new Date(2025, 0, 11, 4, 0) },
      { policy: 'any', schedule: 'a', windowEnd: null },
    ]);
  });

  it('does not start a policy again while its start() is pending', async () => {
    const pending = deferred();
    const calls: string[] = [];
    const { scheduler } = harness([policy('slow', [schedule('daily')])], {
      // Records nothing until it settles, so only the pending set prevents a second start.
      start: async (p) => {
        calls.push(p.name);
        await pending.promise;
      },
    });
    const first = scheduler.tick();
    expect(calls).toEqual(['slow']);
    expect(await scheduler.tick()).toBe(0);
    expect(await scheduler.tick()).toBe(0);
    expect(calls).toEqual(['slow']);
    pending.resolve();
    expect(await first).toBe(1);
    // Settled: this start recorded no last run and no job runs, so the policy is due again.
    expect(await scheduler.tick()).toBe(1);
    expect(calls).toEqual(['slow', 'slow']);
  });

  it('reports a failing start through onError and goes on with the other policies', async () => {
    const { scheduler, state } = harness(
      [
        policy('rejects', [schedule('daily')]),
        policy('throws', [schedule('daily')]),
        policy('fine', [schedule('daily')]),
      ],
      {
        start: (p, s) => {
          if (p.name === 'rejects') return Promise.reject(new Error('catalog is locked'));
          if (p.name === 'throws') throw new Error('no storage unit');
          state.lastRuns.set(`${p.name}/${s.name}`, state.now);
          return Promise.resolve();
        },
      },
    );
    expect(await scheduler.tick()).toBe(3);
    const reported = state.errors.map((e) => [e.policy, (e.error as Error).message]);
    expect(reported.sort()).toEqual([
      ['rejects', 'catalog is locked'],
      ['throws', 'no storage unit'],
    ]);
    // The failed ones recorded no last run: they are tried again; the good one is not due.
    expect(await scheduler.tick()).toBe(2);
    expect(state.errors).toHaveLength(4);
  });

  it('reports a policy whose state cannot be read, and starts the others', async () => {
    const { scheduler, state } = harness(
      [policy('broken', [schedule('daily')]), policy('ok', [schedule('daily')])],
      {
        isRunning: (p) => {
          if (p === 'broken') throw new Error('catalog read failed');
          return false;
        },
      },
    );
    expect(await scheduler.tick()).toBe(1);
    expect(state.started.map((s) => s.policy)).toEqual(['ok']);
    expect(state.errors.map((e) => e.policy)).toEqual(['broken']);
  });

  it('runs a schedule once after missed slots, then a frequency after that run', async () => {
    const { scheduler, state } = harness([policy('p', [schedule('daily')])]);
    const fiveDaysAgo = state.now - 5 * DAY;
    state.lastRuns.set('p/daily', fiveDaysAgo);
    expect(await scheduler.tick()).toBe(1);
    const ranAt = state.now;
    expect(state.lastRuns.get('p/daily')).toBe(ranAt);
    // Later ticks the same day (every 30 s, then hours later) start nothing.
    for (const later of [30_000, 60_000, HOUR, DAY - 1]) {
      state.now = ranAt + later;
      expect(await scheduler.tick()).toBe(0);
    }
    state.now = ranAt + DAY;
    expect(await scheduler.tick()).toBe(1);
    expect(state.started).toHaveLength(2);
  });
});

describe('Scheduler.upcoming', () => {
  it('lists the next run of each schedule of enabled policies, soonest first', () => {
    const { scheduler, state } = harness([
      policy('nightly', [
        schedule('inc', { window: { startMinute: 22 * 60, durationMinutes: 240 } }),
        schedule('full', { type: 'full', frequencySeconds: 7 * 86_400 }),
      ]),
      policy('hourly', [schedule('inc', { frequencySeconds: 3600 })]),
      policy('disabled', [schedule('inc', { frequencySeconds: 60 })], false),
    ]);
    const now = state.now; // 12:00
    state.lastRuns.set('nightly/full', now - 6 * DAY); // due in a day
    state.lastRuns.set('hourly/inc', now - 20 * MINUTE); // due in 40 minutes
    // nightly/inc never ran: due when its window opens at 22:00.
    expect(scheduler.upcoming(10)).toEqual([
      { policy: 'hourly', schedule: 'inc', at: now + 40 * MINUTE },
      { policy: 'nightly', schedule: 'inc', at: new Date(2025, 0, 10, 22, 0).getTime() },
      { policy: 'nightly', schedule: 'full', at: now + DAY },
    ]);
    expect(scheduler.upcoming(2).map((r) => `${r.policy}/${r.schedule}`)).toEqual([
      'hourly/inc',
      'nightly/inc',
    ]);
    expect(scheduler.upcoming(0)).toEqual([]);
  });

  it('shows due schedules at now, ties ordered by policy then schedule', () => {
    const { scheduler, state } = harness([
      policy('b', [schedule('y'), schedule('x')]),
      policy('a', [schedule('z')]),
    ]);
    expect(scheduler.upcoming(5)).toEqual([
      { policy: 'a', schedule: 'z', at: state.now },
      { policy: 'b', schedule: 'x', at: state.now },
      { policy: 'b', schedule: 'y', at: state.now },
    ]);
  });
});

describe('Scheduler.start and stop', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('ticks every tickMs until stopped', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const { scheduler, state } = harness(
      [policy('p', [schedule('often', { frequencySeconds: 60 })])],
      {
        tickMs: 1000,
      },
    );
    scheduler.start();
    scheduler.start(); // a second start() does not add a second timer
    expect(state.started).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1000);
    expect(state.started).toHaveLength(1);
    // The injected clock has not moved: not due again.
    await vi.advanceTimersByTimeAsync(1000);
    expect(state.started).toHaveLength(1);
    state.now += MINUTE;
    await vi.advanceTimersByTimeAsync(1000);
    expect(state.started).toHaveLength(2);
    scheduler.stop();
    state.now += MINUTE;
    await vi.advanceTimersByTimeAsync(5000);
    expect(state.started).toHaveLength(2);
  });

  it('reports a tick that fails as a whole through onError, and keeps ticking', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    let fail = true;
    const { scheduler, state } = harness([], {
      tickMs: 1000,
      policies: () => {
        if (fail) throw new Error('policies unreadable');
        return [policy('p', [schedule('daily')])];
      },
    });
    scheduler.start();
    await vi.advanceTimersByTimeAsync(1000);
    expect(state.errors.map((e) => [e.policy, (e.error as Error).message])).toEqual([
      ['', 'policies unreadable'],
    ]);
    fail = false;
    await vi.advanceTimersByTimeAsync(1000);
    expect(state.started.map((s) => s.policy)).toEqual(['p']);
    scheduler.stop();
  });

  it('does not keep the process alive (the timer is unref’d)', () => {
    const timeouts = () =>
      process.getActiveResourcesInfo().filter((resource) => resource === 'Timeout').length;
    const before = timeouts();
    const keepsAlive = setInterval(() => undefined, 60_000);
    expect(timeouts()).toBe(before + 1); // the probe sees a referenced timer
    clearInterval(keepsAlive);
    const { scheduler } = harness([], { tickMs: 60_000 });
    scheduler.start();
    expect(timeouts()).toBe(before);
    scheduler.stop();
  });
});
