import { open, type FileHandle } from 'node:fs/promises';
import { TesseraError } from '../../../shared/errors.js';
import { allocAligned } from '../disk/io/aligned.js';
import type { BlockLocator } from '../store/block-locator.js';
import { CODEC_NONE, decodeBlock } from '../store/codec.js';
import { digestHex } from '../store/digest.js';
import { storeIoError } from '../store/errors.js';
import type { StoreLayout } from '../store/layout.js';
import type { FetchWindow } from './restore-messages.js';
import type { WindowBlock } from './window-blocks.js';

/** The longest single read from a pack. */
const MAX_RUN_BYTES = 4 * 1024 * 1024;
/**
 * Read buffers for runs that must be decoded: page-aligned (the kernel copies into unaligned
 * buffers several times slower) and reused, since faulting fresh pages in for every read cost
 * as much as decoding. Runs wait for one, which also bounds a host's memory.
 */
const SCRATCH_BUFFERS = 4;
const OPEN_PACKS = 16;
/** How long to wait for a collection that moved blocks to commit their new locations. */
const RELOOK_WAIT_MS = 5_000;
/** Moves of one run followed before giving up (each is a collection finishing meanwhile). */
const MAX_MOVES = 3;

type Window = Pick<FetchWindow, 'disk' | 'firstOffset' | 'blockSize'>;

interface OpenPack {
  readonly handle: Promise<FileHandle>;
  users: number;
}

/** Reads a restore window's blocks out of the packs, decoded, into the window buffer. */
export class WindowReader {
  private readonly packs = new Map<string, OpenPack>();
  private readonly freeScratch: Buffer[] = [];
  private readonly waitingForScratch: Array<(buffer: Buffer) => void> = [];
  private scratchCount = 0;

  constructor(
    private readonly layout: StoreLayout,
    private readonly locator: BlockLocator,
  ) {}

  /** Puts each block at index × blockSize in `target` (not yet checked against its digest). */
  async readInto(target: Buffer, blocks: readonly WindowBlock[], window: Window): Promise<void> {
    await Promise.all(packRuns(blocks).map((run) => this.readRun(target, run, window, 0)));
  }

