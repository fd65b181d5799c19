/**
 * The files on the sample VM's disk: a README for a user who mounts the disk or its restore,
 * the creation time, and a web shop's access log big enough (about 1.5 MiB) that a backup of
 * the sample stores, compresses and deduplicates something real. The log is generated from a
 * fixed seed, so every sample holds the same lines apart from their dates.
 */
import type { FatFile } from './fat-image.js';

export const LOG_TARGET_BYTES = 1536 * 1024;

export function sampleFiles(createdAt: Date): FatFile[] {
  return [
    { path: 'README.TXT', data: text(README) },
    { path: 'CREATED.TXT', data: text(`Created by Tessera on ${createdAt.toISOString()}\n`) },
    { path: 'LOGS/SHOP.LOG', data: text(shopLog(createdAt, LOG_TARGET_BYTES)) },
  ];
}

const README = `TESSERA SAMPLE VM
=================

This virtual machine was made by Tessera, the VM backup manager, so that you can try
Tessera before pointing it at your real virtual machines. It has no operating system:
its only disk (a dynamic VHDX) holds one FAT16 partition with these files:

  README.TXT      this file
  CREATED.TXT     when the sample was made
  LOGS\\SHOP.LOG   an access log of an imaginary web shop, about 1.5 MiB

Things to try:

  1. Back it up. The first backup stores the disk; run it again and the second backup
     (an Accelerator backup) reads only what changed since, which here is nothing.
  2. Restore the disk to another folder, as VHDX, VHD or raw. On Windows, double-click
     the restored VHDX to mount it and find these same files on it.

The sample is safe to delete at any time: remove its folder.
`;

/** DOS text: guests that read a FAT volume expect CR LF line ends. */
function text(content: string): Buffer {
  return Buffer.from(content.replace(/\r?\n/g, '\r\n'), 'latin1');
}

const PATHS = [
  '/',
  '/shop',
  '/shop/cart',
  '/shop/checkout',
  '/shop/orders/{id}',
  '/shop/items/{id}',
  '/api/stock/{id}',
  '/static/app.js',
  '/static/style.css',
  '/images/items/{id}.jpg',
];
const USERS = ['-', '-', '-', 'alice', 'bruno', 'chen', 'dana', 'emeka', 'farah', 'goran'];
const HOSTS = ['web-01', 'web-02', 'web-03'];

/**
 * Log lines in the order a server writes them, one to a few seconds apart, ending shortly
 * before `end`. Varied enough not to compress to nothing, regular enough to compress well.
 */
function shopLog(end: Date, targetBytes: number): string {
  const random = mulberry32(0x7e55e4a);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const lines: string[] = [];
  let bytes = 0;
  let time = end.getTime() - 14 * 24 * 3600 * 1000;
  while (bytes < targetBytes) {
    time += Math.floor(random() * 4000);
    const roll = random();
    const status = roll < 0.9 ? 200 : roll < 0.95 ? 304 : roll < 0.99 ? 404 : 500;
    const level = status === 500 ? 'ERROR' : status === 404 ? 'WARN ' : 'INFO ';
    const method = random() < 0.8 ? 'GET ' : 'POST';
    const route = pick(PATHS).replace('{id}', String(10000 + Math.floor(random() * 90000)));
    const millis = Math.floor(2 + random() * random() * 900);
    const line =
      `${new Date(time).toISOString()} ${level} ${pick(HOSTS)} ${method} ${route} ${status} ` +
      `${millis} ms user=${pick(USERS)}\n`;
    lines.push(line);
    bytes += line.length + 1; // the CR added in text()
  }
  return lines.join('');
}

/** A small seeded generator (Mulberry32): the same numbers on every run and platform. */
function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
