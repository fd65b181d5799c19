import { ImageOutput } from '../io/output.js';
import type { DiskWriter, DiskWriterOptions } from '../types.js';
import { nonZeroPieces } from '../zero.js';
import { StreamingOrder } from '../writer-order.js';

/** The granularity at which zeros are left as holes in the host file system. */
const HOLE_GRANULARITY = 4096;

/** Writes a raw image: the file is sized first (a hole), then only non-zero data is written. */
export async function createRawWriter(
  target: string,
  options: DiskWriterOptions,
): Promise<DiskWriter> {
  const output = await ImageOutput.create(target, { durable: options.durable });
  const order = new StreamingOrder(target, options.virtualSize);
  try {
    await output.truncate(options.virtualSize);
  } catch (error) {
    await output.discard();
    throw error;
  }
  return {
    path: target,
    format: 'raw',
    virtualSize: options.virtualSize,
    async write(offset: number, data: Uint8Array): Promise<void> {
      order.accept(offset, data.byteLength);
      await output.writeAll(nonZeroPieces(data, offset, HOLE_GRANULARITY));
    },
    finish: () => output.commit(),
    abort: () => output.discard(),
  };
}
