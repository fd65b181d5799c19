/**
 * Tessera's icon, drawn in code: a rounded tile holding a 3×3 mosaic (tesserae), optionally
 * with a status dot. Drawing it here means the repository carries no binary image, the tray
 * icon can show the last backup's outcome in its colour, and build/bundle-desktop.mjs renders
 * the packaging icon (512 px) from the same code.
 */
import { deflateSync } from 'node:zlib';

export type Rgba = readonly [number, number, number, number];
export type IconBadge = 'idle' | 'running' | 'ok' | 'partial' | 'failed';

const BACKGROUND: Rgba = [31, 42, 68, 255];
const TILES: readonly Rgba[] = [
  [56, 189, 176, 255],
  [96, 165, 250, 255],
  [56, 189, 176, 255],
  [96, 165, 250, 255],
  [250, 204, 21, 255],
  [96, 165, 250, 255],
  [56, 189, 176, 255],
  [96, 165, 250, 255],
  [56, 189, 176, 255],
];
const BADGES: Readonly<Record<Exclude<IconBadge, 'idle'>, Rgba>> = {
  running: [59, 130, 246, 255],
  ok: [34, 197, 94, 255],
  partial: [245, 158, 11, 255],
  failed: [239, 68, 68, 255],
};
const BLACK: Rgba = [0, 0, 0, 255];

export interface IconOptions {
  /** Black on transparent, for macOS menu-bar template images. */
  readonly monochrome?: boolean;
  readonly badge?: IconBadge;
}

/** Inside a rectangle with rounded corners (all in unit coordinates). */
function inRoundedRect(
  px: number,
  py: number,
  x0: number,
  y0: number,
  x1: number,
  y1: number,
  r: number,
): boolean {
  if (px < x0 || px > x1 || py < y0 || py > y1) return false;
  const cx = Math.min(Math.max(px, x0 + r), x1 - r);
  const cy = Math.min(Math.max(py, y0 + r), y1 - r);
  return (px - cx) ** 2 + (py - cy) ** 2 <= r * r;
}

/** The colour at a point of the unit square, or null where the icon is transparent. */
function colourAt(u: number, v: number, options: IconOptions): Rgba | null {
  const badge = options.badge ?? 'idle';
  if (badge !== 'idle' && !options.monochrome) {
    const d = Math.hypot(u - 0.8, v - 0.8);
    if (d <= 0.2) return BADGES[badge];
    if (d <= 0.26) return null; // a transparent ring sets the dot off the tile
  }
  if (!inRoundedRect(u, v, 0.02, 0.02, 0.98, 0.98, 0.2)) return null;
  const cell = 0.28;
  const gap = 0.04;
  const start = 0.5 - (3 * cell + 2 * gap) / 2;
  for (let row = 0; row < 3; row++) {
    for (let col = 0; col < 3; col++) {
      const x0 = start + col * (cell + gap);
      const y0 = start + row * (cell + gap);
      if (inRoundedRect(u, v, x0, y0, x0 + cell, y0 + cell, 0.05)) {
        // Monochrome: the tiles are cut out of the black tile, as template images expect.
        return options.monochrome ? null : (TILES[row * 3 + col] ?? BACKGROUND);
      }
    }
  }
  return options.monochrome ? BLACK : BACKGROUND;
}

/** RGBA pixels, 4×4 supersampled so edges stay smooth at 16 px. */
export function drawIcon(size: number, options: IconOptions = {}): Uint8Array {
  const pixels = new Uint8Array(size * size * 4);
  // Large icons have many pixels per edge already: fewer samples keep the build fast.
  const samples = size >= 256 ? 2 : 4;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      let r = 0;
      let g = 0;
      let b = 0;
      let a = 0;
      for (let sy = 0; sy < samples; sy++) {
        for (let sx = 0; sx < samples; sx++) {
          const colour = colourAt(
            (x + (sx + 0.5) / samples) / size,
            (y + (sy + 0.5) / samples) / size,
            options,
          );
          if (!colour) continue;
          r += colour[0];
          g += colour[1];
          b += colour[2];
          a += colour[3];
        }
      }
      const n = samples * samples;
      const covered = a / 255;
      const offset = (y * size + x) * 4;
      // Colour averaged over the covered samples only (straight alpha, as PNG stores it).
      pixels[offset] = covered ? Math.round(r / covered) : 0;
      pixels[offset + 1] = covered ? Math.round(g / covered) : 0;
      pixels[offset + 2] = covered ? Math.round(b / covered) : 0;
      pixels[offset + 3] = Math.round(a / n);
    }
  }
  return pixels;
}

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const byte of bytes) c = (CRC_TABLE[(c ^ byte) & 0xff] ?? 0) ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Uint8Array): Buffer {
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const out = Buffer.alloc(body.length + 8);
  out.writeUInt32BE(data.length, 0);
  body.copy(out, 4);
  out.writeUInt32BE(crc32(body), body.length + 4);
  return out;
}

/** A minimal PNG (8-bit RGBA, no filtering): enough for nativeImage and electron-builder. */
export function encodePng(width: number, height: number, rgba: Uint8Array): Buffer {
  if (rgba.length !== width * height * 4)
    throw new RangeError('pixel buffer does not match the size');
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bit depth
  header[9] = 6; // colour type RGBA
  const raw = Buffer.alloc((width * 4 + 1) * height);
  for (let y = 0; y < height; y++) {
    // Each scan line starts with its filter type, 0 (none).
    Buffer.from(rgba.buffer, rgba.byteOffset + y * width * 4, width * 4).copy(
      raw,
      y * (width * 4 + 1) + 1,
    );
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(raw, { level: 9 })),
    chunk('IEND', new Uint8Array(0)),
  ]);
}

export function iconPng(size: number, options: IconOptions = {}): Buffer {
  return encodePng(size, size, drawIcon(size, options));
}
