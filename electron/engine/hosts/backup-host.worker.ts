/**
 * A backup host: a worker thread that reads segments of virtual disks, fingerprints each
 * block, compares it with the track log (see backup/fingerprint.ts), and sends the engine only
 * the blocks that changed and that the storage unit does not hold yet, already compressed. It
 * only reads the storage unit's block index (its own read-only connection); the engine writes
 * the store and the catalog.
 */
import { open as openFile } from 'node:fs/promises';
import { parentPort } from 'node:worker_threads';
import { allocAligned } from '../disk/io/aligned.js';
import { openDisk } from '../disk/open.js';
import type { VirtualDisk } from '../disk/types.js';
import { isZero } from '../disk/zero.js';
import { BlockLocator } from '../store/block-locator.js';
import { encodeBlock } from '../store/codec.js';
import { FINGERPRINT_BYTES, fingerprinter, type Fingerprinter } from '../backup/fingerprint.js';
import { DIGEST_BYTES, digestOf, isZeroDigest } from '../store/digest.js';
import { nativeGarbageCollector } from './native-garbage.js';
import { serializeError } from './serialize-error.js';
import {
  BLOCK_CHANGED,
  BLOCK_STORED,
  BLOCK_UNCHANGED,
  BLOCK_ZERO,
  type HostReport,
  type HostRequest,
  type SegmentRequest,
} from './messages.js';

/** Contiguous data blocks are read in spans of up to this many bytes. */
const READ_SPAN = 4 * 1024 * 1024;
/**
 * Bytes of changed blocks sent but not yet taken by the engine, before the host waits. 8 MiB
 * keeps the engine busy as well as 16 did, with 15 MB less peak RSS in a full backup.
 */
const MAX_UNACKED = 8 * 1024 * 1024;

const port = parentPort!;
const collectNativeGarbage = nativeGarbageCollector(4 * 1024 * 1024);
let spanBuffers: Buffer[] = [];
let spanTurn = 0;
const disks = new Map<string, Promise<VirtualDisk>>();
/** Read-only views of the block indexes of the storage units of the disks open here. */
const locators = new Map<string, BlockLocator>();
let unacked = 0;
let waiters: Array<() => void> = [];
let queue: Promise<void> = Promise.resolve();

port.on('message', (request: HostRequest) => {
  switch (request.type) {
    case 'ack':
      unacked -= request.bytes;
      if (unacked < MAX_UNACKED) {
        const ready = waiters;
        waiters = [];
        for (const wake of ready) wake();
      }
      break;
    case 'close-disk': {
      const disk = disks.get(request.diskPath);
      disks.delete(request.diskPath);
      queue = queue.then(async () => {
        await (await disk?.catch(() => null))?.close();
        // Between jobs a host holds nothing open: a store may be moved or deleted meanwhile.
        if (disks.size === 0) closeLocators();
      });
      break;
    }
    case 'segment':
      // Segments run one after another on a host; parallelism comes from having several hosts.
      queue = queue.then(() => runSegment(request));
      break;
  }
});

function post(report: HostReport, transfer: ArrayBuffer[] = []): void {
  port.postMessage(report, transfer);
}

/**
 * A copy of `view` in an ArrayBuffer of its own, to transfer. Posting a view clones its whole
 * backing buffer (a 4 MiB read span, a pooled allocation), so it is cut out first.
 */
function own(view: Uint8Array): Uint8Array<ArrayBuffer> {
  const copy = new Uint8Array(view.byteLength);
  copy.set(view);
  return copy;
}

