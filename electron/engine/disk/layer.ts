import type { FileReader } from './io/file.js';
import type { DiskExtent, DiskFormat, DiskSubformat, ExtentOptions, VirtualDisk } from './types.js';
import { DiskError } from './errors.js';
import { isZero } from './zero.js';

/**
 * One image file of a chain, as a format reader sees it. A format module turns its file into a
 * DiskLayer; {@link LayeredDisk} stacks layers into a VirtualDisk, so the rules of differencing
 * (what falls through to the parent, what reads as zero) are written once for every format.
 */
export type LayerRun =
  /** Stored in this file at `fileOffset`. */
  | {
      readonly kind: 'data';
      readonly offset: number;
      readonly length: number;
      readonly fileOffset: number;
    }
  /** Explicitly zero in this file; hides the parent. */
  | { readonly kind: 'zero'; readonly offset: number; readonly length: number }
  /** Not in this file: the parent's bytes, or zeros when there is no parent. */
  | { readonly kind: 'absent'; readonly offset: number; readonly length: number };

/** Where a differencing disk says its parent is, and how to recognise it. */
export interface ParentReference {
  /** The identity the parent must have (compared with the parent's `linkIdentity`). */
  readonly linkIdentity: string | null;
  /** Other identities the parent may have and still be the right one (VHDX parent_linkage2). */
  readonly alternateLinkIdentities?: readonly string[];
  /** Paths the child records for its parent, most trusted first, exactly as stored. */
  readonly locations: readonly string[];
}

export interface DiskLayer {
  readonly file: FileReader;
  readonly format: DiskFormat;
  readonly subformat: DiskSubformat;
  readonly virtualSize: number;
  readonly logicalSectorSize: number;
  readonly physicalSectorSize: number;
  readonly blockSize: number | null;
  /** The disk's identity as reported to users (VHD unique id, VHDX virtual disk id). */
  readonly identity: string | null;
  /** The id a child's ParentReference names (VHD unique id, VHDX DataWriteGuid). */
  readonly linkIdentity: string | null;
  readonly parent: ParentReference | null;
  /** Bytes of payload this file holds. */
  readonly allocatedBytes: number;
  /** No allocation map: extents() scans the data for zeros instead (raw, fixed formats). */
  readonly scanForZeros: boolean;
  /**
   * Describes [offset, offset + length) as runs in order, covering it exactly. Callers keep
   * `length` bounded ({@link MAP_WINDOW}), so a layer may build the whole answer in memory.
   */
  map(offset: number, length: number): Promise<readonly LayerRun[]>;
  close(): Promise<void>;
}

/** Largest range asked of DiskLayer.map at once: bounds the runs held in memory. */
export const MAP_WINDOW = 64 * 1024 * 1024;
/** Granularity at which extents() reports zero ranges of layers without an allocation map. */
export const ZERO_SCAN_GRANULARITY = 64 * 1024;

export class LayeredDisk implements VirtualDisk {
  constructor(
    private readonly layer: DiskLayer,
    readonly parent: VirtualDisk | null,
  ) {}

  get path(): string {
    return this.layer.file.path;
  }
  get format(): DiskFormat {
    return this.layer.format;
  }
  get subformat(): DiskSubformat {
    return this.layer.subformat;
  }
  get virtualSize(): number {
    return this.layer.virtualSize;
  }
  get logicalSectorSize(): number {
    return this.layer.logicalSectorSize;
  }
  get physicalSectorSize(): number {
    return this.layer.physicalSectorSize;
  }
  get blockSize(): number | null {
    return this.layer.blockSize;
  }
  get identity(): string | null {
    return this.layer.identity;
  }
  /** The id a differencing child names this disk by (see ParentReference). */
  get linkIdentity(): string | null {
    return this.layer.linkIdentity;
  }
  get allocatedBytes(): number {
    return this.layer.allocatedBytes;
  }
  get fileSize(): number {
    return this.layer.file.size;
  }

  async read(buffer: Uint8Array, offset: number): Promise<void> {
    const end = offset + buffer.byteLength;
    if (!Number.isSafeInteger(offset) || offset < 0 || end > this.virtualSize) {
      throw new DiskError(
        'BAD_REQUEST',
        this.path,
        `read of ${buffer.byteLength} bytes at ${offset} is outside the ${this.virtualSize}-byte disk`,
      );
    }
    for (let windowStart = offset; windowStart < end; windowStart += MAP_WINDOW) {
      const windowLength = Math.min(MAP_WINDOW, end - windowStart);
      for (const run of await this.layer.map(windowStart, windowLength)) {
        const target = buffer.subarray(run.offset - offset, run.offset - offset + run.length);
        if (run.kind === 'data') await this.layer.file.read(target, run.fileOffset);
        else if (run.kind === 'zero' || !this.parent) target.fill(0);
        else await this.readParent(target, run.offset);
      }
    }
  }

