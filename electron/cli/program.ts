import { Command, CommanderError } from 'commander';
import { isTesseraError } from '../../shared/errors.js';
import { registerBackupCommands } from './commands/backup.js';
import { registerDiskCommands } from './commands/disk.js';
import { registerHostCommands } from './commands/hosts.js';
import { registerInventoryCommands } from './commands/inventory.js';
import { registerJobCommands } from './commands/jobs.js';
import { registerPolicyCommands } from './commands/policy.js';
import { registerRestoreCommand } from './commands/restore.js';
import { registerServeCommand } from './commands/serve.js';
import { EXIT, exitCodeFor } from './exit-codes.js';
import { isInterruption } from './interrupt.js';

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
  registerDiskCommands(program);
  registerBackupCommands(program, (code) => (exitCode = code));
  registerRestoreCommand(program);
  registerInventoryCommands(program);
  registerPolicyCommands(program);
  registerJobCommands(program, (code) => (exitCode = code));
  registerHostCommands(program);
  registerServeCommand(program);
  try {
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
