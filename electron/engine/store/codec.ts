import { compressSync, uncompressSync } from 'lz4-napi';

/**
 * Per-block compression. LZ4 because backup throughput is bound by how fast blocks are
 * hashed and written: it compresses text-like data several GB/s and gives up on random data
 * at ~500 MB/s, well above the disk. Blocks that do not shrink are stored as they are.
 */
export const CODEC_NONE = 0;
export const CODEC_LZ4 = 1;
export type Codec = typeof CODEC_NONE | typeof CODEC_LZ4;

/** Keep the compressed form only when it saves at least this fraction. */
const WORTHWHILE = 0.97;

export interface EncodedBlock {
  readonly codec: Codec;
  readonly data: Buffer;
}

export function encodeBlock(raw: Buffer): EncodedBlock {
  const compressed = compressSync(raw);
  if (compressed.byteLength < raw.byteLength * WORTHWHILE) {
    return { codec: CODEC_LZ4, data: compressed };
  }
  return { codec: CODEC_NONE, data: raw };
}

/** Throws when the stored bytes do not decode to `rawLength` bytes. */
export function decodeBlock(codec: number, stored: Buffer, rawLength: number): Buffer {
  let raw: Buffer;
  if (codec === CODEC_NONE) raw = stored;
  else if (codec === CODEC_LZ4) {
    // lz4-napi prepends the decoded size; check it first so damage cannot make it allocate.
    if (stored.byteLength < 4 || stored.readUInt32LE(0) !== rawLength) {
      throw new Error(
        `block header says ${stored.byteLength < 4 ? '?' : stored.readUInt32LE(0)} bytes, expected ${rawLength}`,
      );
    }
    raw = uncompressSync(stored);
  } else throw new Error(`unknown block codec ${codec}`);
  if (raw.byteLength !== rawLength) {
    throw new Error(`block decodes to ${raw.byteLength} bytes, expected ${rawLength}`);
  }
  return raw;
}
