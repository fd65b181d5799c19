/**
 * One headless console per test: `tessera serve` started from the sources (as `npm start`
 * does) on a free port with a fresh data directory, and stopped with Ctrl-C afterwards, as a
 * user would. VMs for the tests are made with qemu-img in the test's own folder.
 */
import { test as base, type Page, type TestInfo } from '@playwright/test';
import { spawn, type ChildProcess } from 'node:child_process';
import { execFile } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const root = path.resolve(import.meta.dirname, '..', '..');
const run = promisify(execFile);

export interface ConsoleApp {
  /** The URL `tessera serve` printed, token included. */
  readonly url: string;
  /** The same server without the token. */
  readonly origin: string;
  readonly dataDir: string;
  /** A folder for the test's VMs (add it as a folder source). */
  readonly vmsDir: string;
  /** A VM folder with one disk made by qemu-img, holding some data so backups store bytes. */
  makeVm(
    name: string,
    options?: { format?: 'vhdx' | 'vpc' | 'raw'; sizeMiB?: number; dataMiB?: number },
  ): Promise<string>;
  /** Overwrites a range of a VM's disk, as a guest would between two backups. */
  writeToDisk(disk: string, offsetMiB: number, lengthMiB: number, pattern: number): Promise<void>;
}

function waitForUrl(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(
      () => reject(new Error(`tessera serve printed no URL:\n${output}`)),
      30_000,
    );
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      const match = /open:\s+(http:\/\/\S+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`tessera serve exited (${code}) before printing a URL:\n${output}`));
    });
  });
}

export const test = base.extend<{ app: ConsoleApp }>({
  // Playwright reads a fixture's dependencies from its first parameter's pattern: none here.
  // eslint-disable-next-line no-empty-pattern
  app: async ({}, use) => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'tessera-e2e-'));
    const dataDir = path.join(dir, 'data');
    const vmsDir = path.join(dir, 'vms');
    await mkdir(vmsDir);
    const child = spawn(
      process.execPath,
      [
        path.join(root, 'node_modules', 'tsx', 'dist', 'cli.mjs'),
        path.join(root, 'electron', 'cli', 'main.ts'),
        'serve',
        '--port',
        '0',
        '--data',
        dataDir,
        '--no-scheduler',
      ],
      { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    try {
      const url = await waitForUrl(child);
      const qemuImg = (...args: string[]) => run('qemu-img', args);
      const qemuIo = (...args: string[]) => run('qemu-io', args);
      await use({
        url,
        origin: new URL(url).origin,
        dataDir,
        vmsDir,
        makeVm: async (name, options = {}) => {
          const format = options.format ?? 'vhdx';
          const folder = path.join(vmsDir, name);
          await mkdir(folder, { recursive: true });
          const extension = format === 'vpc' ? 'vhd' : format === 'raw' ? 'img' : format;
          const disk = path.join(folder, `${name}.${extension}`);
          await qemuImg('create', '-q', '-f', format, disk, `${options.sizeMiB ?? 32}M`);
          const dataMiB = options.dataMiB ?? 4;
          await qemuIo(
            '-f',
            format,
            '-c',
            `write -P 0x5a 1M ${dataMiB}M`,
            '-c',
            `write -P 0x17 ${dataMiB + 2}M 2M`,
            disk,
          );
          return disk;
        },
        writeToDisk: async (disk, offsetMiB, lengthMiB, pattern) => {
          const format = disk.endsWith('.vhd') ? 'vpc' : disk.endsWith('.img') ? 'raw' : 'vhdx';
          await qemuIo('-f', format, '-c', `write -P ${pattern} ${offsetMiB}M ${lengthMiB}M`, disk);
        },
      });
    } finally {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      if (child.exitCode === null) child.kill('SIGINT');
      await exited;
      await rm(dir, { recursive: true, force: true });
    }
  },
});

export { expect } from '@playwright/test';

/**
 * A screenshot of the page as a test artifact, also copied to test-results/screenshots/ so
 * every screen can be looked at after a run.
 */
export async function screenshot(page: Page, testInfo: TestInfo, name: string): Promise<void> {
  const file = testInfo.outputPath(`${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  await testInfo.attach(name, { path: file, contentType: 'image/png' });
  const gallery = path.join(root, 'test-results', 'screenshots');
  await mkdir(gallery, { recursive: true });
  await copyFile(file, path.join(gallery, `${name}.png`));
}
