/**
 * VHDX log replay, in memory. A header with a non-null LogGuid says metadata updates may sit in
 * the log that never reached their place in the file; [MS-VHDX] 2.3.3 requires replaying them
 * before the file is read. Tessera never writes to a source image, so instead of flushing the
 * log into the file (as qemu and Hyper-V do) it builds a {@link ReplayedFile}: a FileReader that
 * shows the file as it would be after the replay, with the replayed 4 KiB pages held in memory.
 *
 * Finding the active sequence (2.3.3, and qemu's vhdx_log_search): every 4 KiB position of the
 * circular log may start an entry. An entry is valid when its signature, length, LogGuid,
 * checksum (CRC-32C over the whole entry), descriptors and data sectors agree. A sequence is a
 * run of valid entries with consecutive sequence numbers, each starting where the previous one
 * ends; it is valid when the head (newest) entry's Tail is the position of its first entry. The
 * active sequence is the valid one whose head has the largest sequence number. If there is
 * none, nothing is replayed (the log holds only flushed or torn writes), as in qemu.
 */
import { DiskError } from '../errors.js';
import { crc32cWithZeroedField } from '../io/checksum.js';
import type { FileReader } from '../io/file.js';
import {
  LOG_DESCRIPTOR_SIZE,
  LOG_ENTRY_HEADER_SIZE,
  LOG_SECTOR_SIZE,
  LOG_VERSION,
  MAX_REPLAY_BYTES,
  MiB,
  SIGNATURE,
} from './vhdx-constants.js';
import {
  CHECKSUM_OFFSET,
  logDataSectorCodec,
  logDescriptorCodec,
  logEntryHeaderCodec,
  logSectorContent,
  type LogDescriptor,
  type LogEntryHeader,
  type VhdxHeader,
} from './vhdx-structs.js';

export interface LogEntry {
  readonly position: number;
  readonly header: LogEntryHeader;
  /** Each descriptor with the 4 KiB page it writes (null for a zero descriptor). */
  readonly writes: ReadonlyArray<{ descriptor: LogDescriptor; page: Buffer | null }>;
}

function unreplayable(path: string, detail: string): DiskError {
  return new DiskError('DISK_LOG_UNREPLAYABLE', path, `log: ${detail}`);
}

/** Sectors taken by the entry header and `count` descriptors (the header counts as two). */
export function descriptorSectors(count: number): number {
  return Math.ceil((count + 2) / (LOG_SECTOR_SIZE / LOG_DESCRIPTOR_SIZE));
}

/**
 * Reads the log region and returns the active sequence's entries, oldest first (empty when
 * nothing needs replaying). Throws DISK_LOG_UNREPLAYABLE when the log cannot be read safely.
 */
export async function readActiveLogSequence(
  file: FileReader,
  header: VhdxHeader,
): Promise<LogEntry[]> {
  const path = file.path;
  const offset = header.logOffset;
  const length = header.logLength;
  if (header.logVersion !== LOG_VERSION)
    throw unreplayable(path, `log version ${header.logVersion} is not 0`);
  if (length === 0 || length % MiB !== 0)
    throw unreplayable(path, `log length ${length} is not a non-zero multiple of 1 MiB`);
  if (offset < BigInt(MiB) || offset % BigInt(MiB) !== 0n)
    throw unreplayable(path, `log offset ${offset} is not a multiple of 1 MiB past the headers`);
  if (offset + BigInt(length) > BigInt(file.size))
    throw unreplayable(path, `log region ${offset}+${length} ends past the end of the file`);
  if (length > MAX_REPLAY_BYTES)
    throw unreplayable(
      path,
      `a ${length}-byte log is larger than the ${MAX_REPLAY_BYTES} bytes Tessera replays in memory`,
    );
  const log = Buffer.alloc(length);
  await file.read(log, Number(offset));

  const entries = new Map<number, LogEntry>();
  for (let position = 0; position < length; position += LOG_SECTOR_SIZE) {
    const entry = parseEntry(log, position, header.logGuid);
    if (entry) entries.set(position, entry);
  }
  let best: LogEntry[] = [];
  for (const head of entries.values()) {
    if (best.length > 0 && head.header.sequenceNumber <= best.at(-1)!.header.sequenceNumber)
      continue;
    const sequence = sequenceEndingAt(entries, head, length);
    if (sequence) best = sequence;
  }
  return best;
}

/** The entries from `head`'s Tail up to `head`, if they form a valid sequence. */
function sequenceEndingAt(
  entries: ReadonlyMap<number, LogEntry>,
  head: LogEntry,
  logLength: number,
): LogEntry[] | null {
  const sequence: LogEntry[] = [];
  let current = entries.get(head.header.tail);
  while (current && sequence.length <= entries.size) {
    const previous = sequence.at(-1);
    if (previous && current.header.sequenceNumber !== previous.header.sequenceNumber + 1n)
      return null;
    sequence.push(current);
    if (current === head) return sequence;
    current = entries.get((current.position + current.header.entryLength) % logLength);
  }
  return null;
}

/** Copies `count` bytes of the circular log from `position`, wrapping at its end. */
function circular(log: Buffer, position: number, count: number): Buffer {
  const out = Buffer.alloc(count);
  for (let done = 0; done < count;) {
    const at = (position + done) % log.byteLength;
    const piece = Math.min(count - done, log.byteLength - at);
    log.copy(out, done, at, at + piece);
    done += piece;
  }
  return out;
}

