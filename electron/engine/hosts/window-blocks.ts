import { TesseraError } from '../../../shared/errors.js';
import type { BlockLocation } from '../store/block-index.js';
import type { BlockLocator } from '../store/block-locator.js';
import { DIGEST_BYTES, digestHex, isZeroDigest } from '../store/digest.js';
import type { FetchWindow } from './restore-messages.js';

/** A stored block of a restore window: its place in the window and where it is stored. */
export interface WindowBlock {
  /** Block number within the window. */
  readonly index: number;
  readonly digest: Buffer;
  location: BlockLocation;
}

type Window = Pick<FetchWindow, 'disk' | 'firstOffset' | 'blockSize' | 'virtualSize' | 'digests'>;

/**
 * The window's stored blocks (all-zero digests are blocks that were never stored), each with
 * its location, in window order. A block the index does not know, or knows with another
 * length than the disk's block there, fails the window: the image names it, so the storage
 * unit has lost or damaged it.
 */
export function locateWindow(locator: BlockLocator, window: Window): WindowBlock[] {
  const indices: number[] = [];
  const digests: Buffer[] = [];
  const count = window.digests.byteLength / DIGEST_BYTES;
  for (let index = 0; index < count; index++) {
    const digest = window.digests.subarray(index * DIGEST_BYTES, (index + 1) * DIGEST_BYTES);
    if (isZeroDigest(digest)) continue;
    indices.push(index);
    digests.push(Buffer.from(digest.buffer, digest.byteOffset, DIGEST_BYTES));
  }
  const locations = locator.locateAll(digests);
  return indices.map((index, i) => {
    const digest = digests[i]!;
    const location = locations[i];
    const offset = window.firstOffset + index * window.blockSize;
    if (!location) {
      throw new TesseraError(
        'BLOCK_MISSING',
        `${window.disk}: the block at offset ${offset} (${digestHex(digest)}) is not in the storage unit`,
      );
    }
    const expected = Math.min(window.blockSize, window.virtualSize - offset);
    if (location.rawLength !== expected) {
      throw new TesseraError(
        'BLOCK_DAMAGED',
        `${window.disk}: the block at offset ${offset} is stored with ${location.rawLength} bytes, expected ${expected}`,
      );
    }
    return { index, digest, location };
  });
}
