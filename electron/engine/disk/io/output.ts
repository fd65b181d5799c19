import { open, rename, rm, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { DiskError } from '../errors.js';

/**
 * A new image file being written. It is written under a temporary name beside the target and
 * renamed into place only by commit(), so a failed or interrupted write never leaves a
 * half-written image under the name a user asked for, nor replaces one that was there.
 */
export class ImageOutput {
  private closed = false;

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

  async write(data: Uint8Array, position: number): Promise<void> {
    let done = 0;
    try {
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
   * Writes several pieces at once, so the file system can work on them in parallel. Waits for
   * every piece before settling, even when one fails, because callers reuse their buffers as
   * soon as this settles; then throws the first failure.
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

  /** Sets the file's length; growing it leaves a hole that reads as zeros. */
  async truncate(length: number): Promise<void> {
    try {
      await this.handle.truncate(length);
    } catch (cause) {
      throw wrap(this.path, `cannot set the file length to ${length}`, cause);
    }
  }

  /** Flushes (when durable), closes and moves the image into place. */
  async commit(): Promise<void> {
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
