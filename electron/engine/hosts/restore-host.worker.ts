/**
 * A restore host: a worker thread that fills windows of a disk being restored. It looks the
 * window's blocks up in the block index (its own read-only connection), reads them from the
 * packs (one read per run of blocks that lie back to back), decodes them into the window and
 * checks each against its digest, so a restore's look-ups, reads and hashing use every core
 * and the engine's thread only writes. It never writes: the engine owns the target disk.
 */
import { parentPort } from 'node:worker_threads';
import { TesseraError } from '../../../shared/errors.js';
import { allocAligned } from '../disk/io/aligned.js';
import { BlockLocator } from '../store/block-locator.js';
import { DIGEST_BYTES, digestHex, digestOf } from '../store/digest.js';
import { StoreLayout } from '../store/layout.js';
import { serializeError } from './serialize-error.js';
import type { FetchWindow, RestoreHostReport, RestoreHostRequest } from './restore-messages.js';
import { locateWindow, type WindowBlock } from './window-blocks.js';
import { WindowReader } from './window-reader.js';

const port = parentPort!;
let store: { locator: BlockLocator; reader: WindowReader } | null = null;
let answered: Promise<void> = Promise.resolve();

port.on('message', (request: RestoreHostRequest) => {
  if (request.type === 'open') {
    const layout = new StoreLayout(request.storeDir);
    const locator = new BlockLocator(layout.index);
    store = { locator, reader: new WindowReader(layout, locator) };
    return;
  }
  // Reads start as soon as a request arrives, so they overlap the checking of earlier
  // windows; checking and answering stay in request order.
  const filled = fill(request);
  filled.catch(() => undefined);
  answered = answered.then(() => answer(request, filled));
});

interface Filled {
  readonly window: Buffer;
  readonly blocks: readonly WindowBlock[];
}

/** Looks the window's blocks up and reads them into the window buffer. */
async function fill(request: FetchWindow): Promise<Filled> {
  if (!store) throw new TesseraError('HOST_FAILED', 'the restore host has no storage unit open');
  const blocks = locateWindow(store.locator, request);
  const needed = (request.digests.byteLength / DIGEST_BYTES) * request.blockSize;
  const window =
    request.buffer && request.buffer.byteLength >= needed
      ? Buffer.from(request.buffer)
      : allocAligned(needed);
  await store.reader.readInto(window, blocks, request);
  return { window, blocks };
}

async function answer(request: FetchWindow, filled: Promise<Filled>): Promise<void> {
  try {
    const { window, blocks } = await filled;
    const runs: number[] = [];
    for (const block of blocks) {
      const start = block.index * request.blockSize;
      const end = start + block.location.rawLength;
      if (!digestOf(window.subarray(start, end)).equals(block.digest)) {
        throw new TesseraError(
          'BLOCK_DAMAGED',
          `${request.disk}: the block at offset ${request.firstOffset + start} (${digestHex(block.digest)}, in pack ${block.location.pack}) does not match its digest`,
        );
      }
      if (runs.length > 0 && runs[runs.length - 1] === start) runs[runs.length - 1] = end;
      else runs.push(start, end);
    }
    const buffer = window.buffer as ArrayBuffer;
    post({ type: 'fetched', id: request.id, buffer, runs }, [buffer]);
  } catch (error) {
    post({ type: 'fetch-failed', id: request.id, error: serializeError(error) });
  }
}

function post(report: RestoreHostReport, transfer: ArrayBuffer[] = []): void {
  port.postMessage(report, transfer);
}
