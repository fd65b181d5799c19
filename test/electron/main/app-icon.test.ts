/** The icon drawn in code is a valid PNG that Electron and electron-builder can read. */
import { inflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { drawIcon, encodePng, iconPng } from '../../../electron/main/app-icon.js';

function chunks(png: Buffer): { type: string; data: Buffer }[] {
  const out: { type: string; data: Buffer }[] = [];
  for (let offset = 8; offset < png.length;) {
    const length = png.readUInt32BE(offset);
    out.push({
      type: png.toString('latin1', offset + 4, offset + 8),
      data: png.subarray(offset + 8, offset + 8 + length),
    });
    offset += length + 12;
  }
  return out;
}

describe('app icon', () => {
  it('encodes a PNG with the right header and pixels', () => {
    const png = iconPng(16, { badge: 'failed' });
    expect(png.subarray(0, 8)).toEqual(Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]));
    const parts = chunks(png);
    expect(parts.map((part) => part.type)).toEqual(['IHDR', 'IDAT', 'IEND']);
    const header = parts[0]!.data;
    expect([header.readUInt32BE(0), header.readUInt32BE(4), header[8], header[9]]).toEqual([
      16, 16, 8, 6,
    ]);
    const raw = inflateSync(parts[1]!.data);
    expect(raw.length).toBe(16 * (16 * 4 + 1));
  });

  it('is transparent in the corners and opaque in the middle', () => {
    const pixels = drawIcon(32);
    const alpha = (x: number, y: number) => pixels[(y * 32 + x) * 4 + 3];
    expect(alpha(0, 0)).toBe(0);
    expect(alpha(16, 16)).toBe(255);
  });

  it('draws the status dot in its colour, and none in monochrome', () => {
    const red = drawIcon(32, { badge: 'failed' });
    const dot = (26 * 32 + 26) * 4;
    expect([...red.subarray(dot, dot + 4)]).toEqual([239, 68, 68, 255]);
    const mono = drawIcon(32, { badge: 'failed', monochrome: true });
    for (let i = 0; i < mono.length; i += 4) {
      expect(mono[i]! + mono[i + 1]! + mono[i + 2]!).toBe(0);
    }
  });

  it('refuses a pixel buffer of the wrong size', () => {
    expect(() => encodePng(2, 2, new Uint8Array(15))).toThrow(RangeError);
  });
});
