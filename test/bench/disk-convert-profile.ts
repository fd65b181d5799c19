/**
 * Profiling aid for `tessera disk convert`: runs convertDisk in this process with chosen
 * options and prints wall, user and system time, so I/O settings can be compared without
 * the CLI's start-up in the figures.
 *
 *   npx tsx test/bench/disk-convert-profile.ts <in> <out> <raw|vhd|vhdx> [chunk MiB] [readAhead] [writeBehind]
 *
 * TESSERA_ENGINE=<dir> loads the engine from a build (e.g. out/electron/engine/disk) instead
 * of the sources.
 */
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

import type * as DiskEngine from '../../electron/engine/disk/index.js';
import type { DiskWriter } from '../../electron/engine/disk/index.js';

type Engine = typeof DiskEngine;

const [input, output, format = 'raw', chunkMiB, readAhead, writeBehind] = process.argv.slice(2);
if (!input || !output) throw new Error('usage: disk-convert-profile.ts <in> <out> <format> ...');
const engineDir = process.env.TESSERA_ENGINE;
const engine = (await import(
  engineDir
    ? pathToFileURL(path.resolve(engineDir, 'index.js')).href
    : '../../electron/engine/disk/index.js'
)) as Engine;
if (!engine.isWritableFormat(format)) throw new Error(`not a format: ${format}`);

/**
 * Wraps a writer to measure how long it waited for data: writes reach the file one at a time,
 * so whenever a write() call comes after the previous write settled, the target sat idle.
 */
function starvation(writer: DiskWriter): DiskWriter {
  let lastSettled = 0;
  let pending = 0;
  let idle = 0;
  let firstCall = 0;
  const now = (): number => performance.now();
  return {
    ...writer,
    write: async (offset, data) => {
      const called = now();
      if (!firstCall) firstCall = called;
      else if (pending === 0) idle += called - lastSettled;
      pending++;
      try {
        await writer.write(offset, data);
      } finally {
        pending--;
        lastSettled = now();
      }
    },
    finish: async () => {
      const started = now();
      await writer.finish();
      console.log(
        `writer: first write at ${(firstCall / 1000).toFixed(2)} s, idle between writes ` +
          `${(idle / 1000).toFixed(2)} s, last write settled ${((started - lastSettled) / 1000).toFixed(2)} s before finish, finish ${((now() - started) / 1000).toFixed(2)} s`,
      );
    },
  };
}

await rm(output, { force: true });
const usage = process.cpuUsage();
const started = process.hrtime.bigint();
const source = await engine.openDisk(input);
try {
  const writer = starvation(
    await engine.createDiskWriter(output, format, {
      virtualSize: source.virtualSize,
      durable: false,
    }),
  );
  await engine.convertDisk(source, writer, {
    chunkSize: chunkMiB ? Number(chunkMiB) * 1024 * 1024 : undefined,
    readAhead: readAhead ? Number(readAhead) : undefined,
    writeBehind: writeBehind ? Number(writeBehind) : undefined,
  });
} finally {
  await source.close();
}
const seconds = Number(process.hrtime.bigint() - started) / 1e9;
const cpu = process.cpuUsage(usage);
console.log(
  `${path.basename(input)} -> ${format}: ${seconds.toFixed(2)} s wall, ` +
    `${(cpu.user / 1e6).toFixed(2)} s user, ${(cpu.system / 1e6).toFixed(2)} s sys, ` +
    `peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`,
);
