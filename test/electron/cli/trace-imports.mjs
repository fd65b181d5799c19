// Loaded into the `tessera` process with NODE_OPTIONS="--import <this file's URL>": appends
// the URL of every module the process loads, one a line, to $TESSERA_TEST_TRACE_IMPORTS, so a
// test can tell which command groups and libraries a command loaded. The CLI is not touched.
import { register } from 'node:module';

// The hooks run on the loader's own thread; they are small enough to pass inline.
const hooks = `
import { appendFileSync } from 'node:fs';
export async function load(url, context, next) {
  const file = process.env.TESSERA_TEST_TRACE_IMPORTS;
  if (file && !url.startsWith('node:')) appendFileSync(file, url + '\\n');
  return next(url, context);
}`;
register(`data:text/javascript,${encodeURIComponent(hooks)}`);
