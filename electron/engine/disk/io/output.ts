import { open, rename, rm, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { DiskError } from '../errors.js';
import { allocate } from './file-extents.js';

/**
 * Writes at least this long are allocated first (see file-extents.ts); headers and tables are
 * too small to gain from it.
 */
const ALLOCATE_FROM_BYTES = 64 * 1024;

/**
 * A new image file being written. It is written under a temporary name beside the target and
 * renamed into place only by commit(), so a failed or interrupted write never leaves a
 * half-written image under the name a user asked for, nor replaces one that was there.
 *
 * Writes may be started while others are in flight, but reach the file one at a time, in the
 * order they were started. Buffered writes to one file do not run in parallel anyway (they
 * take the inode's lock), and letting several thread-pool threads contend for that lock cost
 * a conversion a fifth of its CPU time in the kernel spinning on it (measured on ext4, 2
 * cores); queued, the next write is ready to go the moment the previous one returns.
 */
export class ImageOutput {
  private closed = false;
  /** Until the file system says it cannot allocate. */
  private allocating = true;
  /** Settles when the last write started so far has; never rejects. */
  private tail: Promise<void> = Promise.resolve();

  private constructor(
    readonly path: string,
    readonly tempPath: string,
    private readonly handle: FileHandle,
    private readonly durable: boolean,
  ) {}

  /** `durable`: fsync before the rename, so a crash never leaves a named but empty image. */
  static async create(target: string, options: { durable?: boolean } = {}): Promise<ImageOutput> {
    const tempPath = path.join(
      path.dirname(target),
      `.${path.basename(target)}.${randomBytes(4).toString('hex')}.partial`,
    );
    try {
      const handle = await open(tempPath, 'wx');
      return new ImageOutput(target, tempPath, handle, options.durable ?? true);
    } catch (cause) {
      throw wrap(target, 'cannot create the image file', cause);
    }
  }

  /** Writes all of `data` at `position`, after every write started before this one. */
  write(data: Uint8Array, position: number): Promise<void> {
    const result = this.tail.then(() => this.writeNow(data, position));
    this.tail = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }

  private async writeNow(data: Uint8Array, position: number): Promise<void> {
    let done = 0;
    try {
      if (this.allocating && data.byteLength >= ALLOCATE_FROM_BYTES) {
        this.allocating = await allocate(this.handle.fd, position, data.byteLength);
      }
      while (done < data.byteLength) {
        const { bytesWritten } = await this.handle.write(
          data,
          done,
          data.byteLength - done,
          position + done,
        );
        done += bytesWritten;
      }
    } catch (cause) {
      throw wrap(this.path, `write failed at offset ${position + done}`, cause);
    }
  }

  /**
   * Queues several pieces, in order. Waits for every piece before settling, even when one
   * fails, because callers reuse their buffers as soon as this settles; then throws the first
   * failure.
   */
  async writeAll(
    pieces: ReadonlyArray<readonly [data: Uint8Array, position: number]>,
  ): Promise<void> {
    const results = await Promise.allSettled(
      pieces.map(([data, position]) => this.write(data, position)),
    );
    const failure = results.find(
      (result): result is PromiseRejectedResult => result.status === 'rejected',
    );
    if (failure) throw failure.reason;
  }

  /** Sets the file's length (after the writes started so far); growing it leaves a hole. */
  async truncate(length: number): Promise<void> {
    await this.tail;
    try {
      await this.handle.truncate(length);
    } catch (cause) {
      throw wrap(this.path, `cannot set the file length to ${length}`, cause);
    }
  }

  /** Flushes (when durable), closes and moves the image into place. */
  async commit(): Promise<void> {
    await this.tail;
    try {
      if (this.durable) await this.handle.sync();
      await this.handle.close();
      this.closed = true;
      await rename(this.tempPath, this.path);
    } catch (cause) {
      await this.discard();
      throw wrap(this.path, 'cannot finish the image file', cause);
    }
  }

  /** Closes and deletes the temporary file; safe to call more than once. */
  async discard(): Promise<void> {
    await this.tail;
    if (!this.closed) {
      this.closed = true;
      await this.handle.close().catch(() => undefined);
    }
    await rm(this.tempPath, { force: true });
  }
}

function wrap(file: string, what: string, cause: unknown): DiskError {
  const reason = cause instanceof Error ? cause.message : String(cause);
  const full = (cause as NodeJS.ErrnoException | undefined)?.code === 'ENOSPC';
  return new DiskError(
    'DISK_IO',
    file,
    `${what}: ${full ? 'the target file system is full' : reason}`,
    { cause },
  );
}
