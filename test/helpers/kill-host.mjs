// Fault injection for CLI tests, loaded into the `tessera` process with
// NODE_OPTIONS="--import <this file's URL>": once the engine has received
// TESSERA_TEST_KILL_HOST_AFTER_BLOCKS changed blocks from its backup hosts, the host that sent
// the last one is terminated, as if it had crashed. The engine's code is not touched.
import { isMainThread, Worker } from 'node:worker_threads';

const after = Number(process.env.TESSERA_TEST_KILL_HOST_AFTER_BLOCKS);
if (isMainThread && Number.isInteger(after) && after > 0) {
  const emit = Worker.prototype.emit;
  let blocks = 0;
  let armed = true;
  Worker.prototype.emit = function (event, value, ...rest) {
    if (armed && event === 'message' && value?.type === 'block' && ++blocks >= after) {
      armed = false;
      void this.terminate();
    }
    return emit.call(this, event, value, ...rest);
  };
}
