import { describe, expect, it } from 'vitest';
import { formatSchedule, parseScheduleSpec } from '../../../electron/cli/commands/schedule-spec.js';
import { scheduleSchema, type Schedule } from '../../../shared/policy.js';

const DAY = 86_400;

describe('parseScheduleSpec', () => {
  it('reads every key', () => {
    expect(
      parseScheduleSpec('name=nightly type=accelerator every=1d window=22:00+6h keep=30d'),
    ).toEqual({
      name: 'nightly',
      type: 'accelerator',
      frequencySeconds: DAY,
      window: { startMinute: 22 * 60, durationMinutes: 6 * 60 },
      retentionSeconds: 30 * DAY,
    });
  });

  it('defaults to an Accelerator schedule without window or retention, in any key order', () => {
    const schedule = parseScheduleSpec('  every=12h   name=twice-a-day ');
    expect(schedule).toEqual({
      name: 'twice-a-day',
      type: 'accelerator',
      frequencySeconds: 12 * 3600,
      window: null,
      retentionSeconds: null,
    });
    expect(scheduleSchema.parse(schedule)).toEqual(schedule);
  });

  it('takes each duration unit and plain seconds, and a window that crosses midnight', () => {
    expect(parseScheduleSpec('name=w type=full every=1w keep=52w')).toMatchObject({
      type: 'full',
      frequencySeconds: 7 * DAY,
      retentionSeconds: 52 * 7 * DAY,
    });
    expect(parseScheduleSpec('name=m every=90m window=0:05+90m').window).toEqual({
      startMinute: 5,
      durationMinutes: 90,
    });
    expect(parseScheduleSpec('name=s every=3600 window=23:30+8h')).toMatchObject({
      frequencySeconds: 3600,
      window: { startMinute: 23 * 60 + 30, durationMinutes: 480 },
    });
  });

  it('leaves range checks to scheduleSchema, which savePolicy applies', () => {
    // Parsed, but not a valid schedule: the CLI's savePolicy rejects it with exit 2.
    const tooOften = parseScheduleSpec('name=a every=30s');
    expect(tooOften.frequencySeconds).toBe(30);
    expect(scheduleSchema.safeParse(tooOften).success).toBe(false);
    expect(scheduleSchema.safeParse(parseScheduleSpec('name=a every=1d keep=0')).success).toBe(
      false,
    );
    expect(
      scheduleSchema.safeParse(parseScheduleSpec('name=a every=1d window=22:00+2d')).success,
    ).toBe(false);
  });

  it('says precisely what is wrong, quoting the spec', () => {
    const cases: Array<[string, string]> = [
      ['', '"" is not key=value'],
      ['name=a every=1d nightly', '"nightly" is not key=value'],
      ['name=a every=1d Type=full', '"Type=full" is not key=value'],
      ['name=a every=1d color=red', 'unknown key "color" (name, type, every, window, keep)'],
      ['every=1d', 'name= is missing'],
      ['name=a', 'every= is missing (e.g. every=1d)'],
      ['name=a every=1d type=incremental', 'type is full or accelerator'],
      ['name=a every=daily', 'every=daily is not a duration'],
      ['name=a every=1d keep=forever', 'keep=forever is not a duration'],
      ['name=a every=1d window=10pm', 'window=10pm is not HH:MM+duration (e.g. 22:00+6h)'],
      ['name=a every=1d window=22:00', 'window=22:00 is not HH:MM+duration (e.g. 22:00+6h)'],
      [
        'name=a every=1d window=22:00+30s',
        'window length "30s" is not a duration of a minute or more',
      ],
      ['name=a every=1d window=22:00+x', 'window length "x" is not a duration of a minute or more'],
    ];
    for (const [spec, why] of cases) {
      let error: unknown;
      try {
        parseScheduleSpec(spec);
      } catch (caught) {
        error = caught;
      }
      expect(error, spec).toMatchObject({
        code: 'BAD_REQUEST',
        message: `schedule "${spec}": ${why}`,
      });
    }
  });

  // Hours 0-23 and minutes 0-59, said at the spec rather than later by the policy schema.
  it('rejects a window start that is not a time of day', () => {
    expect(() => parseScheduleSpec('name=a every=1d window=22:75+1h')).toThrow(
      'schedule "name=a every=1d window=22:75+1h"',
    );
    expect(() => parseScheduleSpec('name=a every=1d window=24:30+1h')).toThrow(
      'schedule "name=a every=1d window=24:30+1h"',
    );
  });
});

describe('formatSchedule', () => {
  it('writes the canonical spec: largest whole unit, type always, optional parts when set', () => {
    expect(
      formatSchedule({
        name: 'nightly',
        type: 'accelerator',
        frequencySeconds: DAY,
        window: { startMinute: 22 * 60, durationMinutes: 360 },
        retentionSeconds: 30 * DAY,
      }),
    ).toBe('name=nightly type=accelerator every=1d window=22:00+6h keep=30d');
    expect(
      formatSchedule({
        name: 'odd',
        type: 'full',
        frequencySeconds: 90,
        window: { startMinute: 5, durationMinutes: 90 },
        retentionSeconds: 14 * DAY,
      }),
    ).toBe('name=odd type=full every=90s window=00:05+90m keep=2w');
    expect(
      formatSchedule({
        name: 'h',
        type: 'accelerator',
        frequencySeconds: 25 * 3600,
        window: null,
        retentionSeconds: null,
      }),
    ).toBe('name=h type=accelerator every=25h');
  });

  it('round-trips: parse(format(s)) is s, and format(parse(spec)) is the canonical spec', () => {
    const schedules: Schedule[] = [
      {
        name: 'nightly',
        type: 'accelerator',
        frequencySeconds: DAY,
        window: { startMinute: 22 * 60, durationMinutes: 360 },
        retentionSeconds: 30 * DAY,
      },
      {
        name: 'w.1',
        type: 'full',
        frequencySeconds: 7 * DAY,
        window: null,
        retentionSeconds: null,
      },
      {
        name: 'edge_case',
        type: 'full',
        frequencySeconds: 3601,
        window: { startMinute: 1439, durationMinutes: 1440 },
        retentionSeconds: 61,
      },
      {
        name: 'm',
        type: 'accelerator',
        frequencySeconds: 60,
        window: { startMinute: 0, durationMinutes: 1 },
        retentionSeconds: 366 * DAY,
      },
    ];
    for (const schedule of schedules) {
      expect(scheduleSchema.parse(schedule)).toEqual(schedule);
      expect(parseScheduleSpec(formatSchedule(schedule))).toEqual(schedule);
    }
    for (const [spec, canonical] of [
      ['every=86400 name=a', 'name=a type=accelerator every=1d'],
      ['name=a type=full every=120m keep=168h', 'name=a type=full every=2h keep=1w'],
      ['name=a every=1d window=7:05+1440m', 'name=a type=accelerator every=1d window=07:05+1d'],
    ] as const) {
      expect(formatSchedule(parseScheduleSpec(spec))).toBe(canonical);
    }
  });
});
