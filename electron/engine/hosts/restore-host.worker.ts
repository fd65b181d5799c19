/**
 * A restore host: a worker thread that fetches stored blocks from packs (one read for blocks
 * that lie back to back), decodes them and checks each against its digest, so a restore uses
 * every core for the hashing. It never writes: the engine owns the target disk.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { parentPort } from 'node:worker_threads';
import { TesseraError } from '../../../shared/errors.js';
import { allocAligned } from '../disk/io/aligned.js';
import { decodeBlock } from '../store/codec.js';
import { digestHex, digestOf } from '../store/digest.js';
import { serializeError } from './serialize-error.js';
import type { FetchRequest, RestoreHostReport, StoredBlock } from './restore-messages.js';

const MAX_RUN_BYTES = 4 * 1024 * 1024;
/** Read buffers kept for reuse; more in use at once are freed when returned. */
const KEPT_RUN_BUFFERS = 4;
const OPEN_PACKS = 16;

const port = parentPort!;
const handles = new Map<string, OpenPack>();
let queue: Promise<void> = Promise.resolve();

port.on('message', (request: FetchRequest) => {
  // Reads start as soon as a request arrives, so they overlap the checking of earlier ones;
  // checking and answering stay in request order.
  const reads = readRuns(request);
  reads.catch(() => undefined);
  queue = queue.then(() => answer(request, reads));
});

function post(report: RestoreHostReport, transfer: ArrayBuffer[] = []): void {
  port.postMessage(report, transfer);
}

interface OpenPack {
  readonly handle: Promise<FileHandle>;
  users: number;
}

/** Runs `work` with the pack open; idle packs beyond OPEN_PACKS are closed, busy ones never. */
async function withPack<T>(packPath: string, work: (handle: FileHandle) => Promise<T>): Promise<T> {
  let pack = handles.get(packPath);
  if (!pack) {
    for (const [path, open] of handles) {
      if (handles.size < OPEN_PACKS) break;
      if (open.users > 0) continue;
      handles.delete(path);
      void open.handle.then((h) => h.close()).catch(() => undefined);
    }
    pack = { handle: open(packPath, 'r'), users: 0 };
    handles.set(packPath, pack);
    pack.handle.catch(() => handles.delete(packPath));
  }
  pack.users++;
  try {
    return await work(await pack.handle);
  } finally {
    pack.users--;
  }
}

const follows = (a: StoredBlock, b: StoredBlock): boolean =>
  a.packPath === b.packPath && a.packOffset + a.storedLength === b.packOffset;

/**
 * Read buffers, reused: page-aligned (the kernel copies into unaligned buffers several times
 * slower) and kept, since faulting fresh pages in for every read cost as much as decoding.
 * Blocks are copied out of them before they return here.
 */
const freeRunBuffers: Buffer[] = [];
const takeRunBuffer = (): Buffer => freeRunBuffers.pop() ?? allocAligned(MAX_RUN_BYTES);

interface Run {
  readonly first: number;
  readonly end: number;
  readonly buffer: Buffer;
  readonly bytesRead: number;
}

/** Reads the request's blocks: one read per run of blocks that lie back to back in a pack. */
async function readRuns(request: FetchRequest): Promise<Run[]> {
  const blocks = request.blocks;
  const reads: Promise<Run>[] = [];
  for (let first = 0; first < blocks.length;) {
    let end = first + 1;
    let bytes = blocks[first]!.storedLength;
    while (
      end < blocks.length &&
      follows(blocks[end - 1]!, blocks[end]!) &&
      bytes + blocks[end]!.storedLength <= MAX_RUN_BYTES
    ) {
      bytes += blocks[end]!.storedLength;
      end++;
    }
    const start = blocks[first]!;
    const runFirst = first;
    const runEnd = end;
    reads.push(
      withPack(start.packPath, async (handle) => {
        const buffer = takeRunBuffer();
        const { bytesRead } = await handle.read(buffer, 0, bytes, start.packOffset);
        return { first: runFirst, end: runEnd, buffer, bytesRead };
      }),
    );
    first = end;
  }
  return Promise.all(reads);
}

async function answer(request: FetchRequest, reads: Promise<Run[]>): Promise<void> {
  const runs = await reads.catch(() => [] as Run[]);
  try {
    const blocks = request.blocks;
    const raw = new Array<Buffer>(blocks.length);
    for (const { first, end, buffer, bytesRead } of await reads) {
      const start = blocks[first]!;
      for (let i = first; i < end; i++) {
        const block = blocks[i]!;
        const at = block.packOffset - start.packOffset;
        const where = `${start.packPath}: block ${digestHex(block.digest)} at offset ${block.packOffset}`;
        if (at + block.storedLength > bytesRead) {
          throw new TesseraError('BLOCK_DAMAGED', `${where} is cut short`);
        }
        let data: Buffer;
        try {
          data = decodeBlock(
            block.codec,
            buffer.subarray(at, at + block.storedLength),
            block.rawLength,
          );
        } catch (cause) {
          throw new TesseraError(
            'BLOCK_DAMAGED',
            `${where} does not decode: ${(cause as Error).message}`,
          );
        }
        if (!digestOf(data).equals(block.digest)) {
          throw new TesseraError('BLOCK_DAMAGED', `${where} does not match its digest`);
        }
        raw[i] = data;
      }
    }
    // Adjacent blocks of the disk become one piece, in a buffer of its own to transfer.
    const offsets: number[] = [];
    const pieces: Buffer[] = [];
    for (let i = 0; i < blocks.length;) {
      let j = i + 1;
      let length = raw[i]!.byteLength;
      while (
        j < blocks.length &&
        blocks[j]!.offset === blocks[j - 1]!.offset + raw[j - 1]!.byteLength
      ) {
        length += raw[j]!.byteLength;
        j++;
      }
      // Not zero-filled, and not from the shared pool: an ArrayBuffer of its own to transfer.
      const piece = Buffer.allocUnsafeSlow(length);
      for (let k = i, at = 0; k < j; at += raw[k]!.byteLength, k++) piece.set(raw[k]!, at);
      offsets.push(blocks[i]!.offset);
      pieces.push(piece);
      i = j;
    }
    post(
      { type: 'fetched', id: request.id, offsets, pieces },
      pieces.map((p) => p.buffer as ArrayBuffer),
    );
  } catch (error) {
    const packGone = (error as NodeJS.ErrnoException).code === 'ENOENT';
    post({ type: 'fetch-failed', id: request.id, error: serializeError(error), packGone });
  } finally {
    for (const run of runs) {
      if (freeRunBuffers.length < KEPT_RUN_BUFFERS) freeRunBuffers.push(run.buffer);
    }
  }
}
