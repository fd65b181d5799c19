import { TesseraError } from '../../../shared/errors.js';
import type { Schedule } from '../../../shared/policy.js';
import { parseDuration } from '../human.js';

/**
 * A schedule on the command line, as space-separated key=value pairs:
 *   "name=nightly type=accelerator every=1d window=22:00+6h keep=30d"
 * type is full or accelerator (default accelerator); window and keep are optional.
 */
export function parseScheduleSpec(spec: string): Schedule {
  const fields = new Map<string, string>();
  for (const part of spec.trim().split(/\s+/)) {
    const match = /^([a-z]+)=(.+)$/.exec(part);
    if (!match) throw bad(spec, `"${part}" is not key=value`);
    fields.set(match[1]!, match[2]!);
  }
  for (const key of fields.keys()) {
    if (!['name', 'type', 'every', 'window', 'keep'].includes(key))
      throw bad(spec, `unknown key "${key}" (name, type, every, window, keep)`);
  }
  const name = fields.get('name') ?? bad(spec, 'name= is missing');
  const type = fields.get('type') ?? 'accelerator';
  if (type !== 'full' && type !== 'accelerator') throw bad(spec, 'type is full or accelerator');
  const every = fields.get('every') ?? bad(spec, 'every= is missing (e.g. every=1d)');
  const frequencySeconds = parseDuration(every) ?? bad(spec, `every=${every} is not a duration`);
  const keep = fields.get('keep');
  const retentionSeconds =
    keep === undefined
      ? null
      : (parseDuration(keep) ?? bad(spec, `keep=${keep} is not a duration`));
  const windowText = fields.get('window');
  let window: Schedule['window'] = null;
  if (windowText !== undefined) {
    const match = /^(\d{1,2}):(\d{2})\+(.+)$/.exec(windowText);
    if (!match) throw bad(spec, `window=${windowText} is not HH:MM+duration (e.g. 22:00+6h)`);
    const [hour, minute] = [Number(match[1]), Number(match[2])];
    if (hour > 23 || minute > 59)
      throw bad(spec, `window start ${match[1]}:${match[2]} is not a time of day`);
    const length = parseDuration(match[3]!);
    if (length === null || length < 60)
      throw bad(spec, `window length "${match[3]}" is not a duration of a minute or more`);
    window = {
      startMinute: hour * 60 + minute,
      durationMinutes: Math.round(length / 60),
    };
  }
  return { name, type, frequencySeconds, window, retentionSeconds };
}

/** The inverse of parseScheduleSpec, for `policy show`. */
export function formatSchedule(schedule: Schedule): string {
  const parts = [
    `name=${schedule.name}`,
    `type=${schedule.type}`,
    `every=${seconds(schedule.frequencySeconds)}`,
  ];
  if (schedule.window) {
    const h = Math.floor(schedule.window.startMinute / 60);
    const m = schedule.window.startMinute % 60;
    parts.push(
      `window=${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}+${seconds(schedule.window.durationMinutes * 60)}`,
    );
  }
  if (schedule.retentionSeconds !== null) parts.push(`keep=${seconds(schedule.retentionSeconds)}`);
  return parts.join(' ');
}

function seconds(value: number): string {
  for (const [unit, size] of [
    ['w', 604800],
    ['d', 86400],
    ['h', 3600],
    ['m', 60],
  ] as const) {
    if (value % size === 0) return `${value / size}${unit}`;
  }
  return `${value}s`;
}

function bad(spec: string, why: string): never {
  throw new TesseraError('BAD_REQUEST', `schedule "${spec}": ${why}`);
}
