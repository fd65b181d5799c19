/**
 * The `tessera` command leaves its catalog to the process's exit (no checkpoint on close, see
 * electron/cli/process-end.ts): what it committed must still be there for the next command
 * and for any other reader of the catalog.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { Catalog } from '../../../electron/engine/catalog/catalog.js';
import type { ImageRow } from '../../../electron/engine/catalog/types.js';
import { MiB, qemuVhdx, seededWrites } from '../../fixtures/vhdx-images.js';
import { tessera } from '../../helpers/cli.js';
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
