/** What the engine and its restore hosts (worker threads) say to each other. */
import type { SerializedError } from '../../../shared/errors.js';

/** Sent once, first: the storage unit whose index and packs the host reads. */
export interface OpenStore {
  readonly type: 'open';
  readonly storeDir: string;
}

/**
 * Fetch, decode and check one window of a disk: the blocks from `firstOffset` on, one digest
 * (32 bytes) each, all-zero digests standing for blocks that are not stored.
 */
export interface FetchWindow {
  readonly type: 'fetch';
  readonly id: number;
  /** The disk's name, for messages. */
  readonly disk: string;
  readonly firstOffset: number;
  readonly blockSize: number;
  readonly virtualSize: number;
  readonly digests: Uint8Array;
  /**
   * A window buffer to fill, handed back from an earlier answer so its pages are reused;
   * absent, the host allocates one.
   */
  readonly buffer?: ArrayBuffer;
}

export type RestoreHostRequest = OpenStore | FetchWindow;

/**
 * The window's bytes: block i at i × blockSize in `buffer` (bytes of blocks that are not stored
 * are left as they were), and `runs` = [start, end) pairs of buffer offsets that hold blocks
 * that were stored and checked, each run of adjacent blocks once.
 */
export interface WindowFetched {
  readonly type: 'fetched';
  readonly id: number;
  readonly buffer: ArrayBuffer;
  readonly runs: readonly number[];
}

export interface FetchFailed {
  readonly type: 'fetch-failed';
  readonly id: number;
  readonly error: SerializedError;
}

export type RestoreHostReport = WindowFetched | FetchFailed;
