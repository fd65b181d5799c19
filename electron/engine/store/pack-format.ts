/**
 * Pack files: blocks appended one after another, then an index of what the pack holds and a
 * trailer. A pack is self-describing (the block index and the catalog can be rebuilt from the
 * packs), written once under a temporary name and never modified after it is renamed in.
 *
 *   "TSRPACK1" | block | block | ... | entry × n | trailer
 *   entry   (52 bytes): digest[32] offset:u64 storedLength:u32 rawLength:u32 codec:u8 pad[3]
 *   trailer (48 bytes): sha256(entries)[32] n:u32 pad:u32 "TSRPIDX1"
 */
import { createHash } from 'node:crypto';
import { DIGEST_BYTES } from './digest.js';

export const PACK_MAGIC = Buffer.from('TSRPACK1', 'latin1');
export const INDEX_MAGIC = Buffer.from('TSRPIDX1', 'latin1');
export const ENTRY_BYTES = 52;
export const TRAILER_BYTES = 48;
/** Packs larger than this are never written, so a damaged count cannot ask for more. */
export const MAX_PACK_BYTES = 1024 * 1024 * 1024;

export interface PackEntry {
  readonly digest: Buffer;
  readonly offset: number;
  readonly storedLength: number;
  readonly rawLength: number;
  readonly codec: number;
}

export function encodeIndex(entries: readonly PackEntry[]): Buffer {
  const out = Buffer.alloc(entries.length * ENTRY_BYTES + TRAILER_BYTES);
  entries.forEach((entry, i) => {
    const at = i * ENTRY_BYTES;
    entry.digest.copy(out, at);
    out.writeBigUInt64LE(BigInt(entry.offset), at + 32);
    out.writeUInt32LE(entry.storedLength, at + 40);
    out.writeUInt32LE(entry.rawLength, at + 44);
    out.writeUInt8(entry.codec, at + 48);
  });
  const entriesEnd = entries.length * ENTRY_BYTES;
  createHash('sha256').update(out.subarray(0, entriesEnd)).digest().copy(out, entriesEnd);
  out.writeUInt32LE(entries.length, entriesEnd + 32);
  INDEX_MAGIC.copy(out, entriesEnd + 40);
  return out;
}

/** Where the index of a pack of `fileSize` bytes is, from its trailer; throws if implausible. */
export function parseTrailer(
  trailer: Buffer,
  fileSize: number,
): { entryCount: number; indexOffset: number; indexSha256: Buffer } {
  if (trailer.byteLength !== TRAILER_BYTES || !trailer.subarray(40).equals(INDEX_MAGIC)) {
    throw new Error('the pack has no index trailer (incomplete or damaged pack)');
  }
  const entryCount = trailer.readUInt32LE(32);
  const indexOffset = fileSize - TRAILER_BYTES - entryCount * ENTRY_BYTES;
  if (indexOffset < PACK_MAGIC.byteLength) {
    throw new Error(`the pack trailer counts ${entryCount} blocks, more than the file can hold`);
  }
  return { entryCount, indexOffset, indexSha256: Buffer.from(trailer.subarray(0, 32)) };
}

/** Decodes and checks the index entries (checksum, and every block inside the data area). */
export function parseEntries(
  entries: Buffer,
  expectedSha256: Buffer,
  indexOffset: number,
): PackEntry[] {
  if (!createHash('sha256').update(entries).digest().equals(expectedSha256)) {
    throw new Error('the pack index checksum does not match');
  }
  const result: PackEntry[] = [];
  for (let at = 0; at + ENTRY_BYTES <= entries.byteLength; at += ENTRY_BYTES) {
    const offset = Number(entries.readBigUInt64LE(at + 32));
    const storedLength = entries.readUInt32LE(at + 40);
    if (offset < PACK_MAGIC.byteLength || offset + storedLength > indexOffset) {
      throw new Error(`a pack index entry points outside the pack's data (offset ${offset})`);
    }
    result.push({
      digest: Buffer.from(entries.subarray(at, at + DIGEST_BYTES)),
      offset,
      storedLength,
      rawLength: entries.readUInt32LE(at + 44),
      codec: entries.readUInt8(at + 48),
    });
  }
  return result;
}
