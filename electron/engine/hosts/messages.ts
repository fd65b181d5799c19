/**
 * What the engine and its backup hosts (worker threads) say to each other. Hosts read virtual
 * disks and compute changed blocks; the engine owns the storage unit and the catalog.
 */
import type { SerializedError } from '../../../shared/errors.js';
import type { DiskFormat } from '../disk/types.js';

/** Per block of a segment: what the host found. */
export const BLOCK_ZERO = 0;
export const BLOCK_UNCHANGED = 1;
export const BLOCK_CHANGED = 2;
/** Changed, but the storage unit holds a block with its digest already: not sent. */
export const BLOCK_STORED = 3;

/** A run of blocks of one disk for a host to read, hash and compare with the track log. */
export interface SegmentRequest {
  readonly type: 'segment';
  readonly segment: number;
  readonly diskPath: string;
  readonly sourceFormat?: DiskFormat;
  readonly blockSize: number;
  readonly firstBlock: number;
  readonly blockCount: number;
  /** File of 32-byte digests, one per block of the disk (the previous image's); null: full. */
  readonly trackLog: string | null;
  /**
   * File of 16-byte fingerprints beside trackLog's digests: a block whose fingerprint matches
   * is unchanged without computing its digest. Null: compare digests.
   */
  readonly trackFingerprints: string | null;
  /**
   * The storage unit's block index, to look changed blocks up in before sending them (a
   * forced rescan, a first backup of a cloned disk): a block it holds is not compressed nor
   * sent. Null: send every changed block.
   */
  readonly blockIndex: string | null;
}

/** Blocks whose data the engine has taken off the host's hands (backpressure). */
export interface AckRequest {
  readonly type: 'ack';
  readonly bytes: number;
}

/** The engine is done with a disk: the host closes it. */
export interface CloseDiskRequest {
  readonly type: 'close-disk';
  readonly diskPath: string;
}

export type HostRequest = SegmentRequest | AckRequest | CloseDiskRequest;

/** A changed block, hashed and encoded, for the engine to store. */
export interface BlockReport {
  readonly type: 'block';
  readonly segment: number;
  readonly index: number;
  readonly digest: Uint8Array;
  readonly data: Uint8Array;
  readonly rawLength: number;
  readonly codec: number;
}

export interface SegmentDone {
  readonly type: 'segment-done';
  readonly segment: number;
  /** 32 bytes per block of the segment; the zero digest for zero blocks. */
  readonly digests: Uint8Array;
  /** BLOCK_ZERO / BLOCK_UNCHANGED / BLOCK_CHANGED / BLOCK_STORED per block. */
  readonly states: Uint8Array;
  /** 16 bytes per block of the segment, for the next backup's track log; zero for zero blocks. */
  readonly fingerprints: Uint8Array;
  /** False when the host could not fingerprint (no addon): `fingerprints` are all zero. */
  readonly fingerprinted: boolean;
  readonly bytesRead: number;
}

export interface SegmentFailed {
  readonly type: 'segment-failed';
  readonly segment: number;
  readonly error: SerializedError;
}

export type HostReport = BlockReport | SegmentDone | SegmentFailed;