/** Lets queued continuations run (they issue reads) before the thread goes back to hashing. */
function startedReads(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

async function room(): Promise<void> {
  while (unacked >= MAX_UNACKED) await new Promise<void>((wake) => waiters.push(wake));
}

function diskFor(request: SegmentRequest): Promise<VirtualDisk> {
  let disk = disks.get(request.diskPath);
  if (!disk) {
    disk = openDisk(request.diskPath, { format: request.sourceFormat });
    disks.set(request.diskPath, disk);
  }
  return disk;
}

interface Track {
  readonly digests: Buffer;
  readonly fingerprints: Buffer | null;
}

async function readTrack(request: SegmentRequest): Promise<Track | null> {
  if (!request.trackLog) return null;
  const digests = await readPerBlock(request, request.trackLog, DIGEST_BYTES);
  if (!digests) return null;
  const fingerprints = request.trackFingerprints
    ? await readPerBlock(request, request.trackFingerprints, FINGERPRINT_BYTES)
    : null;
  return { digests, fingerprints };
}

/** The segment's entries of a file of `width` bytes per block of the disk. */
async function readPerBlock(
  request: SegmentRequest,
  file: string,
  width: number,
): Promise<Buffer | null> {
  // The previous image may expire while this backup runs: then every block of the segment
  // counts as changed, and deduplication still keeps what the store holds from being sent.
  const handle = await openFile(file, 'r').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return null;
    throw error;
  });
  if (!handle) return null;
  try {
    const entries = Buffer.alloc(request.blockCount * width);
    const { bytesRead } = await handle.read(
      entries,
      0,
      entries.byteLength,
      request.firstBlock * width,
    );
    // A short file (it should not be) just means those blocks count as changed.
    return bytesRead === entries.byteLength
      ? entries
      : entries.subarray(0, bytesRead - (bytesRead % width));
  } finally {
    await handle.close();
  }
}

/**
 * Whether `block` (number `i` of the segment) is as the track log has it, filling in its
 * digest and fingerprint: by fingerprint when the track log has one (no SHA-256 computed),
 * else by digest.
 */
function compare(
  block: Buffer,
  i: number,
  track: Track | null,
  fingerprintOf: Fingerprinter | null,
  digests: Uint8Array,
  fingerprints: Uint8Array,
): boolean {
  const fingerprint = fingerprintOf?.(block) ?? null;
  if (fingerprint) fingerprints.set(fingerprint, i * FINGERPRINT_BYTES);
  const previous = track?.digests.subarray(i * DIGEST_BYTES, (i + 1) * DIGEST_BYTES);
  const usable = previous?.byteLength === DIGEST_BYTES && !isZeroDigest(previous);
  if (usable && fingerprint && track?.fingerprints) {
    const was = track.fingerprints.subarray(i * FINGERPRINT_BYTES, (i + 1) * FINGERPRINT_BYTES);
    if (fingerprint.equals(was)) {
      digests.set(previous, i * DIGEST_BYTES);
      return true;
    }
  }
  const digest = digestOf(block);
  digests.set(digest, i * DIGEST_BYTES);
  return usable && digest.equals(previous);
}

/** Which blocks of the segment hold any data, from the disk's allocation map. */
async function dataBlocks(disk: VirtualDisk, request: SegmentRequest): Promise<Uint8Array> {
  const has = new Uint8Array(request.blockCount);
  const start = request.firstBlock * request.blockSize;
  const end = Math.min(disk.virtualSize, start + request.blockCount * request.blockSize);
  for await (const extent of disk.extents({
    offset: start,
    length: end - start,
    detectZeros: false,
  })) {
    if (extent.kind !== 'data') continue;
    const first = Math.floor((extent.offset - start) / request.blockSize);
    const last = Math.ceil((extent.offset + extent.length - start) / request.blockSize);
    has.fill(1, first, last);
  }
  return has;
}

/**
 * Which of `digests` the storage unit holds already. All false without a block index, or
 * when it cannot be read: the look-up only saves sending blocks, and the engine deduplicates
 * what it is sent anyway.
 */
function alreadyStored(request: SegmentRequest, digests: Uint8Array[]): boolean[] {
  const none = (): boolean[] => digests.map(() => false);
  if (!request.blockIndex || digests.length === 0) return none();
  try {
    let locator = locators.get(request.blockIndex);
    if (!locator) {
      locator = new BlockLocator(request.blockIndex);
      locators.set(request.blockIndex, locator);
    }
    return locator
      .locateAll(
        digests.map((digest) => Buffer.from(digest.buffer, digest.byteOffset, DIGEST_BYTES)),
      )
      .map((location) => location !== undefined);
  } catch {
    locators.get(request.blockIndex)?.close();
    locators.delete(request.blockIndex);
    return none();
  }
}

function closeLocators(): void {
  for (const locator of locators.values()) locator.close();
  locators.clear();
}

