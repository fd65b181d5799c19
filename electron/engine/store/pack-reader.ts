import { open } from 'node:fs/promises';
import {
  MAX_PACK_BYTES,
  parseEntries,
  parseTrailer,
  TRAILER_BYTES,
  type PackEntry,
} from './pack-format.js';

/** Reads and checks a sealed pack's own index (its trailer), without reading its blocks. */
export async function readPackIndex(file: string): Promise<{ entries: PackEntry[]; size: number }> {
  const handle = await open(file, 'r');
  try {
    const { size } = await handle.stat();
    if (size < TRAILER_BYTES + 8 || size > MAX_PACK_BYTES) {
      throw new Error(`a pack of ${size} bytes cannot be valid`);
    }
    const trailer = Buffer.alloc(TRAILER_BYTES);
    await handle.read(trailer, 0, TRAILER_BYTES, size - TRAILER_BYTES);
    const { entryCount, indexOffset, indexSha256 } = parseTrailer(trailer, size);
    const entries = Buffer.alloc(size - TRAILER_BYTES - indexOffset);
    await handle.read(entries, 0, entries.byteLength, indexOffset);
    const parsed = parseEntries(entries, indexSha256, indexOffset);
    if (parsed.length !== entryCount) throw new Error('the pack index is cut short');
    return { entries: parsed, size };
  } finally {
    await handle.close();
  }
}
