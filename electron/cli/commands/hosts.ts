import type { Command } from 'commander';
import { TesseraError } from '../../../shared/errors.js';
import { dataOptions, withService } from './service-options.js';

const print = (text: string): void => void process.stdout.write(`${text}\n`);

interface Flags {
  data?: string;
  store?: string;
  json?: boolean;
  hosts?: string;
  streams?: string;
}

function whole(text: string | undefined, what: string): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text))
    throw new TesseraError('BAD_REQUEST', `${what} must be a whole number, not "${text}"`);
  return Number(text);
}

export function registerHostCommands(program: Command): void {
  const hosts = program
    .command('hosts')
    .description('backup hosts and streams per host (tessera.conf)');
  dataOptions(hosts.command('show'))
    .description('show the backup host settings')
    .action(async (flags: Flags) => {
      await withService(flags, async (service) => {
        const config = service.getHostConfig();
        if (flags.json)
          return print(JSON.stringify({ ...config, file: service.configFile }, null, 2));
        print(`backup hosts:      ${config.hosts}`);
        print(`streams per host:  ${config.streamsPerHost}`);
        print(`configuration:     ${service.configFile}`);
      });
    });

  dataOptions(hosts.command('set'))
    .description('change the number of backup hosts and streams per host')
    .option('--hosts <n>', 'backup hosts (worker groups); one child job each')
    .option('--streams <n>', 'disks each host reads at once (NO_OF_BACKUP_STREAMS_PER_NODE)')
    .action(async (flags: Flags) => {
      const change = {
        ...(flags.hosts !== undefined ? { hosts: whole(flags.hosts, '--hosts')! } : {}),
        ...(flags.streams !== undefined
          ? { streamsPerHost: whole(flags.streams, '--streams')! }
          : {}),
      };
      if (Object.keys(change).length === 0)
        throw new TesseraError('BAD_REQUEST', 'give --hosts and/or --streams');
      await withService(flags, async (service) => {
        const config = await service.setHostConfig(change);
        if (flags.json) return print(JSON.stringify(config, null, 2));
        print(
          `backup hosts: ${config.hosts}, streams per host: ${config.streamsPerHost} (saved in ${service.configFile})`,
        );
      });
    });
}
