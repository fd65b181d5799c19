/**
 * Buffers for bulk reads and writes, starting on a page boundary.
 *
 * Linux copies file data to and from user memory with `rep movsb`, which on some CPUs runs
 * several times slower when the user buffer is not cache-line aligned (measured on AMD EPYC:
 * reading a cached file into a buffer 16 bytes past a 64-byte boundary took 4.4x the kernel
 * time of an aligned one). A large Buffer.allocUnsafe is malloc memory, which glibc places 16
 * bytes past a page boundary. A resizable ArrayBuffer is reserved by V8 in whole pages, so it
 * starts on one; where resizing is not supported the option is ignored and the buffer is an
 * ordinary (correct, possibly slower) one.
 */

type ResizableArrayBufferConstructor = new (
  byteLength: number,
  options: { maxByteLength: number },
) => ArrayBuffer;

/** A zero-filled buffer of `size` bytes whose first byte is page-aligned. */
export function allocAligned(size: number): Buffer {
  const Constructor = ArrayBuffer as unknown as ResizableArrayBufferConstructor;
  return Buffer.from(new Constructor(size, { maxByteLength: size }), 0, size);
}
