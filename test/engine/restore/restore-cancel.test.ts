/**
 * A restore another process asks to stop: `tessera job cancel` (or a second app) on the same
 * data directory leaves a cancel request file, which the process running the restore picks up.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { STATUS } from '../../../shared/status-codes.js';
import { TesseraService } from '../../../electron/engine/service.js';
import { scratchDir } from '../../helpers/scratch.js';
import { qemuImg, qemuIo } from '../../helpers/tools.js';
import { exists } from './restore-fixtures.js';

let dir: string;
let cleanup: () => Promise<void>;
let runner: TesseraService;
let other: TesseraService;
let backupId: string;

beforeAll(async () => {
  ({ dir, cleanup } = await scratchDir('tessera-restore-cancel-'));
  // Large enough that the restore is still writing when the request is picked up (0.5 s).
  const disk = path.join(dir, 'vms', 'big01', 'big01.vhdx');
  await mkdir(path.dirname(disk), { recursive: true });
  await qemuImg('create', '-q', '-f', 'vhdx', disk, '2G');
  await qemuIo('-f', 'vhdx', '-c', 'write -P 0x5a 0 1536M', disk);
  const dataDir = path.join(dir, 'data');
  runner = await TesseraService.open({ dataDir });
  runner.addSource({ kind: 'folder', path: path.join(dir, 'vms') });
  const backup = await (await runner.backupNow()).done;
  expect(backup.statusCode).toBe(0);
  backupId = backup.images[0]!;
  other = await TesseraService.open({ dataDir });
});
afterAll(async () => {
  await other?.close();
  await runner?.close();
  await cleanup();
});

it('a restore cancelled from another process ends cancelled (150) and leaves no target', async () => {
  const to = path.join(dir, 'restored');
  let asked: Promise<boolean> | null = null;
  let jobId = 0;
  const started = await runner.startRestore(
    { image: { backupId }, target: { kind: 'folder', path: to } },
    // Once it is writing, the other process asks it to stop.
    { onProgress: () => void (jobId > 0 && (asked ??= other.cancelJob(jobId))) },
  );
  jobId = started.jobId;
  const { done } = started;
  await expect(done).rejects.toMatchObject({ name: 'AbortError' });
  expect(await asked).toBe(true);
  expect(runner.getJob(jobId).job).toMatchObject({
    state: 'cancelled',
    statusCode: STATUS.CANCELLED.code,
  });
  expect(await exists(to)).toBe(false);
});
