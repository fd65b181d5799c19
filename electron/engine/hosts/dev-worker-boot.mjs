// Starts a worker from TypeScript source when the engine itself runs from source (tests, tsx):
// registers tsx in the worker thread, then loads the real entry. Built code never uses this.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.entry);
