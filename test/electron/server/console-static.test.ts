/**
 * The built renderer served by the headless console: index.html for every route (the renderer
 * routes on its own), hashed assets with their type and immutable caching, the strict CSP on
 * every page, nothing outside the folder whatever the path says, and a clear answer when the
 * renderer was never built.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { CONTENT_SECURITY_POLICY } from '../../../electron/server/static-files.js';
import { APP_JS, INDEX_HTML, raw, startConsole, type Console } from './harness.js';

let c: Console;
let bare: Console;

beforeAll(async () => {
  c = await startConsole();
  // A file beside the static folder that a traversal would reach.
  await writeFile(path.join(c.root, 'secret.txt'), 'top secret\n');
  bare = await startConsole({ renderer: false });
});
afterAll(async () => {
  await c.stop();
  await bare.stop();
});

const get = (console: Console, pathname: string, method = 'GET') =>
  raw(console.server.port, {
    path: pathname,
    method,
    headers: { authorization: `Bearer ${console.server.token}` },
  });

describe('the renderer', () => {
  it('/ is index.html with the Content-Security-Policy, never cached', async () => {
    const response = await get(c, '/');
    expect(response.status).toBe(200);
    expect(response.body).toBe(INDEX_HTML);
    expect(response.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(response.headers['content-security-policy']).toBe(CONTENT_SECURITY_POLICY);
    expect(response.headers['content-security-policy']).toContain("script-src 'self'");
    expect(response.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(response.headers['cache-control']).toBe('no-store');
    expect(response.headers['x-content-type-options']).toBe('nosniff');
    expect(response.headers['referrer-policy']).toBe('no-referrer');
  });

  it('an unknown route is index.html with the CSP too', async () => {
    for (const route of ['/policies/x', '/jobs/12/log', '/index.html', '/assets/missing.js']) {
      const response = await get(c, route);
      expect(response.status, route).toBe(200);
      expect(response.body, route).toBe(INDEX_HTML);
      expect(response.headers['content-type'], route).toBe('text/html; charset=utf-8');
      expect(response.headers['content-security-policy'], route).toBe(CONTENT_SECURITY_POLICY);
      expect(response.headers['cache-control'], route).toBe('no-store');
    }
  });

  it('a hashed asset is text/javascript, cached as immutable', async () => {
    const response = await get(c, '/assets/app-abc.js');
    expect(response.status).toBe(200);
    expect(response.body).toBe(APP_JS);
    expect(response.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(response.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(response.headers['content-length']).toBe(String(Buffer.byteLength(APP_JS)));
  });

  it('the assets folder itself is a route, not a listing', async () => {
    const response = await get(c, '/assets/');
    expect(response.status).toBe(200);
    expect(response.body).toBe(INDEX_HTML);
  });

  it('HEAD answers the headers without the body', async () => {
    const response = await get(c, '/assets/app-abc.js', 'HEAD');
    expect(response.status).toBe(200);
    expect(response.body).toBe('');
    expect(response.headers['content-length']).toBe(String(Buffer.byteLength(APP_JS)));
  });

  it('other methods than GET and HEAD are 405', async () => {
    const response = await get(c, '/', 'DELETE');
    expect(response.status).toBe(405);
    expect(JSON.parse(response.body)).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
  });
});

describe('a path that leaves the folder', () => {
  const attempts = [
    '/../../etc/passwd',
    '/%2e%2e/%2e%2e/etc/passwd',
    '/..%2f..%2f..%2fetc%2fpasswd',
    '/%2e%2e%2f%2e%2e%2f%2e%2e%2f%2e%2e%2fetc%2fpasswd',
    '/assets/../../../../../../etc/passwd',
    '//etc/passwd',
    '/%2Fetc%2Fpasswd',
    '/..\\..\\..\\etc\\passwd',
    '/../secret.txt',
    '/%2e%2e/secret.txt',
    '/..%2fsecret.txt',
    '/assets/..%2f..%2fsecret.txt',
    '/static/../secret.txt',
    '/etc/passwd%00.js',
  ];

  it('never returns the file outside', async () => {
    for (const attempt of attempts) {
      const response = await get(c, attempt);
      expect(response.body, attempt).not.toMatch(/root:.*:0:0:/);
      expect(response.body, attempt).not.toContain('top secret');
      // Either the renderer's own page or a refusal, never a crash.
      expect([200, 400], attempt).toContain(response.status);
      if (response.status === 200) expect(response.body, attempt).toBe(INDEX_HTML);
    }
  });

  it('a malformed percent-encoding is 400, and the server keeps serving', async () => {
    for (const malformed of ['/%E0%A4%A', '/%', '/assets/%zz.js', '/%C0%AF']) {
      const response = await get(c, malformed);
      expect(response.status, malformed).toBe(400);
      expect(JSON.parse(response.body), malformed).toMatchObject({
        ok: false,
        error: { code: 'BAD_REQUEST', message: 'malformed URL' },
      });
    }
    expect((await get(c, '/')).status).toBe(200);
  });

  // `new URL` throws on a request target such as `//`: that is the client's error, not ours.
  it('a request target that is not a URL is 400, not a 500 internal error', async () => {
    const consoleError = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      for (const target of ['//', '//:99999/x']) {
        const response = await get(c, target);
        expect(response.status, target).toBe(400);
        expect(JSON.parse(response.body), target).toMatchObject({
          ok: false,
          error: { code: 'BAD_REQUEST' },
        });
      }
      expect(consoleError).not.toHaveBeenCalled();
    } finally {
      consoleError.mockRestore();
    }
  });
});

describe('a missing build', () => {
  it('is 503 naming npm run build:renderer, for the page and for an asset', async () => {
    for (const route of ['/', '/policies/x', '/assets/app-abc.js']) {
      const response = await get(bare, route);
      expect(response.status, route).toBe(503);
      expect(response.headers['content-type']).toBe('text/plain; charset=utf-8');
      expect(response.body).toContain('npm run build:renderer');
      expect(response.body).toContain(bare.staticDir);
    }
  });

  it('still serves the API', async () => {
    const response = await raw(bare.server.port, {
      path: '/api/app.info',
      method: 'POST',
      headers: { authorization: `Bearer ${bare.server.token}`, 'content-type': 'application/json' },
      body: '{}',
    });
    expect(response.status).toBe(200);
  });
});

describe('the static folder spelled another way', () => {
  const spellings: [string, (dir: string) => string][] = [
    ['with a trailing slash', (dir) => `${dir}${path.sep}`],
    ['relative to the working directory', (dir) => path.relative(process.cwd(), dir)],
    ['with a dot segment', (dir) => path.join(dir, 'assets') + `${path.sep}..`],
  ];
  for (const [how, spell] of spellings) {
    // The root is resolved before the inside-the-folder check, however it is spelled.
    it(`${how} still serves the assets`, async () => {
      const odd = await startConsole({ spellStaticDir: spell });
      try {
        const response = await get(odd, '/assets/app-abc.js');
        expect(response.status).toBe(200);
        expect(response.headers['content-type']).toBe('text/javascript; charset=utf-8');
        expect(response.body).toBe(APP_JS);
      } finally {
        await odd.stop();
      }
    });
  }
});
