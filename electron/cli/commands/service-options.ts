import os from 'node:os';
import path from 'node:path';
import type { Command } from 'commander';
import type { TesseraService } from '../../engine/service.js';
import { doesProcessEndWithCommand } from '../process-end.js';

const DATA_HELP = 'data directory (default: $TESSERA_DATA or ~/.local/share/tessera)';

/** The options every command on the data directory takes: --data, --store, and --json. */
export function dataOptions(command: Command, json = true): Command {
  command
    .option('--data <dir>', DATA_HELP)
    .option('--store <dir>', 'storage unit (default: <data>/store)');
  return json ? command.option('--json', 'JSON output') : command;
}

/** Tessera's data directory: tessera.conf, the storage unit, job files. */
export function defaultDataDir(): string {
  if (process.env.TESSERA_DATA) return process.env.TESSERA_DATA;
  const data = process.env.XDG_DATA_HOME ?? path.join(os.homedir(), '.local', 'share');
  return path.join(data, 'tessera');
}

/**
 * Opens the engine's service on the data directory, runs `work`, and closes it (leaving the
 * catalog to the process's exit when that follows; see process-end.ts).
 */
export async function withService<T>(
  options: { data?: string; store?: string },
  work: (service: TesseraService) => Promise<T>,
): Promise<T> {
  // Loaded here, not at start-up: SQLite and the codecs are native modules.
  const { TesseraService } = await import('../../engine/service.js');
  const service = await TesseraService.open({
    dataDir: options.data ?? defaultDataDir(),
    storeDir: options.store ?? process.env.TESSERA_STORE,
  });
  try {
    return await work(service);
  } finally {
    await service.close({ processExits: doesProcessEndWithCommand() });
  }
}
