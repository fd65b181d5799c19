/**
 * When a schedule may run: pure functions of a schedule, the time of its last run and the
 * current time, in the spirit of NetBackup's frequency-based schedules.
 *
 * - A schedule is due when `frequencySeconds` have passed since its last run (or it never
 *   ran) and the current local time is inside its start window. A window is wall-clock time
 *   (minutes after local midnight and a length) and may cross midnight.
 * - Only the start must fall in the window; the caller decides what happens to a run still
 *   going when the window closes ({@link windowEnd} tells it when).
 * - Missed slots coalesce: the last run is the time a run actually started, so a machine that
 *   slept through five daily slots runs once when it wakes, then a day later.
 * - Runs start on the scheduler's tick, after they become due, so a schedule anchored on its
 *   own last run drifts later by up to one tick per run.
 *
 * Times are Unix milliseconds (or Dates); windows are evaluated in the process's time zone.
 */
import type { Policy, Schedule } from '../../../shared/policy.js';

const MINUTES_PER_DAY = 24 * 60;

/** Minutes (with fraction) since local midnight. */
function minuteOfDay(at: Date): number {
  return (
    at.getHours() * 60 + at.getMinutes() + at.getSeconds() / 60 + at.getMilliseconds() / 60_000
  );
}

/** Local wall-clock time `minute` minutes after midnight of the day of `day`, plus `days`. */
function localMinute(day: Date, days: number, minute: number): Date {
  return new Date(day.getFullYear(), day.getMonth(), day.getDate() + days, 0, minute);
}

/** True when `at` falls inside the schedule's start window; always true without a window. */
export function isInWindow(schedule: Schedule, at: Date): boolean {
  const window = schedule.window;
  if (window === null) return true;
  const minute = minuteOfDay(at);
  const end = window.startMinute + window.durationMinutes;
  if (end <= MINUTES_PER_DAY) return minute >= window.startMinute && minute < end;
  // Crosses midnight: from the start to midnight, then from midnight to the end.
  return minute >= window.startMinute || minute < end - MINUTES_PER_DAY;
}

/**
 * When the window containing `at` closes; when `at` is outside every window, when the next
 * window closes. Null when the schedule has no window.
 */
export function windowEnd(schedule: Schedule, at: Date): Date | null {
  const window = schedule.window;
  if (window === null) return null;
  const opened = windowStart(schedule, at);
  return localMinute(opened, 0, window.startMinute + window.durationMinutes);
}

/**
 * The start of the window occurrence containing `at`, or of the next one to open. Each day's
 * occurrence opens at the local wall-clock start minute of that day.
 */
function windowStart(schedule: Schedule, at: Date): Date {
  const window = schedule.window!;
  if (isInWindow(schedule, at)) {
    // Opened today, unless this is the part after midnight of yesterday's window.
    const today = minuteOfDay(at) >= window.startMinute;
    return localMinute(at, today ? 0 : -1, window.startMinute);
  }
  // Not inside: today's opening is still ahead, or tomorrow's (a later one when a DST change
  // swallows the start minute of a day).
  for (let days = 0; days < 3; days++) {
    const candidate = afterGap(localMinute(at, days, window.startMinute), window.startMinute);
    if (candidate.getTime() > at.getTime() && isInWindow(schedule, candidate)) return candidate;
  }
  return localMinute(at, 1, window.startMinute);
}

/**
 * `new Date(..., minute)` moves a wall-clock time that a DST change skips (02:30 on a
 * spring-forward day) past the gap (03:30). The window opens earlier than that, at the first
 * minute after the gap (03:00), when the clock jumps past `minute`: back up to it.
 */
function afterGap(candidate: Date, minute: number): Date {
  const late = minuteOfDay(candidate) - minute;
  if (late <= 0 || late > 180) return candidate;
  let at = candidate;
  for (let i = 0; i < late; i++) {
    const before = new Date(at.getTime() - 60_000);
    if (minuteOfDay(before) < minute || before.getDate() !== candidate.getDate()) break;
    at = before;
  }
  return at;
}

/** Due: never ran or `frequencySeconds` have passed since the last run, and in the window. */
export function isDue(schedule: Schedule, lastRunAt: number | null, now: Date): boolean {
  const elapsed =
    lastRunAt === null || now.getTime() - lastRunAt >= schedule.frequencySeconds * 1000;
  return elapsed && isInWindow(schedule, now);
}

/** The earliest moment at or after `now` at which the schedule is due. */
export function nextRunAt(schedule: Schedule, lastRunAt: number | null, now: Date): Date {
  const earliest =
    lastRunAt === null
      ? now.getTime()
      : Math.max(now.getTime(), lastRunAt + schedule.frequencySeconds * 1000);
  const at = new Date(earliest);
  return isInWindow(schedule, at) ? at : windowStart(schedule, at);
}

/**
 * The one schedule of `policy` to run now, or null. A full covers an incremental, so a due
 * full wins over any due Accelerator schedule; among the same type, the shortest frequency
 * wins, then the first declared. `lastRuns` maps schedule names to their last start (missing:
 * never ran). Whether the policy is enabled is the caller's concern.
 */
export function pickDue(
  policy: Policy,
  lastRuns: ReadonlyMap<string, number | null>,
  now: Date,
): Schedule | null {
  let best: Schedule | null = null;
  for (const schedule of policy.schedules) {
    if (!isDue(schedule, lastRuns.get(schedule.name) ?? null, now)) continue;
    if (best === null || outranks(schedule, best)) best = schedule;
  }
  return best;
}

function outranks(a: Schedule, b: Schedule): boolean {
  if (a.type !== b.type) return a.type === 'full';
  return a.frequencySeconds < b.frequencySeconds;
}
