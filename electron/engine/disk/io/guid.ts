import { randomUUID } from 'node:crypto';

/**
 * GUIDs as Microsoft stores them (MS-DTYP): Data1 (u32), Data2 and Data3 (u16) little-endian,
 * Data4 as 8 bytes in order. Text form is lower-case and dashed, without braces.
 */
export function readGuid(buffer: Uint8Array, offset: number): string {
  const view = Buffer.from(buffer.buffer, buffer.byteOffset + offset, 16);
  const hex = (bytes: Buffer) => bytes.toString('hex');
  return [
    hex(Buffer.from(view.subarray(0, 4)).reverse()),
    hex(Buffer.from(view.subarray(4, 6)).reverse()),
    hex(Buffer.from(view.subarray(6, 8)).reverse()),
    hex(view.subarray(8, 10)),
    hex(view.subarray(10, 16)),
  ].join('-');
}

const GUID_PATTERN =
  /^\{?([0-9a-f]{8})-([0-9a-f]{4})-([0-9a-f]{4})-([0-9a-f]{4})-([0-9a-f]{12})\}?$/i;

export function isGuid(text: string): boolean {
  return GUID_PATTERN.test(text);
}

/** Normalises "{ABCD...}" or "abcd..." to the lower-case dashed form; null if not a GUID. */
export function normaliseGuid(text: string): string | null {
  const match = GUID_PATTERN.exec(text.trim());
  return match ? match.slice(1).join('-').toLowerCase() : null;
}

export function writeGuid(buffer: Uint8Array, offset: number, guid: string): void {
  const match = GUID_PATTERN.exec(guid);
  if (!match) throw new TypeError(`not a GUID: ${guid}`);
  const [, d1, d2, d3, d4a, d4b] = match as unknown as [
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  const bytes = Buffer.concat([
    Buffer.from(d1, 'hex').reverse(),
    Buffer.from(d2, 'hex').reverse(),
    Buffer.from(d3, 'hex').reverse(),
    Buffer.from(d4a + d4b, 'hex'),
  ]);
  buffer.set(bytes, offset);
}

export const NULL_GUID = '00000000-0000-0000-0000-000000000000';

export function isNullGuid(guid: string): boolean {
  return guid === NULL_GUID;
}

export function randomGuid(): string {
  return randomUUID();
}
