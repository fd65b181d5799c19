/** What the engine and its restore hosts (worker threads) say to each other. */
import type { SerializedError } from '../../../shared/errors.js';

/** One block to fetch: where it is stored and what it must hash to. */
export interface StoredBlock {
  /** Byte offset in the virtual disk. */
  readonly offset: number;
  readonly digest: Uint8Array;
  readonly packPath: string;
  readonly packOffset: number;
  readonly storedLength: number;
  readonly rawLength: number;
  readonly codec: number;
}

/** Fetch, decode and check these blocks (in disk order) and return them as pieces. */
export interface FetchRequest {
  readonly type: 'fetch';
  readonly id: number;
  readonly blocks: readonly StoredBlock[];
}

/** Runs of adjacent blocks, joined: offset in the virtual disk and the bytes. */
export interface FetchDone {
  readonly type: 'fetched';
  readonly id: number;
  readonly offsets: readonly number[];
  readonly pieces: readonly Uint8Array[];
}

export interface FetchFailed {
  readonly type: 'fetch-failed';
  readonly id: number;
  readonly error: SerializedError;
  /** The pack file was gone (repacked by a collection): the engine may look the blocks up again. */
  readonly packGone: boolean;
}

export type RestoreHostReport = FetchDone | FetchFailed;
