import { open, type FileHandle } from 'node:fs/promises';
import { DiskError } from '../errors.js';
import { dataRanges } from './file-extents.js';

/** What a format reader needs of its image file: its length and exact positional reads. */
export interface FileReader {
  readonly path: string;
  readonly size: number;
  /** Fills `buffer` from `position`; a read past the end of the file is DISK_TRUNCATED. */
  read(buffer: Uint8Array, position: number): Promise<void>;
  /** The ranges of [offset, offset + length) that hold data; null when that is not known. */
  dataRanges?(offset: number, length: number): Array<[start: number, end: number]> | null;
  close(): Promise<void>;
}

/** Largest metadata structure a reader may load at once; beyond it, read in pieces. */
export const MAX_METADATA_READ = 64 * 1024 * 1024;

const FRIENDLY: Record<string, string> = {
  ENOENT: 'no such file',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EISDIR: 'is a directory',
  EIO: 'input/output error (the device may be failing)',
};

function ioError(path: string, what: string, cause: unknown): DiskError {
  const code = (cause as NodeJS.ErrnoException | undefined)?.code;
  const reason =
    (code && FRIENDLY[code]) ?? (cause instanceof Error ? cause.message : String(cause));
  return new DiskError('DISK_IO', path, `${what}: ${reason}`, { cause });
}

/** A read-only image file. Never writes: sources are opened with 'r'. */
export class ImageFile implements FileReader {
  private constructor(
    readonly path: string,
    private readonly handle: FileHandle,
    readonly size: number,
  ) {}

  static async open(path: string): Promise<ImageFile> {
    let handle: FileHandle;
    try {
      handle = await open(path, 'r');
    } catch (cause) {
      throw ioError(path, 'cannot open', cause);
    }
    try {
      const stat = await handle.stat();
      if (!stat.isFile() && !stat.isBlockDevice()) {
        throw new DiskError('DISK_IO', path, 'is not a regular file');
      }
      return new ImageFile(path, handle, stat.size);
    } catch (error) {
      await handle.close();
      throw error instanceof DiskError ? error : ioError(path, 'cannot stat', error);
    }
  }

  dataRanges(offset: number, length: number): Array<[start: number, end: number]> | null {
    return dataRanges(this.handle.fd, offset, length);
  }

  async read(buffer: Uint8Array, position: number): Promise<void> {
    const length = buffer.byteLength;
    if (position < 0 || position + length > this.size) {
      throw new DiskError(
        'DISK_TRUNCATED',
        this.path,
        `needs bytes ${position}..${position + length} but the file is ${this.size} bytes long`,
      );
    }
    let done = 0;
    while (done < length) {
      let bytesRead: number;
      try {
        ({ bytesRead } = await this.handle.read(buffer, done, length - done, position + done));
      } catch (cause) {
        throw ioError(this.path, `read failed at offset ${position + done}`, cause);
      }
      if (bytesRead === 0) {
        throw new DiskError(
          'DISK_TRUNCATED',
          this.path,
          `file ended at ${position + done} while reading`,
        );
      }
      done += bytesRead;
    }
  }

  async close(): Promise<void> {
    await this.handle.close();
  }
}

/** Reads a small structure through any FileReader into a new buffer, with the same size guard. */
export async function readBytes(
  file: FileReader,
  position: number,
  length: number,
): Promise<Buffer> {
  if (length > MAX_METADATA_READ) {
    throw new DiskError(
      'DISK_TOO_LARGE',
      file.path,
      `a ${length}-byte metadata structure is larger than any valid image has`,
    );
  }
  const buffer = Buffer.alloc(length);
  await file.read(buffer, position);
  return buffer;
}
