import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { TesseraError } from '../../../shared/errors.js';
import { interruptSignal } from '../interrupt.js';
import { findPackageRoot } from '../package-root.js';
import { dataOptions, defaultDataDir } from './service-options.js';

interface Flags {
  data?: string;
  store?: string;
  port?: string;
  static?: string;
  scheduler?: boolean;
}

/** Resolves when the process is asked to stop (Ctrl-C or SIGTERM). */
function untilStopped(): Promise<string> {
  return new Promise((resolve) => {
    if (interruptSignal.aborted) return resolve('SIGINT');
    interruptSignal.addEventListener('abort', () => resolve('SIGINT'), { once: true });
    process.once('SIGTERM', () => resolve('SIGTERM'));
  });
}

function portOf(text: string | undefined): number {
  if (text === undefined) return 0;
  const port = Number(text);
  if (!/^\d+$/.test(text) || port > 65535) {
    throw new TesseraError('BAD_REQUEST', `--port must be a port number (0-65535), not "${text}"`);
  }
  return port;
}

export function registerServeCommand(program: Command): void {
  dataOptions(program.command('serve'), false)
    .description(
      'the headless console: the app in a browser, on 127.0.0.1 with a per-run token (Ctrl-C stops)',
    )
    .option('--port <n>', 'port to listen on (default: a free one)')
    .option('--static <dir>', 'the built renderer (default: out/renderer of this checkout)')
    .option('--no-scheduler', 'do not start scheduled backups while serving')
    .action(async (flags: Flags) => {
      const port = portOf(flags.port);
      const root = findPackageRoot();
      const staticDir = path.resolve(flags.static ?? path.join(root.dir, 'out', 'renderer'));
      if (!existsSync(path.join(staticDir, 'index.html'))) {
        process.stderr.write(
          `tessera: warning: no built renderer in ${staticDir}; run npm run build:renderer\n`,
        );
      }
      // Loaded here, not at start-up: SQLite and the codecs are native modules.
      const { TesseraService } = await import('../../engine/service.js');
      const { createApiHandler } = await import('../../api/handler.js');
      const { startConsoleServer } = await import('../../server/console-server.js');
      const service = await TesseraService.open({
        dataDir: flags.data ?? defaultDataDir(),
        storeDir: flags.store ?? process.env.TESSERA_STORE,
      });
      try {
        const handler = createApiHandler(service, { shell: 'console', version: root.version });
        const server = await startConsoleServer({ handler, staticDir, port });
        if (flags.scheduler !== false) service.startScheduler();
        process.stdout.write(`Tessera ${root.version} headless console\n`);
        process.stdout.write(`data:  ${service.dataDir}\n`);
        process.stdout.write(`open:  ${server.url}\n`);
        const signal = await untilStopped();
        process.stdout.write(`${signal}: stopping (running jobs are cancelled cleanly)\n`);
        await server.close();
      } finally {
        await service.close();
      }
    });
}
