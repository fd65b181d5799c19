/**
 * Block fingerprints: the XXH3-128 hash of a block, kept in the track log beside its SHA-256
 * digest. An Accelerator backup hashes every block it reads to find the changed ones; with a
 * fingerprint to compare against, it computes SHA-256 (the block's name in the storage unit)
 * only for blocks whose fingerprint differs. XXH3 runs at about 9 GB/s per core here against
 * SHA-256's 1.4 GB/s, and a day-2 backup changes a few percent of its blocks.
 *
 * A fingerprint is not collision resistant against someone crafting blocks, but a changed
 * block that keeps its 128-bit fingerprint by accident is a 2^-128 event; the restore path
 * never relies on fingerprints (every block is checked against its SHA-256).
 */
import { createRequire } from 'node:module';
import type { XXHash128 as XXHash128Class } from 'xxhash-addon';

export const FINGERPRINT_BYTES = 16;

// The addon is CommonJS with classes on module.exports.
const { XXHash128 } = createRequire(import.meta.url)('xxhash-addon') as {
  XXHash128: typeof XXHash128Class;
};

export function fingerprintOf(block: Buffer): Buffer {
  return XXHash128.hash(block);
}
