/**
 * tessera.conf: the backup host settings, in the spirit of NetBackup's azurestack.conf. A
 * plain `key = value` file with `#` comments, so an administrator can edit it by hand:
 *
 *   # Backup host workers that read disks and compute changed blocks.
 *   hosts = 2
 *   # Disks each backup host reads at once (NO_OF_BACKUP_STREAMS_PER_NODE).
 *   streamsPerHost = 1
 *
 * Defaults come from the machine: one host per core, one stream each, since hashing is
 * CPU-bound and one stream keeps one core busy. Unknown keys are kept when the file is
 * rewritten, so a newer Tessera's settings survive an older one.
 */
import os from 'node:os';
import { readFile } from 'node:fs/promises';
import { TesseraError } from '../../../shared/errors.js';
import { MAX_HOSTS, MAX_STREAMS_PER_HOST, type HostConfig } from '../../../shared/hosts.js';
import { writeFileDurably } from '../store/fs-durable.js';

export { MAX_HOSTS, MAX_STREAMS_PER_HOST, type HostConfig };

export function defaultHostConfig(): HostConfig {
  return { hosts: Math.min(MAX_HOSTS, Math.max(1, os.availableParallelism())), streamsPerHost: 1 };
}

const KEYS = {
  hosts: { max: MAX_HOSTS, doc: 'Backup host workers that read disks and compute changed blocks.' },
  streamsPerHost: {
    max: MAX_STREAMS_PER_HOST,
    doc: 'Disks each backup host reads at once (NO_OF_BACKUP_STREAMS_PER_NODE).',
  },
} as const;
type Key = keyof typeof KEYS;

/** Reads tessera.conf; a missing file gives the defaults. Bad lines name the file and line. */
export async function readHostConfig(file: string): Promise<HostConfig> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return defaultHostConfig();
    throw new TesseraError(
      'BAD_REQUEST',
      `${file}: cannot read the configuration (${String(error)})`,
    );
  }
  return parseHostConfig(text, file);
}

export function parseHostConfig(text: string, file = 'tessera.conf'): HostConfig {
  const config: Record<Key, number> = { ...defaultHostConfig() };
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.replace(/#.*/, '').trim();
    if (line === '') return;
    const match = /^([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(line);
    if (!match) {
      throw new TesseraError(
        'BAD_REQUEST',
        `${file}:${index + 1}: expected "key = value", found "${line}"`,
      );
    }
    const [, key, value] = match as unknown as [string, string, string];
    const known = keyOf(key);
    if (!known) return; // kept for newer versions; see writeHostConfig
    config[known] = parseCount(value, known, `${file}:${index + 1}`);
  });
  return config;
}

function keyOf(key: string): Key | null {
  if (key === 'hosts' || key === 'BACKUP_HOSTS') return 'hosts';
  if (key === 'streamsPerHost' || key === 'NO_OF_BACKUP_STREAMS_PER_NODE') return 'streamsPerHost';
  return null;
}

export function parseCount(value: string, key: Key, where: string): number {
  const n = Number(value);
  const max = KEYS[key].max;
  if (!/^\d+$/.test(value.trim()) || n < 1 || n > max) {
    throw new TesseraError(
      'BAD_REQUEST',
      `${where}: ${key} must be a whole number from 1 to ${max}, not "${value}"`,
    );
  }
  return n;
}

/**
 * Writes the settings, keeping the file's comments and unknown keys and replacing the known
 * keys in place (appending those it did not have).
 */
export async function writeHostConfig(file: string, config: HostConfig): Promise<void> {
  checkHostConfig(config);
  let text = '';
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    text =
      '# Tessera backup host settings (see the README). Edit by hand or with `tessera hosts set`.\n';
  }
  const written = new Set<Key>();
  const lines = text.split('\n').map((raw) => {
    const match = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=/.exec(raw);
    const key = match ? keyOf(match[1]!) : null;
    if (!key) return raw;
    written.add(key);
    return `${key} = ${config[key]}`;
  });
  if (lines.at(-1) === '') lines.pop();
  for (const key of Object.keys(KEYS) as Key[]) {
    if (written.has(key)) continue;
    lines.push(`# ${KEYS[key].doc}`, `${key} = ${config[key]}`);
  }
  await writeFileDurably(file, `${lines.join('\n')}\n`);
}

export function checkHostConfig(config: HostConfig): void {
  for (const key of Object.keys(KEYS) as Key[]) parseCount(String(config[key]), key, 'hosts');
}