  /** A parent smaller than its child reads as zeros past its end. */
  private async readParent(target: Uint8Array, offset: number): Promise<void> {
    const parent = this.parent!;
    const inParent = Math.max(0, Math.min(target.byteLength, parent.virtualSize - offset));
    if (inParent > 0) await parent.read(target.subarray(0, inParent), offset);
    target.fill(0, inParent);
  }

  async *extents(options: ExtentOptions = {}): AsyncIterable<DiskExtent> {
    const start = options.offset ?? 0;
    const length = options.length ?? this.virtualSize - start;
    const end = start + length;
    if (start < 0 || length < 0 || end > this.virtualSize) {
      throw new DiskError('BAD_REQUEST', this.path, `range ${start}+${length} is outside the disk`);
    }
    const detectZeros = options.detectZeros ?? true;
    const merger = new ExtentMerger();
    for (let windowStart = start; windowStart < end; windowStart += MAP_WINDOW) {
      const windowLength = Math.min(MAP_WINDOW, end - windowStart);
      for (const run of await this.layer.map(windowStart, windowLength)) {
        for (const extent of this.resolveRun(run, detectZeros)) {
          for await (const piece of extent) {
            const merged = merger.push(piece);
            if (merged) yield merged;
          }
        }
      }
    }
    const last = merger.flush();
    if (last) yield last;
  }

  private *resolveRun(run: LayerRun, detectZeros: boolean): Iterable<AsyncIterable<DiskExtent>> {
    if (run.kind === 'data') {
      yield detectZeros && this.layer.scanForZeros
        ? this.scanZeros(run)
        : once({ offset: run.offset, length: run.length, kind: 'data' });
    } else if (run.kind === 'zero') {
      yield once({ offset: run.offset, length: run.length, kind: 'zero' });
    } else if (!this.parent) {
      yield once({ offset: run.offset, length: run.length, kind: 'unallocated' });
    } else {
      const inParent = Math.max(0, Math.min(run.length, this.parent.virtualSize - run.offset));
      if (inParent > 0)
        yield this.parent.extents({ offset: run.offset, length: inParent, detectZeros });
      if (inParent < run.length) {
        yield once({
          offset: run.offset + inParent,
          length: run.length - inParent,
          kind: 'unallocated',
        });
      }
    }
  }

  private async *scanZeros(run: Extract<LayerRun, { kind: 'data' }>): AsyncIterable<DiskExtent> {
    const chunk = Buffer.allocUnsafe(Math.min(run.length, 1024 * 1024));
    for (let done = 0; done < run.length; done += chunk.byteLength) {
      const view = chunk.subarray(0, Math.min(chunk.byteLength, run.length - done));
      await this.layer.file.read(view, run.fileOffset + done);
      for (let at = 0; at < view.byteLength; at += ZERO_SCAN_GRANULARITY) {
        const piece = view.subarray(at, Math.min(at + ZERO_SCAN_GRANULARITY, view.byteLength));
        yield {
          offset: run.offset + done + at,
          length: piece.byteLength,
          kind: isZero(piece) ? 'zero' : 'data',
        };
      }
    }
  }

  async close(): Promise<void> {
    try {
      await this.layer.close();
    } finally {
      await this.parent?.close();
    }
  }
}

async function* once(extent: DiskExtent): AsyncIterable<DiskExtent> {
  if (extent.length > 0) yield extent;
}

/** Joins adjacent extents of the same kind so callers see each range once. */
export class ExtentMerger {
  private pending: { offset: number; length: number; kind: DiskExtent['kind'] } | null = null;

  push(extent: DiskExtent): DiskExtent | null {
    if (extent.length === 0) return null;
    const pending = this.pending;
    if (
      pending &&
      pending.kind === extent.kind &&
      pending.offset + pending.length === extent.offset
    ) {
      pending.length += extent.length;
      return null;
    }
    this.pending = { ...extent };
    return pending;
  }

  flush(): DiskExtent | null {
    const pending = this.pending;
    this.pending = null;
    return pending;
  }
}
