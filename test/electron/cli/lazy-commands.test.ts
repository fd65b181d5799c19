/**
 * The CLI loads only the command group argv names (electron/cli/program.ts), so a command's
 * start-up costs what it needs: `tessera disk convert` must not load SQLite, zod or the
 * service. Help, no command and unknown commands load every group, so they read as before.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Command } from 'commander';
import { COMMAND_GROUPS, groupsFor } from '../../../electron/cli/program.js';
import { tessera, type CliResult } from '../../helpers/cli.js';
import { scratchDir } from '../../helpers/scratch.js';

const TRACE = new URL('./trace-imports.mjs', import.meta.url).href;
const GROUP_NAMES = Object.keys(COMMAND_GROUPS);
const ALL_GROUPS = Object.values(COMMAND_GROUPS);

let dir: string;
let cleanup: () => Promise<void>;
let traces = 0;

beforeAll(async () => {
  ({ dir, cleanup } = await scratchDir('tessera-lazy-'));
});
afterAll(() => cleanup());

/** Runs the CLI and returns its result and the URLs of the modules it loaded. */
async function traced(args: string[]): Promise<CliResult & { modules: string[] }> {
  const file = path.join(dir, `trace-${++traces}.txt`);
  await writeFile(file, '');
  const nodeOptions = `${process.env.NODE_OPTIONS ?? ''} --import ${TRACE}`.trim();
  const result = await tessera(args, {
    env: { NODE_OPTIONS: nodeOptions, TESSERA_TEST_TRACE_IMPORTS: file },
  });
  const modules = (await readFile(file, 'utf8')).split('\n').filter(Boolean);
  return { ...result, modules };
}

/** The command groups among the loaded modules (each group's module is commands/<group>.ts). */
function groupsLoaded(modules: readonly string[]): string[] {
  const names = modules.flatMap((url) => {
    const match = /\/electron\/cli\/commands\/([\w-]+)\.[jt]s$/.exec(url);
    return match && GROUP_NAMES.includes(match[1]!) ? [match[1]!] : [];
  });
  return [...new Set(names)].sort();
}

describe('the command group table', () => {
  it('names exactly the top-level commands each group registers', async () => {
    for (const [name, group] of Object.entries(COMMAND_GROUPS)) {
      const program = new Command('tessera');
      (await group.load())(program, () => {});
      expect(
        program.commands.map((command) => command.name()),
        name,
      ).toEqual(group.commands);
    }
  });

  it('picks the group of the command argv names, and every group otherwise', () => {
    const pick = (...args: string[]) => groupsFor(['node', 'tessera', ...args]);
    expect(pick('disk', 'convert', 'a', 'b')).toEqual([COMMAND_GROUPS.disk]);
    expect(pick('images', '--json')).toEqual([COMMAND_GROUPS.backup]);
    expect(pick('job', 'list')).toEqual([COMMAND_GROUPS.jobs]);
    for (const args of [[], ['--help'], ['help', 'disk'], ['nope'], ['--', 'disk'], ['Disk']]) {
      expect(pick(...args), args.join(' ')).toEqual(ALL_GROUPS);
    }
  });
});

describe('lazy loading in the real CLI', () => {
  it('tessera --help loads every group and lists every command, in table order', async () => {
    const result = await traced(['--help']);
    expect(result.code).toBe(0);
    expect(groupsLoaded(result.modules)).toEqual([...GROUP_NAMES].sort());
    const listed = [...result.stdout.matchAll(/^ {2}(\w+)\b/gm)].map((m) => m[1]);
    expect(listed).toEqual([...ALL_GROUPS.flatMap((group) => group.commands), 'help']);
  });

  it('tessera disk info loads the disk group alone, without SQLite, zod or the service', async () => {
    const file = path.join(dir, 'small.img');
    await writeFile(file, Buffer.alloc(1024 * 1024));
    const result = await traced(['disk', 'info', file, '--json']);
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ format: 'raw', virtualSize: 1024 * 1024 });
    expect(groupsLoaded(result.modules)).toEqual(['disk']);
    const heavy = result.modules.filter((url) =>
      /\/node_modules\/(zod|better-sqlite3)\/|\/electron\/engine\/(service|catalog|store)\//.test(
        url,
      ),
    );
    expect(heavy).toEqual([]);
  });

  it("another group's command loads that group alone", async () => {
    const result = await traced(['job', 'list', '--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Usage: tessera job list');
    expect(groupsLoaded(result.modules)).toEqual(['jobs']);
  });

  it('an unknown command loads every group: usage exit code and a suggestion', async () => {
    const result = await traced(['dsk']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("error: unknown command 'dsk'");
    expect(result.stderr).toContain('(Did you mean disk?)');
    expect(groupsLoaded(result.modules)).toEqual([...GROUP_NAMES].sort());
  });
});
