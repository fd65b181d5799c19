import { describeIssues, policySchema, type Policy, type Schedule } from '../../../shared/policy';
import { formatMinuteOfDay, parseMinuteOfDay } from '../../lib/format';
import { fromSeconds, toSeconds, type FrequencyUnit } from '../../lib/units';

/**
 * What the policy form edits: text where a person types numbers (so a half-typed "1." is not
 * lost), converted to a Policy only on save. Pure, so it is easy to reason about.
 */
export interface ScheduleDraft {
  /** React key: stable across edits and removals. */
  readonly key: number;
  readonly name: string;
  readonly type: Schedule['type'];
  readonly every: string;
  readonly unit: FrequencyUnit;
  readonly anyTime: boolean;
  readonly windowStart: string;
  readonly windowHours: string;
  readonly keepForever: boolean;
  readonly retentionDays: string;
}

export interface PolicyDraft {
  readonly name: string;
  readonly enabled: boolean;
  readonly selectionKind: 'list' | 'query';
  /** VM IDs (or names, as older policies may hold) for a list selection. */
  readonly vms: readonly string[];
  readonly query: string;
  readonly accelerator: boolean;
  /** Blank: never. */
  readonly forcedRescanEvery: string;
  readonly snapshotFirst: boolean;
  /** Blank: tessera.conf's. */
  readonly hosts: string;
  readonly streamsPerHost: string;
  readonly schedules: readonly ScheduleDraft[];
}

let nextKey = 1;

export function newScheduleDraft(existing: readonly ScheduleDraft[]): ScheduleDraft {
  const names = new Set(existing.map((s) => s.name));
  let name = 'daily';
  for (let i = 2; names.has(name); i += 1) name = `daily-${i}`;
  return {
    key: nextKey++,
    name,
    type: 'accelerator',
    every: '1',
    unit: 'days',
    anyTime: false,
    windowStart: '22:00',
    windowHours: '6',
    keepForever: false,
    retentionDays: '30',
  };
}

export function emptyDraft(): PolicyDraft {
  return {
    name: '',
    enabled: true,
    selectionKind: 'query',
    vms: [],
    query: '',
    accelerator: true,
    forcedRescanEvery: '',
    snapshotFirst: false,
    hosts: '',
    streamsPerHost: '',
    schedules: [],
  };
}

const numberText = (value: number | null): string => (value === null ? '' : String(value));

export function draftOf(policy: Policy): PolicyDraft {
  return {
    name: policy.name,
    enabled: policy.enabled,
    selectionKind: policy.selection.kind,
    vms: policy.selection.kind === 'list' ? policy.selection.vms : [],
    query: policy.selection.kind === 'query' ? policy.selection.query : '',
    accelerator: policy.accelerator,
    forcedRescanEvery: numberText(policy.forcedRescanEvery),
    snapshotFirst: policy.snapshotFirst,
    hosts: numberText(policy.hosts),
    streamsPerHost: numberText(policy.streamsPerHost),
    schedules: policy.schedules.map((schedule) => {
      const frequency = fromSeconds(schedule.frequencySeconds);
      return {
        key: nextKey++,
        name: schedule.name,
        type: schedule.type,
        every: String(frequency.amount),
        unit: frequency.unit,
        anyTime: schedule.window === null,
        windowStart: schedule.window ? formatMinuteOfDay(schedule.window.startMinute) : '22:00',
        windowHours: schedule.window ? String(schedule.window.durationMinutes / 60) : '6',
        keepForever: schedule.retentionSeconds === null,
        retentionDays:
          schedule.retentionSeconds === null
            ? '30'
            : String(Math.round((schedule.retentionSeconds / 86400) * 100) / 100),
      };
    }),
  };
}

/** Blank -> null; anything else -> a number (NaN when it is not one, for zod to report). */
function optionalNumber(text: string): number | null {
  return text.trim() === '' ? null : Number(text);
}

export type DraftResult =
  { readonly ok: true; readonly policy: Policy } | { readonly ok: false; readonly message: string };

/** The draft as a Policy, checked with the same zod schema the main process uses. */
export function policyOf(draft: PolicyDraft): DraftResult {
  const problems: string[] = [];
  const schedules = draft.schedules.map((s, i) => {
    const label = `schedule ${i + 1} (${s.name || 'unnamed'})`;
    let window: Schedule['window'] = null;
    if (!s.anyTime) {
      const startMinute = parseMinuteOfDay(s.windowStart);
      if (startMinute === null) problems.push(`${label}: the window start is not a time HH:MM`);
      window = {
        startMinute: startMinute ?? 0,
        durationMinutes: Math.round(Number(s.windowHours) * 60),
      };
    }
    return {
      name: s.name.trim(),
      type: s.type,
      frequencySeconds: toSeconds(Number(s.every), s.unit),
      window,
      retentionSeconds: s.keepForever ? null : Math.round(Number(s.retentionDays) * 86400),
    };
  });
  if (problems.length > 0) return { ok: false, message: problems.join('; ') };
  const candidate = {
    name: draft.name.trim(),
    enabled: draft.enabled,
    selection:
      draft.selectionKind === 'list'
        ? { kind: 'list', vms: [...draft.vms] }
        : { kind: 'query', query: draft.query.trim() },
    accelerator: draft.accelerator,
    forcedRescanEvery: optionalNumber(draft.forcedRescanEvery),
    snapshotFirst: draft.snapshotFirst,
    hosts: optionalNumber(draft.hosts),
    streamsPerHost: optionalNumber(draft.streamsPerHost),
    schedules,
  };
  const parsed = policySchema.safeParse(candidate);
  if (!parsed.success) return { ok: false, message: friendlier(describeIssues(parsed.error)) };
  return { ok: true, policy: parsed.data };
}

/** zod speaks in field paths; a few read better in the form's own words. */
function friendlier(message: string): string {
  return message
    .replace(/schedules\.(\d+)\./g, (_, i: string) => `schedule ${Number(i) + 1}: `)
    .replace(/selection\.vms/g, 'VM list')
    .replace(/selection\.query/g, 'query')
    .replace(/window\.durationMinutes/g, 'window length')
    .replace(/frequencySeconds/g, 'frequency')
    .replace(/retentionSeconds/g, 'retention');
}
