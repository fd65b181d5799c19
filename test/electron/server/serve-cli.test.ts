/**
 * `tessera serve` as a user runs it, in a child process: it prints the URL with its token,
 * serves the console on it, warns when the renderer is not built, and stops cleanly on
 * SIGTERM. Requests that could bring the whole process down are tried here, where a crash
 * kills the child and not the test runner.
 */
import type { ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tessera, type CliResult } from '../../helpers/cli.js';
import { scratchDir } from '../../helpers/scratch.js';
import { INDEX_HTML, writeRenderer } from './harness.js';

let root: string;
let cleanup: () => Promise<void>;

beforeAll(async () => {
  ({ dir: root, cleanup } = await scratchDir('tessera-serve-'));
});
afterAll(async () => cleanup());

interface Served {
  readonly child: ChildProcess;
  readonly url: URL;
  readonly token: string;
  readonly origin: string;
  /** The CLI's result once the process has ended. */
  readonly result: Promise<CliResult>;
  stderr(): string;
}

/** Starts `tessera serve` and resolves once it has printed its URL. */
async function serve(name: string, extra: readonly string[] = []): Promise<Served> {
  let child!: ChildProcess;
  let stderr = '';
  let printed!: (url: string) => void;
  const urlPrinted = new Promise<string>((resolve) => (printed = resolve));
  const result = tessera(
    ['serve', '--data', path.join(root, name, 'data'), '--no-scheduler', ...extra],
    {
      onSpawn: (spawned) => {
        child = spawned;
        let stdout = '';
        spawned.stdout!.on('data', (chunk: Buffer) => {
          stdout += chunk.toString();
          const match = /^open: +(\S+)$/m.exec(stdout);
          if (match) printed(match[1]!);
        });
        spawned.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      },
    },
  );
  const url = new URL(
    await Promise.race([
      urlPrinted,
      result.then((r) => {
        throw new Error(`tessera serve ended before printing its URL: ${JSON.stringify(r)}`);
      }),
    ]),
  );
  return {
    child,
    url,
    token: url.searchParams.get('token')!,
    origin: url.origin,
    result,
    stderr: () => stderr,
  };
}

async function appInfo(served: Served): Promise<Response> {
  return fetch(`${served.origin}/api/app.info`, {
    method: 'POST',
    headers: { authorization: `Bearer ${served.token}`, 'content-type': 'application/json' },
    body: '{}',
  });
}

/** Sends raw bytes and resolves with what comes back before the server closes or 2 s pass. */
function rawExchange(port: number, bytes: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    let received = '';
    const guard = setTimeout(() => socket.destroy(), 2000);
    socket.on('data', (chunk: Buffer) => (received += chunk.toString()));
    socket.on('close', () => {
      clearTimeout(guard);
      resolve(received);
    });
    socket.on('error', () => undefined);
    socket.write(bytes);
  });
}

describe('tessera serve', () => {
  it('prints a 127.0.0.1 URL with its token, serves the console there and stops on SIGTERM', async () => {
    const staticDir = path.join(root, 'built');
    await writeRenderer(staticDir);
    const served = await serve('one', ['--static', staticDir]);
    try {
      expect(served.url.hostname).toBe('127.0.0.1');
      expect(Number(served.url.port)).toBeGreaterThan(0);
      expect(served.token).toMatch(/^[A-Za-z0-9_-]{32}$/);
      const info = await appInfo(served);
      expect(info.status).toBe(200);
      expect(await info.json()).toMatchObject({
        ok: true,
        result: { shell: 'console', dataDir: path.join(root, 'one', 'data'), firstRun: true },
      });
      const page = await fetch(served.url);
      expect(page.status).toBe(200);
      expect(await page.text()).toBe(INDEX_HTML);
      expect(served.stderr()).not.toContain('warning');
    } finally {
      served.child.kill('SIGTERM');
    }
    const result = await served.result;
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('SIGTERM: stopping');
    expect(result.stdout).toContain(`data:  ${path.join(root, 'one', 'data')}`);
  });

  it('warns when the renderer is not built, and still serves the API', async () => {
    const served = await serve('two', ['--static', path.join(root, 'nothing-here')]);
    try {
      expect(served.stderr()).toMatch(
        /no built renderer in .*nothing-here.*npm run build:renderer/,
      );
      expect((await appInfo(served)).status).toBe(200);
      const page = await fetch(served.url);
      expect(page.status).toBe(503);
      expect(await page.text()).toContain('npm run build:renderer');
    } finally {
      served.child.kill('SIGTERM');
    }
    expect((await served.result).code).toBe(0);
  });

  it('refuses a --port that is not a port number', async () => {
    for (const port of ['abc', '70000', '-1']) {
      const result = await tessera(['serve', '--data', path.join(root, 'three'), '--port', port]);
      expect(result.code, port).not.toBe(0);
      expect(result.stderr, port).toMatch(/--port must be a port number/);
    }
  });

  // A target that is not a URL must not throw inside the upgrade listener (it would kill the
  // process, before any token check).
  it('survives a WebSocket upgrade whose request target is not a URL', async () => {
    const served = await serve('four');
    const port = Number(served.url.port);
    try {
      await rawExchange(
        port,
        'GET // HTTP/1.1\r\n' +
          `Host: 127.0.0.1:${port}\r\n` +
          'Upgrade: websocket\r\nConnection: Upgrade\r\n' +
          'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
      );
      // The server must still be there for everyone else.
      expect((await appInfo(served)).status).toBe(200);
    } finally {
      served.child.kill('SIGTERM');
      await served.result;
    }
  });
});
