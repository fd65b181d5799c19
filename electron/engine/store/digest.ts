import { hash } from 'node:crypto';

/** Blocks are named by the SHA-256 of their uncompressed content. */
export const DIGEST_BYTES = 32;

/**
 * Stands for a block that is unallocated or all zero. Such blocks are never stored; no real
 * SHA-256 is all zero bytes, so the sentinel cannot collide with stored content.
 */
export const ZERO_DIGEST: Buffer = Buffer.alloc(DIGEST_BYTES);

export function digestOf(data: Uint8Array): Buffer {
  // One-shot: no Hash object per block (a backup or restore hashes tens of thousands).
  return hash('sha256', data, 'buffer');
}

export function isZeroDigest(digest: Uint8Array): boolean {
  return ZERO_DIGEST.equals(digest);
}

export function digestHex(digest: Uint8Array): string {
  return Buffer.from(digest.buffer, digest.byteOffset, digest.byteLength).toString('hex');
}
