import { Worker } from 'node:worker_threads';

export type HostKind = 'backup-host' | 'restore-host';

/**
 * Starts a host worker. From built JavaScript the worker file runs as it is; when the engine
 * runs from TypeScript source (vitest, tsx), a small boot file registers tsx first.
 */
export function spawnHost(kind: HostKind = 'backup-host'): Worker {
  const extension = import.meta.url.endsWith('.ts') ? 'ts' : 'js';
  const entry = new URL(`./${kind}.worker.${extension}`, import.meta.url);
  if (entry.pathname.endsWith('.js')) return new Worker(entry);
  return new Worker(new URL('./dev-worker-boot.mjs', import.meta.url), {
    workerData: { entry: entry.href },
  });
}
