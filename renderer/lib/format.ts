/** Small pure formatters for what the screens show: sizes, rates, durations, times. */

const BINARY_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'] as const;

/** Bytes in binary units, as disk sizes are: 1536 -> "1.5 KiB", 64 MiB -> "64 MiB". */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return '—';
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < BINARY_UNITS.length - 1) {
    value /= 1024;
    unit += 1;
  }
  if (unit === 0) return `${value} B`;
  // One decimal below 100 keeps "1.5 GiB" readable without "123.4 GiB" noise.
  const digits = value < 100 && !Number.isInteger(value) ? 1 : 0;
  return `${value.toFixed(digits)} ${BINARY_UNITS[unit]}`;
}

/** A transfer rate in decimal megabytes per second, as throughput is usually quoted. */
export function formatRate(bytesPerSecond: number): string {
  if (!Number.isFinite(bytesPerSecond) || bytesPerSecond <= 0) return '—';
  const mb = bytesPerSecond / 1e6;
  return `${mb >= 100 ? mb.toFixed(0) : mb.toFixed(1)} MB/s`;
}

/** A length of time: "45 s", "3 min 5 s", "2 h 10 min", "3 d 4 h". */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '—';
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  const minutes = Math.floor(s / 60);
  if (minutes < 60) return s % 60 === 0 ? `${minutes} min` : `${minutes} min ${s % 60} s`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return minutes % 60 === 0 ? `${hours} h` : `${hours} h ${minutes % 60} min`;
  const days = Math.floor(hours / 24);
  return hours % 24 === 0 ? `${days} d` : `${days} d ${hours % 24} h`;
}

/** How long ago (or how soon) a moment is, from Unix milliseconds: "3 min ago", "in 2 h". */
export function formatRelative(atMs: number, nowMs: number): string {
  const deltaSeconds = (nowMs - atMs) / 1000;
  const past = deltaSeconds >= 0;
  const abs = Math.abs(deltaSeconds);
  // Within seconds either way reads as now: clocks and whole-second timestamps jitter.
  if (abs < 10) return 'just now';
  let text: string;
  if (abs < 60) text = `${Math.floor(abs)} s`;
  else if (abs < 3600) text = `${Math.floor(abs / 60)} min`;
  else if (abs < 86400) text = `${Math.floor(abs / 3600)} h`;
  else {
    const days = Math.floor(abs / 86400);
    text = days === 1 ? '1 day' : `${days} days`;
  }
  return past ? `${text} ago` : `in ${text}`;
}

function pad2(n: number): string {
  return String(n).padStart(2, '0');
}

/** A local date and time, "2025-03-14 09:05", from Unix milliseconds. */
export function formatDateTime(atMs: number): string {
  const d = new Date(atMs);
  return `${d.getFullYear()}-${pad2(d.getMonth() + 1)}-${pad2(d.getDate())} ${pad2(d.getHours())}:${pad2(d.getMinutes())}`;
}

/** A local time of day, "09:05:03", from Unix milliseconds (for log lines). */
export function formatTimeOfDay(atMs: number): string {
  const d = new Date(atMs);
  return `${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}`;
}

/** A deduplication (or any) ratio: 12.4 -> "12.4×". */
export function formatRatio(ratio: number): string {
  if (!Number.isFinite(ratio) || ratio <= 0) return '—';
  // Grouped digits: a store of near-empty disks reaches ratios in the millions.
  const digits = ratio >= 100 ? 0 : 1;
  return `${ratio.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })}×`;
}

/** Minutes after midnight as "HH:MM". */
export function formatMinuteOfDay(minute: number): string {
  return `${pad2(Math.floor(minute / 60) % 24)}:${pad2(minute % 60)}`;
}

/** "HH:MM" (or "H:MM") to minutes after midnight; null when it is not a time of day. */
export function parseMinuteOfDay(text: string): number | null {
  const match = /^(\d{1,2}):(\d{2})$/.exec(text.trim());
  if (!match) return null;
  const hours = Number(match[1]);
  const minutes = Number(match[2]);
  if (hours > 23 || minutes > 59) return null;
  return hours * 60 + minutes;
}

/** A fraction 0..1 as a whole percentage, clamped. */
export function formatPercent(fraction: number): string {
  if (!Number.isFinite(fraction)) return '—';
  return `${Math.round(Math.min(1, Math.max(0, fraction)) * 100)} %`;
}

/** "1 disk", "3 disks". */
export function plural(count: number, singular: string, pluralForm = `${singular}s`): string {
  return `${count} ${count === 1 ? singular : pluralForm}`;
}
