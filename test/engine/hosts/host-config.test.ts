import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  checkHostConfig,
  defaultHostConfig,
  MAX_HOSTS,
  MAX_STREAMS_PER_HOST,
  parseHostConfig,
  readHostConfig,
  writeHostConfig,
} from '../../../electron/engine/hosts/host-config.js';
import { scratchDir } from '../../helpers/scratch.js';

let dir: string;
let cleanup: () => Promise<void>;
let cores: number;

beforeAll(async () => {
  ({ dir, cleanup } = await scratchDir('tessera-host-config-'));
  cores = os.availableParallelism();
});
afterAll(() => cleanup());
afterEach(() => {
  vi.restoreAllMocks();
});

/** A tessera.conf path of its own for each test. */
let files = 0;
const confFile = (): string => path.join(dir, `tessera-${++files}.conf`);

describe('defaultHostConfig', () => {
  it('is one host per core with one stream each', () => {
    expect(defaultHostConfig()).toEqual({ hosts: cores, streamsPerHost: 1 });
    vi.spyOn(os, 'availableParallelism').mockReturnValue(6);
    expect(defaultHostConfig()).toEqual({ hosts: 6, streamsPerHost: 1 });
  });

  it('stays within MAX_HOSTS on a machine with more cores than that', () => {
    vi.spyOn(os, 'availableParallelism').mockReturnValue(128);
    const config = defaultHostConfig();
    expect(config.hosts).toBeLessThanOrEqual(MAX_HOSTS);
    expect(() => checkHostConfig(config)).not.toThrow();
  });
});

describe('parseHostConfig', () => {
  it('gives the defaults for an empty file or one of comments only', () => {
    expect(parseHostConfig('')).toEqual(defaultHostConfig());
    expect(parseHostConfig('# nothing set\n\n   # still nothing\n')).toEqual(defaultHostConfig());
  });

  it('reads keys with comments, blank lines, spaces, CRLF and unknown keys', () => {
    const text = [
      '# Tessera backup host settings',
      '',
      '  hosts=3   # three workers',
      'futureKey = something a newer Tessera writes',
      'streamsPerHost =   4',
      '',
    ].join('\r\n');
    expect(parseHostConfig(text)).toEqual({ hosts: 3, streamsPerHost: 4 });
  });

  it("takes NetBackup's names as aliases, the later line winning", () => {
    expect(parseHostConfig('BACKUP_HOSTS = 5\nNO_OF_BACKUP_STREAMS_PER_NODE = 2\n')).toEqual({
      hosts: 5,
      streamsPerHost: 2,
    });
    expect(parseHostConfig('streamsPerHost = 7\nNO_OF_BACKUP_STREAMS_PER_NODE = 3\n')).toEqual({
      hosts: cores,
      streamsPerHost: 3,
    });
    // Only the setting given changes; the other keeps its default.
    expect(parseHostConfig('hosts = 2')).toEqual({ hosts: 2, streamsPerHost: 1 });
  });

  it('accepts 1 and the maximum, and names file, line, key and value of a bad count', () => {
    expect(parseHostConfig(`hosts = 1\nstreamsPerHost = ${MAX_STREAMS_PER_HOST}`)).toEqual({
      hosts: 1,
      streamsPerHost: MAX_STREAMS_PER_HOST,
    });
    expect(parseHostConfig(`hosts = ${MAX_HOSTS}`).hosts).toBe(MAX_HOSTS);
    const cases: Array<[string, string]> = [
      ['# c\nhosts = 0', '/etc/t.conf:2: hosts must be a whole number from 1 to 64, not "0"'],
      ['hosts = 65', '/etc/t.conf:1: hosts must be a whole number from 1 to 64, not "65"'],
      ['hosts = 1.5', '/etc/t.conf:1: hosts must be a whole number from 1 to 64, not "1.5"'],
      ['hosts = -2', '/etc/t.conf:1: hosts must be a whole number from 1 to 64, not "-2"'],
      ['hosts =', '/etc/t.conf:1: hosts must be a whole number from 1 to 64, not ""'],
      [
        '\n\nNO_OF_BACKUP_STREAMS_PER_NODE = many',
        '/etc/t.conf:3: streamsPerHost must be a whole number from 1 to 64, not "many"',
      ],
    ];
    for (const [text, message] of cases) {
      expect(() => parseHostConfig(text, '/etc/t.conf'), text).toThrow(message);
    }
  });

  it('rejects a line that is not key = value, quoting it with its line number', () => {
    let error: unknown;
    try {
      parseHostConfig('hosts = 2\n\n  just some words  # a comment\n', 'my.conf');
    } catch (caught) {
      error = caught;
    }
    expect(error).toMatchObject({
      code: 'BAD_REQUEST',
      message: 'my.conf:3: expected "key = value", found "just some words"',
    });
    expect(() => parseHostConfig('= 3')).toThrow('tessera.conf:1: expected "key = value"');
    expect(() => parseHostConfig('2hosts = 3')).toThrow('tessera.conf:1: expected "key = value"');
  });
});

