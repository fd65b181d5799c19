import { crc32c as nativeCrc32c } from '@node-rs/crc32';

/** CRC-32C (Castagnoli), as VHDX uses for headers, region tables and log entries. */
export function crc32c(data: Uint8Array): number {
  return nativeCrc32c(Buffer.from(data.buffer, data.byteOffset, data.byteLength)) >>> 0;
}

/**
 * The VHDX rule: the checksum of a structure is computed over the structure with its own
 * 4-byte checksum field set to zero. Works on a copy; `structure` is not modified.
 */
export function crc32cWithZeroedField(structure: Uint8Array, fieldOffset: number): number {
  const copy = Buffer.from(structure);
  copy.fill(0, fieldOffset, fieldOffset + 4);
  return crc32c(copy);
}
