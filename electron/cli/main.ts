#!/usr/bin/env node
// Entry point of the `tessera` command: installs the Ctrl-C handler and runs the program.
import { EXIT } from './exit-codes.js';
import { installInterruptHandler } from './interrupt.js';
import { endProcess, processEndsWithCommand } from './process-end.js';
import { runCli } from './program.js';

installInterruptHandler(EXIT.INTERRUPTED);
processEndsWithCommand();
// Exits as soon as the output is out: an open catalog is closed by the exit, without a
// checkpoint (process-end.ts).
await endProcess(await runCli(process.argv));
