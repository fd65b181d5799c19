/**
 * CRC-32C (Castagnoli), as VHDX uses for headers, region tables and log entries.
 *
 * Plain JavaScript, slicing by 8: the structures checked are a few KiB (a log replay at most a
 * few MiB), which this does in microseconds, while loading a native CRC module cost every
 * `tessera` command that opens a disk about 15 ms of start-up (measured: 14.5-15.3 ms to import
 * @node-rs/crc32, a third of the disk engine's import time).
 */

const POLYNOMIAL = 0x82f63b78; // reflected 0x1EDC6F41

let tables: Uint32Array | null = null;

/** Eight 256-entry tables: table k maps a byte to its CRC contribution k bytes further on. */
function crcTables(): Uint32Array {
  if (tables) return tables;
  const t = new Uint32Array(8 * 256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ POLYNOMIAL : c >>> 1;
    t[n] = c >>> 0;
  }
  for (let n = 0; n < 256; n++) {
    let c = t[n]!;
    for (let k = 1; k < 8; k++) {
      c = t[c & 0xff]! ^ (c >>> 8);
      t[k * 256 + n] = c >>> 0;
    }
  }
  tables = t;
  return t;
}

export function crc32c(data: Uint8Array): number {
  const t = crcTables();
  const length = data.byteLength;
  let crc = 0xffffffff;
  let i = 0;
  for (; i + 8 <= length; i += 8) {
    const low =
      crc ^ (data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24));
    crc =
      t[7 * 256 + (low & 0xff)]! ^
      t[6 * 256 + ((low >>> 8) & 0xff)]! ^
      t[5 * 256 + ((low >>> 16) & 0xff)]! ^
      t[4 * 256 + (low >>> 24)]! ^
      t[3 * 256 + data[i + 4]!]! ^
      t[2 * 256 + data[i + 5]!]! ^
      t[256 + data[i + 6]!]! ^
      t[data[i + 7]!]!;
  }
  for (; i < length; i++) crc = t[(crc ^ data[i]!) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
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