/** Parses and fully validates the entry at `position`; null if there is no valid entry there. */
export function parseEntry(log: Buffer, position: number, logGuid: string): LogEntry | null {
  const header = logEntryHeaderCodec.get(circular(log, position, LOG_ENTRY_HEADER_SIZE));
  const { entryLength, descriptorCount } = header;
  if (header.signature !== SIGNATURE.logEntry) return null;
  if (entryLength === 0 || entryLength % LOG_SECTOR_SIZE !== 0 || entryLength > log.byteLength)
    return null;
  if (header.sequenceNumber === 0n || header.logGuid !== logGuid) return null;
  if (header.tail % LOG_SECTOR_SIZE !== 0 || header.tail >= log.byteLength) return null;
  const sectors = entryLength / LOG_SECTOR_SIZE;
  const descSectors = descriptorSectors(descriptorCount);
  if (descSectors > sectors) return null;
  const bytes = circular(log, position, entryLength);
  if (crc32cWithZeroedField(bytes, CHECKSUM_OFFSET) !== header.checksum) return null;

  const writes: Array<{ descriptor: LogDescriptor; page: Buffer | null }> = [];
  let dataSector = descSectors;
  for (let i = 0; i < descriptorCount; i++) {
    const descriptor = logDescriptorCodec.get(
      bytes,
      LOG_ENTRY_HEADER_SIZE + i * LOG_DESCRIPTOR_SIZE,
    );
    if (descriptor.sequenceNumber !== header.sequenceNumber) return null;
    if (descriptor.fileOffset % BigInt(LOG_SECTOR_SIZE) !== 0n) return null;
    if (descriptor.signature === SIGNATURE.logZero) {
      if (descriptor.zeroLength % BigInt(LOG_SECTOR_SIZE) !== 0n) return null;
      writes.push({ descriptor, page: null });
    } else if (descriptor.signature === SIGNATURE.logDescriptor) {
      if (dataSector >= sectors) return null;
      const sector = logDataSectorCodec.get(bytes, dataSector * LOG_SECTOR_SIZE);
      dataSector++;
      if (sector.signature !== SIGNATURE.logData) return null;
      if (sector.sequenceNumber !== header.sequenceNumber) return null;
      writes.push({ descriptor, page: logSectorContent(descriptor, sector) });
    } else {
      return null;
    }
  }
  return { position, header, writes };
}

/**
 * The image file as it reads after replaying `entries`: the replayed pages over the real
 * file, and zeros past the real end up to the size the log says the file had.
 */
export class ReplayedFile implements FileReader {
  private readonly pages = new Map<number, Buffer>();
  private readonly order: number[];
  readonly size: number;

  constructor(
    private readonly file: FileReader,
    entries: readonly LogEntry[],
  ) {
    const zeroPage = Buffer.alloc(LOG_SECTOR_SIZE);
    let size = file.size;
    let bytes = 0;
    for (const entry of entries) {
      if (entry.header.flushedFileOffset > BigInt(file.size)) {
        throw unreplayable(
          file.path,
          `entry ${entry.header.sequenceNumber} says the file was flushed up to ${entry.header.flushedFileOffset} but it is ${file.size} bytes long (truncated)`,
        );
      }
      for (const { descriptor, page } of entry.writes) {
        const length = page ? LOG_SECTOR_SIZE : Number(descriptor.zeroLength);
        bytes += length;
        if (bytes > MAX_REPLAY_BYTES || descriptor.fileOffset > BigInt(Number.MAX_SAFE_INTEGER)) {
          throw unreplayable(
            file.path,
            `the log writes more than the ${MAX_REPLAY_BYTES} bytes Tessera replays in memory`,
          );
        }
        const start = Number(descriptor.fileOffset);
        for (let at = 0; at < length; at += LOG_SECTOR_SIZE)
          this.pages.set((start + at) / LOG_SECTOR_SIZE, page ?? zeroPage);
        size = Math.max(size, start + length);
      }
      const last = entry.header.lastFileOffset;
      if (last <= BigInt(Number.MAX_SAFE_INTEGER)) size = Math.max(size, Number(last));
    }
    this.order = [...this.pages.keys()].sort((a, b) => a - b);
    this.size = size;
  }

  get path(): string {
    return this.file.path;
  }

  /** Number of 4 KiB pages the replay changed (for tests and diagnostics). */
  get replayedPages(): number {
    return this.order.length;
  }

  async read(buffer: Uint8Array, position: number): Promise<void> {
    const end = position + buffer.byteLength;
    if (position < 0 || end > this.size) {
      throw new DiskError(
        'DISK_TRUNCATED',
        this.path,
        `needs bytes ${position}..${end} but the file (after log replay) is ${this.size} bytes long`,
      );
    }
    const real = Math.max(0, Math.min(end, this.file.size) - position);
    if (real > 0) await this.file.read(buffer.subarray(0, real), position);
    buffer.fill(0, real);
    const first = Math.floor(position / LOG_SECTOR_SIZE);
    for (let i = lowerBound(this.order, first); i < this.order.length; i++) {
      const index = this.order[i]!;
      const pageStart = index * LOG_SECTOR_SIZE;
      if (pageStart >= end) break;
      const page = this.pages.get(index)!;
      const from = Math.max(pageStart, position);
      const to = Math.min(pageStart + LOG_SECTOR_SIZE, end);
      buffer.set(page.subarray(from - pageStart, to - pageStart), from - position);
    }
  }

  close(): Promise<void> {
    return this.file.close();
  }
}

function lowerBound(sorted: readonly number[], value: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
