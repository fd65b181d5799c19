import { DiskError } from './errors.js';

/** Enforces the DiskWriter contract: writes inside the disk, in increasing offset order. */
export class StreamingOrder {
  private next = 0;

  constructor(
    private readonly path: string,
    private readonly virtualSize: number,
  ) {}

  accept(offset: number, length: number): void {
    if (!Number.isSafeInteger(offset) || offset < this.next || offset + length > this.virtualSize) {
      throw new DiskError(
        'BAD_REQUEST',
        this.path,
        `write of ${length} bytes at ${offset} is out of order or outside the ${this.virtualSize}-byte disk (next allowed offset ${this.next})`,
      );
    }
    this.next = offset + length;
  }
}
