#!/usr/bin/env node
// Entry point of the `tessera` command: installs the Ctrl-C handler and runs the program.
import { EXIT } from './exit-codes.js';
import { installInterruptHandler } from './interrupt.js';
import { runCli } from './program.js';

installInterruptHandler(EXIT.INTERRUPTED);
process.exitCode = await runCli(process.argv);
