import { Command, CommanderError } from 'commander';
import { isTesseraError } from '../../shared/errors.js';
import { EXIT, exitCodeFor } from './exit-codes.js';
import { isInterruption } from './interrupt.js';

/** Adds a group's commands to the program; `setExitCode` sets the exit code of a success. */
export type RegisterCommands = (program: Command, setExitCode: (code: number) => void) => void;

export interface CommandGroup {
  /** The top-level commands the group registers: `tessera <command> ...`. */
  readonly commands: readonly string[];
  /** Imports the group's module (and with it the engine modules it needs) and returns its register. */
  readonly load: () => Promise<RegisterCommands>;
}

/**
 * The command groups, in the order `tessera --help` lists them. Each is imported only when it
 * is needed (see groupsFor): start-up time is part of every command's time, and a static import
 * of every group would make `tessera disk convert` load SQLite, zod and the service it never uses.
 */
export const COMMAND_GROUPS = {
  disk: {
    commands: ['disk'],
    load: async () => (await import('./commands/disk.js')).registerDiskCommands,
  },
  backup: {
    commands: ['backup', 'images', 'verify', 'expire', 'gc', 'catalog'],
    load: async () => (await import('./commands/backup.js')).registerBackupCommands,
  },
  restore: {
    commands: ['restore'],
    load: async () => (await import('./commands/restore.js')).registerRestoreCommand,
  },
  inventory: {
    commands: ['source'],
    load: async () => (await import('./commands/inventory.js')).registerInventoryCommands,
  },
  policy: {
    commands: ['policy'],
    load: async () => (await import('./commands/policy.js')).registerPolicyCommands,
  },
  jobs: {
    commands: ['run', 'scheduler', 'job'],
    load: async () => (await import('./commands/jobs.js')).registerJobCommands,
  },
  hosts: {
    commands: ['hosts'],
    load: async () => (await import('./commands/hosts.js')).registerHostCommands,
  },
  serve: {
    commands: ['serve'],
    load: async () => (await import('./commands/serve.js')).registerServeCommand,
  },
} as const satisfies Record<string, CommandGroup>;

/**
 * The groups to load for `argv` (node's: argv[2] is the first word the user typed): the group
 * of the command it names, else all of them. Top-level help, no command, `help`, an unknown
 * command or a leading option load all, so help and error messages (with their "Did you mean")
 * list every command, exactly as when every group was always loaded.
 */
export function groupsFor(argv: readonly string[]): CommandGroup[] {
  const groups: CommandGroup[] = Object.values(COMMAND_GROUPS);
  const first = argv[2];
  const named = groups.find((group) => first !== undefined && group.commands.includes(first));
  return named ? [named] : groups;
}

/**
 * The `tessera` command line. Each command group registers itself; errors are printed once,
 * here, as a sentence a person can act on, and mapped to the exit codes in exit-codes.ts.
 */
export async function runCli(argv: readonly string[]): Promise<number> {
  const program = new Command('tessera')
    .description('Tessera: backup manager for virtual machines')
    .exitOverride()
    .configureOutput({ writeErr: (text) => process.stderr.write(text) });
  let exitCode: number = EXIT.OK;
  try {
    // Inside the try: a group that fails to load is reported like any other error.
    const registers = await Promise.all(groupsFor(argv).map((group) => group.load()));
    for (const register of registers) register(program, (code) => (exitCode = code));
    await program.parseAsync(argv as string[], { from: 'node' });
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.exitCode === 0 ? EXIT.OK : EXIT.USAGE;
    }
    if (isInterruption(error)) {
      process.stderr.write('tessera: interrupted; nothing was left half-written\n');
      return EXIT.INTERRUPTED;
    }
    if (isTesseraError(error)) {
      process.stderr.write(`tessera: ${error.message} [${error.code}]\n`);
    } else {
      process.stderr.write(
        `tessera: unexpected error (a bug; please report it): ${String((error as Error)?.stack ?? error)}\n`,
      );
    }
    return exitCodeFor(error);
  }
}