  private async readRun(
    target: Buffer,
    run: readonly WindowBlock[],
    window: Window,
    moves: number,
  ): Promise<void> {
    const pack = run[0]!.location.pack;
    try {
      await this.withPack(pack, (handle) => this.readRunFrom(handle, target, run, window));
    } catch (error) {
      if (error instanceof TesseraError) throw error;
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
        throw storeIoError(this.layout.pack(pack), 'cannot read blocks', error);
      }
      this.forget(pack);
      if (moves >= MAX_MOVES || !(await this.findMoved(run, pack))) {
        throw new TesseraError(
          'BLOCK_MISSING',
          `${window.disk}: the block at offset ${window.firstOffset + run[0]!.index * window.blockSize} is in pack ${pack}, whose file is gone`,
        );
      }
      await Promise.all(
        packRuns(run).map((again) => this.readRun(target, again, window, moves + 1)),
      );
    }
  }

  /**
   * After the pack `gone` vanished under a read: a garbage collection repacked its blocks. Its
   * sweep deletes the old file before it commits the new locations, so until then the index
   * still names `gone`; look again, waiting a little longer each time. True when every block
   * has a new location (set on the blocks); false when the index still names `gone`.
   */
  private async findMoved(run: readonly WindowBlock[], gone: string): Promise<boolean> {
    for (let waited = 0, delay = 20; ; delay = Math.min(2 * delay, 1000)) {
      const locations = this.locator.locateAll(run.map((block) => block.digest));
      if (locations.every((location) => location !== undefined && location.pack !== gone)) {
        for (const [i, block] of run.entries()) block.location = locations[i]!;
        return true;
      }
      if (waited >= RELOOK_WAIT_MS) return false;
      await new Promise((resolve) => setTimeout(resolve, delay));
      waited += delay;
    }
  }

  private async readRunFrom(
    handle: FileHandle,
    target: Buffer,
    run: readonly WindowBlock[],
    window: Window,
  ): Promise<void> {
    const first = run[0]!;
    const last = run[run.length - 1]!;
    const bytes = last.location.offset + last.location.storedLength - first.location.offset;
    if (isVerbatim(run)) {
      // Stored as they are and back to back in the window too: read straight into place.
      const at = first.index * window.blockSize;
      const { bytesRead } = await handle.read(target, at, bytes, first.location.offset);
      if (bytesRead !== bytes) throw this.cutShort(first, window);
      return;
    }
    // A run is at most MAX_RUN_BYTES unless it is one block stored bigger (8 MiB blocks).
    const pooled = bytes <= MAX_RUN_BYTES;
    const scratch = pooled ? await this.takeScratch() : allocAligned(bytes);
    try {
      const { bytesRead } = await handle.read(scratch, 0, bytes, first.location.offset);
      for (const block of run) {
        const from = block.location.offset - first.location.offset;
        if (from + block.location.storedLength > bytesRead) throw this.cutShort(block, window);
        const stored = scratch.subarray(from, from + block.location.storedLength);
        let raw: Buffer;
        try {
          raw = decodeBlock(block.location.codec, stored, block.location.rawLength);
        } catch (cause) {
          throw new TesseraError(
            'BLOCK_DAMAGED',
            `${this.where(block, window)} does not decode: ${(cause as Error).message}`,
          );
        }
        raw.copy(target, block.index * window.blockSize);
      }
    } finally {
      if (pooled) this.returnScratch(scratch);
    }
  }

  /** Closes the open packs (a restore host's end closes them anyway). */
  async close(): Promise<void> {
    const open = [...this.packs.values()];
    this.packs.clear();
    await Promise.allSettled(open.map(async (pack) => (await pack.handle).close()));
  }

  private cutShort(block: WindowBlock, window: Window): TesseraError {
    return new TesseraError('BLOCK_DAMAGED', `${this.where(block, window)} is cut short`);
  }

  private where(block: WindowBlock, window: Window): string {
    return `${window.disk}: the block at offset ${window.firstOffset + block.index * window.blockSize} (${digestHex(block.digest)}, pack ${block.location.pack} offset ${block.location.offset})`;
  }

  private takeScratch(): Promise<Buffer> {
    const free = this.freeScratch.pop();
    if (free) return Promise.resolve(free);
    if (this.scratchCount < SCRATCH_BUFFERS) {
      this.scratchCount++;
      return Promise.resolve(allocAligned(MAX_RUN_BYTES));
    }
    return new Promise((resolve) => this.waitingForScratch.push(resolve));
  }

  private returnScratch(buffer: Buffer): void {
    const waiting = this.waitingForScratch.shift();
    if (waiting) waiting(buffer);
    else this.freeScratch.push(buffer);
  }

  /** Runs `work` with the pack open; idle packs beyond OPEN_PACKS are closed, busy ones never. */
  private async withPack<T>(pack: string, work: (handle: FileHandle) => Promise<T>): Promise<T> {
    let open = this.packs.get(pack);
    if (!open) {
      for (const [id, other] of this.packs) {
        if (this.packs.size < OPEN_PACKS) break;
        if (other.users === 0) this.forget(id);
      }
      const opened: OpenPack = { handle: openPack(this.layout.pack(pack)), users: 0 };
      // A failed open is not kept: the next read of the pack tries again.
      opened.handle.catch(() => {
        if (this.packs.get(pack) === opened) this.packs.delete(pack);
      });
      this.packs.set(pack, opened);
      open = opened;
    }
    open.users++;
    try {
      return await work(await open.handle);
    } finally {
      open.users--;
    }
  }

  private forget(pack: string): void {
    const open = this.packs.get(pack);
    if (!open) return;
    this.packs.delete(pack);
    void open.handle.then((handle) => handle.close()).catch(() => undefined);
  }
}

function openPack(file: string): Promise<FileHandle> {
  const handle = open(file, 'r');
  handle.catch(() => undefined); // awaited by every user of the pack
  return handle;
}

/**
 * Runs of blocks that lie back to back in one pack, in window order, each at most
 * MAX_RUN_BYTES, so each run is one read.
 */
export function packRuns(blocks: readonly WindowBlock[]): WindowBlock[][] {
  const runs: WindowBlock[][] = [];
  let run: WindowBlock[] = [];
  let bytes = 0;
  for (const block of blocks) {
    const previous = run[run.length - 1];
    const follows =
      previous !== undefined &&
      previous.location.pack === block.location.pack &&
      previous.location.offset + previous.location.storedLength === block.location.offset &&
      bytes + block.location.storedLength <= MAX_RUN_BYTES;
    if (!follows && run.length > 0) {
      runs.push(run);
      run = [];
      bytes = 0;
    }
    run.push(block);
    bytes += block.location.storedLength;
  }
  if (run.length > 0) runs.push(run);
  return runs;
}

/** Every block stored as it is, and adjacent in the window as in the pack. */
function isVerbatim(run: readonly WindowBlock[]): boolean {
  return run.every(
    (block, i) =>
      block.location.codec === CODEC_NONE &&
      block.location.storedLength === block.location.rawLength &&
      (i === 0 || block.index === run[i - 1]!.index + 1),
  );
}