async function runSegment(request: SegmentRequest): Promise<void> {
  try {
    const disk = await diskFor(request);
    const [has, track] = await Promise.all([dataBlocks(disk, request), readTrack(request)]);
    const digests = new Uint8Array(request.blockCount * DIGEST_BYTES);
    const states = new Uint8Array(request.blockCount);
    const fingerprints = new Uint8Array(request.blockCount * FINGERPRINT_BYTES);
    const fingerprintOf = fingerprinter();
    let bytesRead = 0;
    const blockBytes = (i: number): number =>
      Math.min(request.blockSize, disk.virtualSize - (request.firstBlock + i) * request.blockSize);

    // Spans of contiguous data blocks; the next span is read while this one is hashed.
    const spans: Array<[first: number, count: number]> = [];
    const perSpan = Math.max(1, Math.floor(READ_SPAN / request.blockSize));
    const spanBytes = perSpan * request.blockSize;
    if (spanBuffers[0]?.byteLength !== spanBytes) {
      spanBuffers = [allocAligned(spanBytes), allocAligned(spanBytes)];
    }
    for (let i = 0; i < request.blockCount;) {
      if (!has[i]) {
        i++;
        continue;
      }
      let count = 1;
      while (i + count < request.blockCount && has[i + count] && count < perSpan) count++;
      spans.push([i, count]);
      i += count;
    }
    const readSpan = async ([first, count]: [number, number]): Promise<Buffer> => {
      let length = 0;
      for (let k = 0; k < count; k++) length += blockBytes(first + k);
      // Two span buffers, reused: one being hashed while the next is read into the other.
      const buffer = spanBuffers[spanTurn++ % 2]!.subarray(0, length);
      await disk.read(buffer, (request.firstBlock + first) * request.blockSize);
      return buffer;
    };

    let next = spans.length > 0 ? readSpan(spans[0]!) : null;
    for (let s = 0; s < spans.length; s++) {
      const buffer = await next!;
      next = s + 1 < spans.length ? readSpan(spans[s + 1]!) : null;
      next?.catch(() => undefined);
      // The read goes to the kernel only after a few awaits inside the disk layer, and those
      // would wait for this span's hashing (synchronous) to end: yield once so it starts first.
      // Without this, hosts spent a fifth of their time waiting for reads.
      if (next) await startedReads();
      const [first, count] = spans[s]!;
      bytesRead += buffer.byteLength;
      const changed: Array<[index: number, block: Buffer]> = [];
      for (let k = 0, at = 0; k < count; k++) {
        const i = first + k;
        const block = buffer.subarray(at, at + blockBytes(i));
        at += block.byteLength;
        if (isZero(block)) continue; // state, digest and fingerprint stay zero
        if (compare(block, i, track, fingerprintOf, digests, fingerprints)) {
          states[i] = BLOCK_UNCHANGED;
        } else changed.push([i, block]);
      }
      const stored = alreadyStored(
        request,
        changed.map(([i]) => digests.subarray(i * DIGEST_BYTES, (i + 1) * DIGEST_BYTES)),
      );
      for (const [n, [i, block]] of changed.entries()) {
        if (stored[n]) {
          states[i] = BLOCK_STORED;
          continue;
        }
        states[i] = BLOCK_CHANGED;
        const encoded = encodeBlock(block);
        collectNativeGarbage(block.byteLength);
        await room();
        unacked += encoded.data.byteLength;
        const data = own(encoded.data);
        post(
          {
            type: 'block',
            segment: request.segment,
            index: request.firstBlock + i,
            digest: digests.slice(i * DIGEST_BYTES, (i + 1) * DIGEST_BYTES),
            data,
            rawLength: block.byteLength,
            codec: encoded.codec,
          },
          [data.buffer],
        );
      }
    }
    for (let i = 0; i < request.blockCount; i++) if (!has[i]) states[i] = BLOCK_ZERO;
    post(
      {
        type: 'segment-done',
        segment: request.segment,
        digests,
        states,
        fingerprints,
        fingerprinted: fingerprintOf !== null,
        bytesRead,
      },
      [digests.buffer, states.buffer, fingerprints.buffer],
    );
  } catch (error) {
    post({ type: 'segment-failed', segment: request.segment, error: serializeError(error) });
  }
}
