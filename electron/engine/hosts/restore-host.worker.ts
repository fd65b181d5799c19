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

const MAX_RUN_BYTES = 8 * 1024 * 1024;
const OPEN_PACKS = 16;

const port = parentPort!;
const handles = new Map<string, Promise<FileHandle>>();
let queue: Promise<void> = Promise.resolve();

port.on('message', (request: FetchRequest) => {
  queue = queue.then(() => fetch(request));
});

function post(report: RestoreHostReport, transfer: ArrayBuffer[] = []): void {
  port.postMessage(report, transfer);
}

async function handle(packPath: string): Promise<FileHandle> {
  let opened = handles.get(packPath);
  if (!opened) {
    // Requests run one at a time on a host, so closing the oldest cannot cut a read short.
    if (handles.size >= OPEN_PACKS) {
      const [oldest] = handles.keys();
      const doomed = handles.get(oldest!)!;
      handles.delete(oldest!);
      await (await doomed.catch(() => null))?.close().catch(() => undefined);
    }
    opened = open(packPath, 'r');
    opened.catch(() => handles.delete(packPath));
    handles.set(packPath, opened);
  }
  return opened;
}

const follows = (a: StoredBlock, b: StoredBlock): boolean =>
  a.packPath === b.packPath && a.packOffset + a.storedLength === b.packOffset;

async function fetch(request: FetchRequest): Promise<void> {
  try {
    const raw = new Array<Buffer>(request.blocks.length);
    const blocks = request.blocks;
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
      // Page-aligned: the kernel copies into unaligned buffers several times slower.
      const buffer = allocAligned(bytes);
      const { bytesRead } = await (
        await handle(start.packPath)
      ).read(buffer, 0, bytes, start.packOffset);
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
      first = end;
    }
    // Adjacent blocks of the disk become one piece, in a buffer of its own to transfer.
    const offsets: number[] = [];
    const pieces: Uint8Array<ArrayBuffer>[] = [];
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
      const piece = new Uint8Array(length);
      for (let k = i, at = 0; k < j; at += raw[k]!.byteLength, k++) piece.set(raw[k]!, at);
      offsets.push(blocks[i]!.offset);
      pieces.push(piece);
      i = j;
    }
    post(
      { type: 'fetched', id: request.id, offsets, pieces },
      pieces.map((p) => p.buffer),
    );
  } catch (error) {
    const packGone = (error as NodeJS.ErrnoException).code === 'ENOENT';
    post({ type: 'fetch-failed', id: request.id, error: serializeError(error), packGone });
  }
}
