/**
 * FAT directory entries (Microsoft FAT specification, "fatgen103", section 6): 8.3 short
 * names, DOS dates and times, and the 32-byte entry itself.
 */
import { TesseraError } from '../../../shared/errors.js';

export const DIR_ENTRY_SIZE = 32;

export const ATTR = {
  volumeId: 0x08,
  directory: 0x10,
  archive: 0x20,
} as const;

/**
 * Characters a short name may hold besides letters and digits. Anything else (spaces, '+',
 * ',', ';', '=', '[', ']', non-ASCII) would need a long file name, which this builder does
 * not write, so such names are refused rather than silently mangled.
 */
const SHORT_NAME_CHARS = /^[A-Z0-9$%'\-_@~`!(){}^#&]+$/;
const LABEL_CHARS = /^[A-Z0-9$%'\-_@~`!(){}^#& ]+$/;

/** The 11-byte on-disk form of an 8.3 name: `readme.txt` becomes `README  TXT`. */
export function shortName(name: string): Buffer {
  const upper = name.toUpperCase();
  const dot = upper.lastIndexOf('.');
  const base = dot < 0 ? upper : upper.slice(0, dot);
  const ext = dot < 0 ? '' : upper.slice(dot + 1);
  const valid =
    base.length >= 1 &&
    base.length <= 8 &&
    ext.length <= 3 &&
    (dot < 0 || ext.length > 0) &&
    SHORT_NAME_CHARS.test(base) &&
    (ext === '' || SHORT_NAME_CHARS.test(ext));
  if (!valid) {
    throw new TesseraError(
      'BAD_REQUEST',
      `"${name}" is not a FAT 8.3 name (1-8 characters, an optional dot and 1-3 more; ` +
        `letters, digits and $%'-_@~\`!(){}^#& only)`,
    );
  }
  return Buffer.from(base.padEnd(8, ' ') + ext.padEnd(3, ' '), 'latin1');
}

/** The 11-byte volume label (boot sector and root directory entry). */
export function volumeLabel(label: string | undefined): Buffer {
  if (label === undefined || label === '') return Buffer.from('NO NAME    ', 'latin1');
  const upper = label.toUpperCase();
  if (upper.length > 11 || upper.startsWith(' ') || !LABEL_CHARS.test(upper)) {
    throw new TesseraError(
      'BAD_REQUEST',
      `"${label}" is not a FAT volume label (up to 11 letters, digits, spaces and ` +
        `$%'-_@~\`!(){}^#&, not starting with a space)`,
    );
  }
  return Buffer.from(upper.padEnd(11, ' '), 'latin1');
}

export interface DosTimestamp {
  readonly date: number;
  readonly time: number;
  /** Hundredths of a second past `time` (which counts in 2-second steps), 0-199. */
  readonly tenths: number;
}

/**
 * FAT stores local time, as the guest's clock shows it; dates outside 1980-2107 (the range
 * the 7-bit year field covers) are clamped to its ends.
 */
export function dosTimestamp(when: Date): DosTimestamp {
  const year = when.getFullYear();
  if (year < 1980) return { date: (1 << 5) | 1, time: 0, tenths: 0 };
  if (year > 2107) {
    return { date: (127 << 9) | (12 << 5) | 31, time: (23 << 11) | (59 << 5) | 29, tenths: 199 };
  }
  const seconds = when.getSeconds();
  return {
    date: ((year - 1980) << 9) | ((when.getMonth() + 1) << 5) | when.getDate(),
    time: (when.getHours() << 11) | (when.getMinutes() << 5) | (seconds >> 1),
    tenths: (seconds & 1) * 100 + Math.floor(when.getMilliseconds() / 10),
  };
}

export interface DirEntry {
  readonly name: Buffer;
  readonly attributes: number;
  readonly firstCluster: number;
  readonly size: number;
  readonly stamp: DosTimestamp;
}

export function writeDirEntry(target: Buffer, offset: number, entry: DirEntry): void {
  const { stamp } = entry;
  entry.name.copy(target, offset, 0, 11);
  target[offset + 11] = entry.attributes;
  target[offset + 13] = stamp.tenths;
  target.writeUInt16LE(stamp.time, offset + 14); // creation
  target.writeUInt16LE(stamp.date, offset + 16);
  target.writeUInt16LE(stamp.date, offset + 18); // last access
  target.writeUInt16LE(0, offset + 20); // high cluster word: always 0 on FAT12/16
  target.writeUInt16LE(stamp.time, offset + 22); // last write
  target.writeUInt16LE(stamp.date, offset + 24);
  target.writeUInt16LE(entry.firstCluster, offset + 26);
  target.writeUInt32LE(entry.size, offset + 28);
}

export const DOT_NAME = Buffer.from('.          ', 'latin1');
export const DOT_DOT_NAME = Buffer.from('..         ', 'latin1');
