#!/usr/bin/env node
// `npm start`: the Electron app where Electron's binary is installed; elsewhere (no binary, no
// display, or TESSERA_HEADLESS=1) the headless console, which prints the URL to open.
// Arguments after `npm start --` go to `tessera serve` (e.g. --port 8080 --data DIR).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

/** The Electron executable, without triggering the electron package's download-on-require. */
function electronBinary() {
  const dir = path.join(root, 'node_modules', 'electron');
  const pathFile = path.join(dir, 'path.txt');
  if (!existsSync(pathFile)) return null;
  const binary = path.join(dir, 'dist', readFileSync(pathFile, 'utf8').trim());
  return existsSync(binary) ? binary : null;
}

function whyHeadless() {
  if (process.env.TESSERA_HEADLESS === '1') return 'TESSERA_HEADLESS=1 is set';
  if (!electronBinary()) {
    return "Electron's binary is not installed (node_modules/electron/dist); where there is internet, `npx install-electron` fetches it";
  }
  const display = process.env.DISPLAY || process.env.WAYLAND_DISPLAY;
  if (process.platform === 'linux' && !display) return 'there is no display (DISPLAY is not set)';
  return null;
}

function run(script) {
  const result = spawnSync(npm, ['run', '-s', script], { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) process.exit(result.status ?? 1);
}

/** Runs a child to its end, passing Ctrl-C and SIGTERM on so it can stop cleanly. */
function supervise(command, args) {
  const child = spawn(command, args, { cwd: root, stdio: 'inherit' });
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 130 : 1)));
}

const args = process.argv.slice(2);
const reason = whyHeadless();
if (reason) {
  console.log(`tessera: ${reason}; starting the headless console instead.`);
  run('build:renderer');
  supervise(process.execPath, [
    path.join(root, 'node_modules', 'tsx', 'dist', 'cli.mjs'),
    path.join(root, 'electron', 'cli', 'main.ts'),
    'serve',
    ...args,
  ]);
} else {
  run('build');
  supervise(electronBinary(), [root, ...args]);
}