describe('readHostConfig', () => {
  it('gives the defaults when the file does not exist', async () => {
    expect(await readHostConfig(path.join(dir, 'absent.conf'))).toEqual(defaultHostConfig());
  });

  it('reads the file, and reports one it cannot read with its path', async () => {
    const file = confFile();
    await writeFile(file, 'hosts = 4\nstreamsPerHost = 2\n');
    expect(await readHostConfig(file)).toEqual({ hosts: 4, streamsPerHost: 2 });

    const folder = path.join(dir, 'a-folder.conf');
    await mkdir(folder);
    await expect(readHostConfig(folder)).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      message: expect.stringContaining(`${folder}: cannot read the configuration`),
    });

    const bad = confFile();
    await writeFile(bad, 'hosts = 4\nstreamsPerHost = 0\n');
    await expect(readHostConfig(bad)).rejects.toThrow(
      `${bad}:2: streamsPerHost must be a whole number from 1 to 64, not "0"`,
    );
  });
});

describe('writeHostConfig', () => {
  it('creates a commented file with both keys, which reads back the same', async () => {
    const file = confFile();
    await writeHostConfig(file, { hosts: 2, streamsPerHost: 3 });
    const text = await readFile(file, 'utf8');
    expect(text.split('\n')).toEqual([
      expect.stringMatching(/^# Tessera backup host settings/),
      '# Backup host workers that read disks and compute changed blocks.',
      'hosts = 2',
      '# Disks each backup host reads at once (NO_OF_BACKUP_STREAMS_PER_NODE).',
      'streamsPerHost = 3',
      '',
    ]);
    expect(await readHostConfig(file)).toEqual({ hosts: 2, streamsPerHost: 3 });
  });

  it('replaces the known keys in place and keeps comments, blank lines and unknown keys', async () => {
    const file = confFile();
    const before = [
      '# my settings, by hand',
      '',
      'hosts = 8',
      '# hosts = 99 (commented out: stays)',
      'futureKey = keep me',
      '  NO_OF_BACKUP_STREAMS_PER_NODE = 2',
      '# the end',
      '',
    ].join('\n');
    await writeFile(file, before);
    await writeHostConfig(file, { hosts: 3, streamsPerHost: 5 });
    expect(await readFile(file, 'utf8')).toBe(
      [
        '# my settings, by hand',
        '',
        'hosts = 3',
        '# hosts = 99 (commented out: stays)',
        'futureKey = keep me',
        'streamsPerHost = 5',
        '# the end',
        '',
      ].join('\n'),
    );
    expect(await readHostConfig(file)).toEqual({ hosts: 3, streamsPerHost: 5 });
  });

  it('appends a key the file did not have, with its comment', async () => {
    const file = confFile();
    await writeFile(file, '# only hosts here\nhosts = 6'); // no final newline
    await writeHostConfig(file, { hosts: 6, streamsPerHost: 2 });
    expect(await readFile(file, 'utf8')).toBe(
      [
        '# only hosts here',
        'hosts = 6',
        '# Disks each backup host reads at once (NO_OF_BACKUP_STREAMS_PER_NODE).',
        'streamsPerHost = 2',
        '',
      ].join('\n'),
    );
  });

  it('round-trips: write, read, write again gives the same file', async () => {
    const file = confFile();
    await writeFile(file, '# kept\nunknown_setting = 1\n');
    for (const config of [
      { hosts: 1, streamsPerHost: 1 },
      { hosts: MAX_HOSTS, streamsPerHost: MAX_STREAMS_PER_HOST },
      { hosts: 7, streamsPerHost: 2 },
    ]) {
      await writeHostConfig(file, config);
      const once = await readFile(file, 'utf8');
      expect(await readHostConfig(file)).toEqual(config);
      await writeHostConfig(file, await readHostConfig(file));
      expect(await readFile(file, 'utf8')).toBe(once);
      expect(once).toContain('# kept\nunknown_setting = 1\n');
    }
  });

  it('refuses values out of range and leaves the file as it was', async () => {
    const file = confFile();
    await writeHostConfig(file, { hosts: 2, streamsPerHost: 2 });
    const before = await readFile(file, 'utf8');
    await expect(writeHostConfig(file, { hosts: 0, streamsPerHost: 2 })).rejects.toThrow(
      'hosts: hosts must be a whole number from 1 to 64, not "0"',
    );
    await expect(writeHostConfig(file, { hosts: 2, streamsPerHost: 65 })).rejects.toThrow(
      'streamsPerHost must be a whole number from 1 to 64, not "65"',
    );
    await expect(writeHostConfig(file, { hosts: 2.5, streamsPerHost: 1 })).rejects.toMatchObject({
      code: 'BAD_REQUEST',
    });
    expect(await readFile(file, 'utf8')).toBe(before);
  });
});
