/**
 * Whether the process ends when the command does (the `tessera` command itself, not a test
 * or another program calling runCli): then databases are left for the exit to close.
 *
 * SQLite checkpoints a WAL database when its last connection closes, and a checkpoint
 * fsyncs. On ext4 that fsync commits the journal, which waits for the kernel to write back
 * the data of every file written since: after a 4 GiB restore, 0.6 s of a 4 s command spent
 * waiting for data the restore never asked to be durable (as for qemu-img and restic, it is
 * not by default). The catalog runs with synchronous=NORMAL: its commits are in the WAL, safe
 * from any crash of the process, and reach the database file at a later checkpoint (the WAL's
 * automatic one every 1000 pages, or when the app or a test closes the catalog). Only a power
 * loss before then can take the latest job records, never an image: those are in the storage
 * unit, and `tessera catalog rebuild` recreates the catalog from it.
 */
let endsWithCommand = false;

/** Called by the `tessera` entry point, which exits with process.exit() after the command. */
export function processEndsWithCommand(): void {
  endsWithCommand = true;
}

export function doesProcessEndWithCommand(): boolean {
  return endsWithCommand;
}

/**
 * Exits with `code` once stdout and stderr have written out what they were given: writes to
 * a pipe are asynchronous, and process.exit() would cut a long `--json` answer off at the
 * pipe's 64 KiB.
 */
export async function endProcess(code: number): Promise<never> {
  await Promise.all(
    [process.stdout, process.stderr].map(
      (stream) => new Promise<void>((resolve) => stream.write('', () => resolve())),
    ),
  );
  process.exit(code);
}
