/**
 * The `tessera` command leaves its catalog to the process's exit (no checkpoint on close, see
 * electron/cli/process-end.ts): what it committed must still be there for the next command
 * and for any other reader of the catalog.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { stat } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import path from 'node:path';
import { Catalog } from '../../../electron/engine/catalog/catalog.js';
import type { ImageRow } from '../../../electron/engine/catalog/types.js';
import { MiB, qemuVhdx, seededWrites } from '../../fixtures/vhdx-images.js';
import { repoRoot, tessera } from '../../helpers/cli.js';
import { scratchDir } from '../../helpers/scratch.js';
import { qemuImg } from '../../helpers/tools.js';

let dir: string;
let cleanup: () => Promise<void>;

beforeAll(async () => ({ dir, cleanup } = await scratchDir('tessera-process-end-')));
afterAll(() => cleanup());

describe('a tessera command that ends its process', () => {
  it('leaves its catalog commits in the WAL, where the next command and any reader find them', async () => {
    const store = path.join(dir, 'store');
    const disk = await qemuVhdx(dir, 'db01.vhdx', 16 * MiB, seededWrites([[0, 3 * MiB, 1]]));
    const backup = await tessera(['backup', disk, '--client', 'db01', '--store', store, '--json']);
    expect(backup.code, backup.stderr).toBe(0);
    const { backupId } = JSON.parse(backup.stdout) as { backupId: string };

    // Not checkpointed on close: the job and the image are committed in the WAL only.
    expect((await stat(path.join(store, 'catalog.db-wal'))).size).toBeGreaterThan(0);

    const images = await tessera(['images', '--store', store, '--json']);
    expect(images.code, images.stderr).toBe(0);
    expect((JSON.parse(images.stdout) as ImageRow[]).map((image) => image.backupId)).toEqual([
      backupId,
    ]);

    const catalog = Catalog.open(path.join(store, 'catalog.db'));
    try {
      const jobs = catalog.listJobs();
      expect(jobs.map((job) => [job.kind, job.state, job.statusCode])).toContainEqual([
        'backup',
        'done',
        0,
      ]);
      expect(catalog.getImage(backupId)?.client).toBe('db01');
    } finally {
      catalog.close();
    }

    const restore = await tessera([
      'restore',
      backupId,
      '--to',
      path.join(dir, 'restored'),
      '--format',
      'raw',
      '--store',
      store,
    ]);
    expect(restore.code, restore.stderr).toBe(0);
    await qemuImg(
      'compare',
      '-f',
      'vhdx',
      '-F',
      'raw',
      disk,
      path.join(dir, 'restored', 'db01.raw'),
    );
  });
});

describe('ending the process after a command', () => {
  it('exits only once a long answer has gone down the pipe', async () => {
    const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
    const module = pathToFileURL(path.join(repoRoot, 'electron/cli/process-end.ts')).href;
    // 4 MiB, 64 times a pipe's buffer, then the exit the tessera command makes.
    const script = `import { endProcess } from ${JSON.stringify(module)};
process.stdout.write('x'.repeat(4 * 1024 * 1024));
await endProcess(3);`;
    const child = spawn(process.execPath, ['--import', tsx, '--input-type=module', '-e', script], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let bytes = 0;
    // A slow reader, so the writer is well ahead of it when it exits.
    child.stdout.on('data', (chunk: Buffer) => {
      bytes += chunk.byteLength;
      child.stdout.pause();
      setTimeout(() => child.stdout.resume(), 1);
    });
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code).toBe(3);
    expect(bytes).toBe(4 * 1024 * 1024);
  });
});
