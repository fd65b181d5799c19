import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Policy, Schedule } from '../../../shared/policy.js';
import {
  isDue,
  isInWindow,
  nextRunAt,
  pickDue,
  windowEnd,
} from '../../../electron/engine/jobs/schedule.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

function schedule(overrides: Partial<Schedule> = {}): Schedule {
  return {
    name: 'daily',
    type: 'accelerator',
    frequencySeconds: 86_400,
    window: null,
    retentionSeconds: null,
    ...overrides,
  };
}

function policy(schedules: Schedule[]): Policy {
  return {
    name: 'p',
    enabled: true,
    selection: { kind: 'list', vms: ['vm'] },
    accelerator: true,
    forcedRescanEvery: null,
    snapshotFirst: false,
    hosts: null,
    streamsPerHost: null,
    schedules,
  };
}

/** Local time on 10 January 2025 (or another day of January), so any TZ works. */
const jan = (day: number, hour: number, minute = 0, second = 0, ms = 0): Date =>
  new Date(2025, 0, day, hour, minute, second, ms);

/** 01:00 to 05:00. */
const early = schedule({ window: { startMinute: 60, durationMinutes: 240 } });
/** 22:00 to 04:00 the next day. */
const overnight = schedule({ window: { startMinute: 22 * 60, durationMinutes: 360 } });

describe('isInWindow', () => {
  it('is always true without a window', () => {
    for (const hour of [0, 7, 13, 23]) expect(isInWindow(schedule(), jan(10, hour))).toBe(true);
  });

  it('includes the start and excludes the end of a same-day window', () => {
    expect(isInWindow(early, jan(10, 0, 59, 59, 999))).toBe(false);
    expect(isInWindow(early, jan(10, 1))).toBe(true);
    expect(isInWindow(early, jan(10, 3, 30))).toBe(true);
    expect(isInWindow(early, jan(10, 4, 59, 59, 999))).toBe(true);
    expect(isInWindow(early, jan(10, 5))).toBe(false);
    expect(isInWindow(early, jan(10, 23))).toBe(false);
  });

  it('handles a window that crosses midnight', () => {
    expect(isInWindow(overnight, jan(10, 21, 59))).toBe(false);
    expect(isInWindow(overnight, jan(10, 22))).toBe(true);
    expect(isInWindow(overnight, jan(10, 23, 59, 59))).toBe(true);
    expect(isInWindow(overnight, jan(11, 0))).toBe(true);
    expect(isInWindow(overnight, jan(11, 3, 59))).toBe(true);
    expect(isInWindow(overnight, jan(11, 4))).toBe(false);
    expect(isInWindow(overnight, jan(11, 12))).toBe(false);
  });

  it('treats a 24-hour window as always open, wherever it starts', () => {
    const allDay = schedule({ window: { startMinute: 600, durationMinutes: 1440 } });
    for (const hour of [0, 9, 10, 23]) expect(isInWindow(allDay, jan(10, hour, 59))).toBe(true);
  });
});

describe('windowEnd', () => {
  it('is null without a window', () => {
    expect(windowEnd(schedule(), jan(10, 12))).toBeNull();
  });

  it('closes the same day for a same-day window', () => {
    expect(windowEnd(early, jan(10, 1))).toEqual(jan(10, 5));
    expect(windowEnd(early, jan(10, 4, 59))).toEqual(jan(10, 5));
  });

  it('closes the next morning before midnight, the same morning after it', () => {
    expect(windowEnd(overnight, jan(10, 22, 30))).toEqual(jan(11, 4));
    expect(windowEnd(overnight, jan(11, 2))).toEqual(jan(11, 4));
  });

  it('outside the window, is the end of the next window', () => {
    expect(windowEnd(overnight, jan(11, 12))).toEqual(jan(12, 4));
    expect(windowEnd(early, jan(10, 0, 30))).toEqual(jan(10, 5));
    expect(windowEnd(early, jan(10, 6))).toEqual(jan(11, 5));
  });
});

describe('isDue', () => {
  it('a schedule that never ran is due inside its window only', () => {
    expect(isDue(schedule(), null, jan(10, 12))).toBe(true);
    expect(isDue(overnight, null, jan(10, 23))).toBe(true);
    expect(isDue(overnight, null, jan(10, 12))).toBe(false);
  });

  it('is due once the frequency has passed since the last run, not a millisecond before', () => {
    const last = jan(9, 12).getTime();
    expect(isDue(schedule(), last, new Date(last + DAY - 1))).toBe(false);
    expect(isDue(schedule(), last, new Date(last + DAY))).toBe(true);
    expect(isDue(schedule(), last, new Date(last + 5 * DAY))).toBe(true);
  });

  it('is not due outside the window even when the frequency has passed', () => {
    const last = jan(8, 23).getTime();
    expect(isDue(overnight, last, jan(10, 12))).toBe(false);
    expect(isDue(overnight, last, jan(10, 22))).toBe(true);
  });

  it('is not due when the last run is in the future (the clock went back)', () => {
    expect(isDue(schedule(), jan(10, 13).getTime(), jan(10, 12))).toBe(false);
  });
});

