import { Worker } from 'node:worker_threads';

/**
 * Starts a backup host worker. From built JavaScript the worker file runs as it is; when the
 * engine runs from TypeScript source (vitest, tsx), a small boot file registers tsx first.
 */
export function spawnHost(): Worker {
  const entry = new URL(
    import.meta.url.endsWith('.ts') ? './backup-host.worker.ts' : './backup-host.worker.js',
    import.meta.url,
  );
  if (entry.pathname.endsWith('.js')) return new Worker(entry);
  return new Worker(new URL('./dev-worker-boot.mjs', import.meta.url), {
    workerData: { entry: entry.href },
  });
}
