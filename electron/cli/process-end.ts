/**
 * Whether the process ends when the command does (the `tessera` command itself, not a test
 * or another program calling runCli): then databases are left for the exit to close.
 *
 * SQLite checkpoints a WAL database when its last connection closes, and a checkpoint
 * fsyncs. On ext4 that fsync commits the journal, which waits for the kernel to write back
 * the data of every file written since: after a 4 GiB restore, 0.6 s of a 4 s command spent
 * waiting for data the restore never asked to be durable (as for qemu-img and restic, it is
 * not by default). The catalog runs with synchronous=NORMAL, whose commits become durable at
 * the next checkpoint: the next process that opens it makes that one. A process that exits
 * without closing is what WAL mode is built to recover from; nothing committed is lost by it.
 */
let endsWithCommand = false;

/** Called by the `tessera` entry point, which exits with process.exit() after the command. */
export function processEndsWithCommand(): void {
  endsWithCommand = true;
}

export function doesProcessEndWithCommand(): boolean {
  return endsWithCommand;
}