describe('nextRunAt', () => {
  it('is now when the schedule is due now', () => {
    expect(nextRunAt(schedule(), null, jan(10, 12))).toEqual(jan(10, 12));
    expect(nextRunAt(overnight, jan(9, 22).getTime(), jan(10, 23))).toEqual(jan(10, 23));
  });

  it('is the window opening when the frequency has passed but the window is closed', () => {
    expect(nextRunAt(overnight, null, jan(10, 12))).toEqual(jan(10, 22));
    expect(nextRunAt(early, null, jan(10, 6))).toEqual(jan(11, 1));
    expect(nextRunAt(early, null, jan(10, 0, 30))).toEqual(jan(10, 1));
  });

  it('is last run + frequency when that falls inside the window', () => {
    const hourly = schedule({ frequencySeconds: 3600, window: overnight.window });
    expect(nextRunAt(hourly, jan(10, 22, 10).getTime(), jan(10, 22, 30))).toEqual(jan(10, 23, 10));
    expect(nextRunAt(schedule(), jan(10, 8).getTime(), jan(10, 12))).toEqual(jan(11, 8));
  });

  it('moves to the next window when last run + frequency falls outside it', () => {
    const hourly = schedule({ frequencySeconds: 3600, window: early.window });
    // Ran at 04:30: due again at 05:30, after the window closed; next window opens at 01:00.
    expect(nextRunAt(hourly, jan(10, 4, 30).getTime(), jan(10, 4, 45))).toEqual(jan(11, 1));
    // Daily from 03:00 of the 10th, asked at 12:00: the 11th at 03:00 is inside the window.
    expect(nextRunAt(overnight, jan(10, 3).getTime(), jan(10, 12))).toEqual(jan(11, 3));
  });

  it('is the first moment the schedule is due: due then, not due a millisecond before', () => {
    const schedules = [
      schedule(),
      early,
      overnight,
      schedule({
        frequencySeconds: 7200,
        window: { startMinute: 23 * 60 + 30, durationMinutes: 45 },
      }),
      schedule({ frequencySeconds: 3 * 86_400, window: { startMinute: 0, durationMinutes: 1 } }),
    ];
    const lastRuns = [null, jan(9, 0, 17).getTime(), jan(10, 4, 59).getTime()];
    let checked = 0;
    for (const s of schedules) {
      for (const last of lastRuns) {
        // Every 37 minutes over two days.
        for (let t = jan(10, 0).getTime(); t < jan(12, 0).getTime(); t += 37 * MINUTE) {
          const now = new Date(t);
          const next = nextRunAt(s, last, now);
          expect(next.getTime()).toBeGreaterThanOrEqual(t);
          expect(isDue(s, last, next)).toBe(true);
          if (next.getTime() > t) expect(isDue(s, last, new Date(next.getTime() - 1))).toBe(false);
          checked++;
        }
      }
    }
    expect(checked).toBe(schedules.length * lastRuns.length * Math.ceil((2 * DAY) / (37 * MINUTE)));
  });
});

