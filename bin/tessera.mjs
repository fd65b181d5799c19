#!/usr/bin/env node
// The installed `tessera` command runs the compiled CLI (npm run build; npm ci does it via prepare).
try {
  await import('../out/electron/cli/main.js');
} catch (error) {
  if (
    error?.code === 'ERR_MODULE_NOT_FOUND' &&
    String(error.message).includes('out/electron/cli/main.js')
  ) {
    console.error(
      'tessera: the CLI is not built yet; run `npm run build` (or use `npm run tessera -- <args>`)',
    );
    process.exit(1);
  }
  throw error;
}
