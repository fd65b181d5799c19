/**
 * The scheduler: on each tick, starts the due run of every enabled policy that is not already
 * running. It keeps no persistent state: the caller's `lastRun` (the catalog) says when each
 * schedule last started, and the caller records it when `start` creates the job. The only
 * state here is the set of starts still pending, so a tick that comes while `start` is still
 * creating a job cannot start the same policy a second time.
 */
import type { Policy, Schedule } from '../../../shared/policy.js';
import { nextRunAt, pickDue, windowEnd } from './schedule.js';

export interface SchedulerOptions {
  /** The current policies (read on every tick, so edits take effect on the next one). */
  readonly policies: () => readonly Policy[];
  /** When the schedule last started (Unix ms), or null if it never ran. */
  readonly lastRun: (policy: string, schedule: string) => number | null;
  /** True while a job of the policy runs; the scheduler does not start a second one. */
  readonly isRunning: (policy: string) => boolean;
  /**
   * Starts a run and records its start as the schedule's last run. It should settle once the
   * job exists (not when it ends): until then the policy counts as starting, and tick()
   * waits for it. `windowEnd` is when the schedule's window closes (null: no window).
   */
  readonly start: (policy: Policy, schedule: Schedule, windowEnd: Date | null) => Promise<unknown>;
  /** Unix ms; Date.now by default. */
  readonly now?: () => number;
  /** Milliseconds between ticks once start() is called; 30 s by default. */
  readonly tickMs?: number;
  /**
   * A start that threw or rejected, or a policy whose state could not be read. `policy` is ''
   * when the failure is not tied to one policy (the policy list could not be read). Default:
   * written to stderr.
   */
  readonly onError?: (error: unknown, policy: string) => void;
}

export interface UpcomingRun {
  readonly policy: string;
  readonly schedule: string;
  /** Unix ms. */
  readonly at: number;
}

export const DEFAULT_TICK_MS = 30_000;

export class Scheduler {
  readonly #options: SchedulerOptions;
  readonly #now: () => number;
  readonly #onError: (error: unknown, policy: string) => void;
  /** Policies whose start() has not settled yet. */
  readonly #starting = new Set<string>();
  #timer: ReturnType<typeof setInterval> | null = null;

  constructor(options: SchedulerOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
    this.#onError =
      options.onError ??
      ((error, policy) => console.error(`scheduler: policy ${policy || '(all)'}:`, error));
  }

  /**
   * Starts the due run of every enabled policy that is neither running nor starting, at most
   * one per policy (see pickDue). Resolves with how many runs it started, once each of their
   * start() calls has settled.
   */
  async tick(): Promise<number> {
    const now = new Date(this.#now());
    const starts: Promise<void>[] = [];
    for (const policy of this.#options.policies()) {
      if (!policy.enabled || this.#starting.has(policy.name)) continue;
      let schedule: Schedule | null;
      try {
        if (this.#options.isRunning(policy.name)) continue;
        schedule = pickDue(policy, this.#lastRuns(policy), now);
      } catch (error) {
        this.#onError(error, policy.name);
        continue;
      }
      if (schedule !== null) starts.push(this.#start(policy, schedule, now));
    }
    await Promise.all(starts);
    return starts.length;
  }

  /** Ticks every `tickMs` until stop(); the timer does not keep the process alive. */
  start(): void {
    if (this.#timer !== null) return;
    this.#timer = setInterval(() => {
      this.tick().catch((error: unknown) => this.#onError(error, ''));
    }, this.#options.tickMs ?? DEFAULT_TICK_MS);
    this.#timer.unref();
  }

  /** Stops ticking; starts already under way go on. */
  stop(): void {
    if (this.#timer === null) return;
    clearInterval(this.#timer);
    this.#timer = null;
  }

  /**
   * The next `limit` runs by time, one per schedule of each enabled policy: when each becomes
   * due (now, if it is due already). Ties are ordered by policy, then schedule name.
   */
  upcoming(limit: number): UpcomingRun[] {
    const now = new Date(this.#now());
    const runs: UpcomingRun[] = [];
    for (const policy of this.#options.policies()) {
      if (!policy.enabled) continue;
      for (const schedule of policy.schedules) {
        const at = nextRunAt(schedule, this.#options.lastRun(policy.name, schedule.name), now);
        runs.push({ policy: policy.name, schedule: schedule.name, at: at.getTime() });
      }
    }
    runs.sort(
      (a, b) =>
        a.at - b.at || compareText(a.policy, b.policy) || compareText(a.schedule, b.schedule),
    );
    return runs.slice(0, Math.max(0, limit));
  }

  #lastRuns(policy: Policy): Map<string, number | null> {
    return new Map(
      policy.schedules.map((s) => [s.name, this.#options.lastRun(policy.name, s.name)]),
    );
  }

  /** Never rejects: a failed start goes to onError and the policy may start again next tick. */
  async #start(policy: Policy, schedule: Schedule, now: Date): Promise<void> {
    this.#starting.add(policy.name);
    try {
      await this.#options.start(policy, schedule, windowEnd(schedule, now));
    } catch (error) {
      this.#onError(error, policy.name);
    } finally {
      this.#starting.delete(policy.name);
    }
  }
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
