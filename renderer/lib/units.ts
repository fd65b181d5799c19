/** Conversions between what the policy form shows (number + unit) and the seconds it stores. */

export const FREQUENCY_UNITS = ['minutes', 'hours', 'days'] as const;
export type FrequencyUnit = (typeof FREQUENCY_UNITS)[number];

const SECONDS_PER: Readonly<Record<FrequencyUnit, number>> = {
  minutes: 60,
  hours: 3600,
  days: 86400,
};

export function toSeconds(amount: number, unit: FrequencyUnit): number {
  return Math.round(amount * SECONDS_PER[unit]);
}

/** The largest unit that divides the seconds evenly, so 86400 shows as "1 days" not "1440 min". */
export function fromSeconds(seconds: number): { amount: number; unit: FrequencyUnit } {
  for (const unit of ['days', 'hours', 'minutes'] as const) {
    if (seconds % SECONDS_PER[unit] === 0) return { amount: seconds / SECONDS_PER[unit], unit };
  }
  return { amount: Math.round(seconds / 60), unit: 'minutes' };
}