describe('pickDue', () => {
  const incremental = schedule({ name: 'hourly', type: 'accelerator', frequencySeconds: 3600 });
  const incremental6h = schedule({
    name: 'six-hourly',
    type: 'accelerator',
    frequencySeconds: 21_600,
  });
  const weeklyFull = schedule({ name: 'weekly-full', type: 'full', frequencySeconds: 604_800 });
  const now = jan(10, 12);
  const runs = (entries: Array<[string, number | null]>) => new Map(entries);

  it('returns null when nothing is due', () => {
    const recent = now.getTime() - 10 * MINUTE;
    const lastRuns = runs([
      ['hourly', recent],
      ['six-hourly', recent],
      ['weekly-full', recent],
    ]);
    expect(pickDue(policy([incremental, incremental6h, weeklyFull]), lastRuns, now)).toBeNull();
    expect(pickDue(policy([]), runs([]), now)).toBeNull();
  });

  it('prefers a due full over due Accelerator schedules', () => {
    const p = policy([incremental, weeklyFull, incremental6h]);
    expect(pickDue(p, runs([]), now)?.name).toBe('weekly-full');
  });

  it('among due Accelerator schedules, takes the shortest frequency', () => {
    const p = policy([incremental6h, incremental, weeklyFull]);
    const lastRuns = runs([['weekly-full', now.getTime() - DAY]]);
    expect(pickDue(p, lastRuns, now)?.name).toBe('hourly');
  });

  it('takes the only due one even when it is the lower priority', () => {
    const p = policy([incremental, weeklyFull]);
    const lastRuns = runs([
      ['hourly', now.getTime() - 2 * HOUR],
      ['weekly-full', now.getTime() - DAY],
    ]);
    expect(pickDue(p, lastRuns, now)?.name).toBe('hourly');
  });

  it('ignores a full whose window is closed', () => {
    const nightlyFull = schedule({ ...weeklyFull, window: overnight.window });
    const p = policy([incremental, nightlyFull]);
    expect(pickDue(p, runs([]), now)?.name).toBe('hourly');
    expect(pickDue(p, runs([]), jan(10, 23))?.name).toBe('weekly-full');
  });

  it('breaks a tie by declaration order', () => {
    const a = schedule({ name: 'a', frequencySeconds: 3600 });
    const b = schedule({ name: 'b', frequencySeconds: 3600 });
    expect(pickDue(policy([a, b]), runs([]), now)?.name).toBe('a');
    expect(pickDue(policy([b, a]), runs([]), now)?.name).toBe('b');
  });
});

describe('missed slots coalesce into one run', () => {
  it('a daily schedule last run 5 days ago is due once, then not until a day after that run', () => {
    const daily = schedule();
    const now = jan(10, 9, 0, 30);
    let lastRun: number | null = jan(5, 9).getTime();
    expect(isDue(daily, lastRun, now)).toBe(true);
    // The caller records the actual start time as the last run.
    lastRun = now.getTime();
    for (const later of [1, HOUR, DAY - 1]) {
      expect(isDue(daily, lastRun, new Date(now.getTime() + later))).toBe(false);
    }
    expect(isDue(daily, lastRun, new Date(now.getTime() + DAY))).toBe(true);
    expect(nextRunAt(daily, lastRun, now)).toEqual(new Date(now.getTime() + DAY));
  });
});

describe('daylight saving time (Europe/Berlin)', () => {
  let previous: string | undefined;
  beforeAll(() => {
    previous = process.env.TZ;
    process.env.TZ = 'Europe/Berlin';
  });
  afterAll(() => {
    if (previous === undefined) delete process.env.TZ;
    else process.env.TZ = previous;
  });

  // 31 March 2024: clocks go from 02:00 CET to 03:00 CEST.
  const window = { startMinute: 150, durationMinutes: 60 }; // 02:30 to 03:30

  it('opens a window whose start the clock skips when the clock jumps into it', () => {
    expect(new Date(2024, 2, 31, 2, 30).getHours()).toBe(3); // the time zone took effect
    const s = schedule({ window });
    const jump = new Date(2024, 2, 31, 3, 0); // 01:00 UTC
    expect(jump.toISOString()).toBe('2024-03-31T01:00:00.000Z');
    expect(nextRunAt(s, null, new Date(2024, 2, 31, 1, 0))).toEqual(jump);
    expect(isInWindow(s, new Date(jump.getTime() - 1))).toBe(false);
    expect(isInWindow(s, jump)).toBe(true);
  });

  it('skips the day when the whole window falls in the gap', () => {
    const s = schedule({ window: { startMinute: 125, durationMinutes: 30 } }); // 02:05 to 02:35
    expect(nextRunAt(s, null, new Date(2024, 2, 31, 1, 0))).toEqual(new Date(2024, 3, 1, 2, 5));
  });

  it('keeps a window in wall-clock time across the change', () => {
    const s = schedule({ window });
    expect(windowEnd(s, new Date(2024, 2, 30, 2, 45))).toEqual(new Date(2024, 2, 30, 3, 30));
    expect(windowEnd(s, new Date(2024, 3, 1, 2, 45))).toEqual(new Date(2024, 3, 1, 3, 30));
    // A day of 23 hours: a daily frequency is 24 real hours, so 03:30 CEST after 02:30 CET.
    const last = new Date(2024, 2, 30, 2, 30).getTime();
    expect(nextRunAt(schedule(), last, new Date(2024, 2, 31, 1, 0))).toEqual(
      new Date(2024, 2, 31, 3, 30),
    );
  });
});
