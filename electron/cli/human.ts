const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];

/** 1536 → "1.5 KiB": binary units, as disk sizes are given. */
export function formatBytes(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(value < 10 ? 2 : 1)} ${UNITS[unit]}`;
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '--:--';
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const pad = (n: number) => String(n).padStart(2, '0');
  return h > 0 ? `${h}:${pad(m)}:${pad(s % 60)}` : `${pad(m)}:${pad(s % 60)}`;
}

/** Parses "32M", "1GiB", "4096" into bytes; null when it is not a size. */
export function parseSize(text: string): number | null {
  const match = /^(\d+)\s*([kmgt]?)(i?b)?$/i.exec(text.trim());
  if (!match) return null;
  const power = ['', 'k', 'm', 'g', 't'].indexOf((match[2] ?? '').toLowerCase());
  const value = Number(match[1]) * 1024 ** power;
  return Number.isSafeInteger(value) ? value : null;
}

/** Parses "30d", "12h", "90m", "45s" or plain seconds into seconds; null when it is not one. */
export function parseDuration(text: string): number | null {
  const match = /^(\d+)\s*([smhdw]?)$/i.exec(text.trim());
  if (!match) return null;
  const unit = { '': 1, s: 1, m: 60, h: 3600, d: 86400, w: 604800 }[
    (match[2] ?? '').toLowerCase() as '' | 's' | 'm' | 'h' | 'd' | 'w'
  ];
  const value = Number(match[1]) * unit;
  return Number.isSafeInteger(value) ? value : null;
}
