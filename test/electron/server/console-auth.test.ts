/**
 * The headless console's guard, against a real server on a free port: the per-run token (as a
 * bearer header, the URL's `token` parameter or the cookie opening that URL leaves), loopback
 * Host and Origin only, 127.0.0.1 only, and close() that really lets go of the port and the
 * WebSockets.
 */
import { connect } from 'node:net';
import os from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiEnvelope } from '../../../shared/api.js';
import { TOKEN_COOKIE } from '../../../electron/server/auth.js';
import {
  INDEX_HTML,
  openEvents,
  raw,
  refusedUpgrade,
  startConsole,
  type Console,
} from './harness.js';

/** 'connected', or the error code of a TCP connection attempt. */
function tryConnect(host: string, port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
  });
}

function envelope(body: string): ApiEnvelope<'app.info'> {
  return JSON.parse(body) as ApiEnvelope<'app.info'>;
}

let c: Console;
let token: string;
let port: number;
let host: string;

beforeAll(async () => {
  c = await startConsole();
  ({ token, port } = c.server);
  host = `127.0.0.1:${port}`;
});
afterAll(async () => c.stop());

describe('the console listens', () => {
  it('on 127.0.0.1 only, and prints a URL with its token', async () => {
    expect(c.server.url).toBe(`http://127.0.0.1:${port}/?token=${token}`);
    expect(token).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(await tryConnect('127.0.0.1', port)).toBe('connected');
    // Another loopback address reaches the same interface, but not a socket bound to 127.0.0.1.
    expect(await tryConnect('127.0.0.2', port)).toBe('ECONNREFUSED');
    expect(await tryConnect('::1', port)).not.toBe('connected');
    const external = Object.values(os.networkInterfaces())
      .flat()
      .filter((nic) => nic && !nic.internal)
      .map((nic) => nic!.address);
    for (const address of external) expect(await tryConnect(address, port)).not.toBe('connected');
  });

  it('with a new random token per run unless one is given', async () => {
    const other = await startConsole({ renderer: false });
    try {
      expect(other.server.token).not.toBe(token);
      expect(other.server.port).not.toBe(port);
    } finally {
      await other.stop();
    }
  });
});

describe('without the token', () => {
  it('the API answers 401 with an UNAUTHORIZED envelope', async () => {
    const response = await fetch(`${c.origin}/api/app.info`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(response.status).toBe(401);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    const body = (await response.json()) as ApiEnvelope<'app.info'>;
    expect(body).toMatchObject({ ok: false, error: { code: 'UNAUTHORIZED' } });
    expect(!body.ok && body.error.message).toMatch(/token/);
  });

  it('the page answers 401 with an UNAUTHORIZED envelope, and sets no cookie', async () => {
    for (const path of ['/', '/assets/app-abc.js', '/policies/x']) {
      const response = await raw(port, { path });
      expect(response.status, path).toBe(401);
      expect(envelope(response.body)).toMatchObject({
        ok: false,
        error: { code: 'UNAUTHORIZED' },
      });
      expect(response.body).not.toContain('Tessera</title>');
      expect(response.headers['set-cookie']).toBeUndefined();
    }
  });

  it('the WebSocket upgrade is refused with 401', async () => {
    expect(await refusedUpgrade(`ws://${host}/events`)).toBe(401);
  });
});

describe('a wrong token', () => {
  // Same length (the constant-time comparison) and a different length.
  const wrongTokens = () => [token.slice(0, -1) + (token.endsWith('A') ? 'B' : 'A'), 'nope', ''];

  it('is refused as a bearer header, a URL parameter or a cookie', async () => {
    for (const wrong of wrongTokens()) {
      const asBearer = await raw(port, {
        path: '/api/app.info',
        method: 'POST',
        headers: { authorization: `Bearer ${wrong}`, 'content-type': 'application/json' },
        body: '{}',
      });
      expect(asBearer.status, `bearer "${wrong}"`).toBe(401);
      expect(envelope(asBearer.body)).toMatchObject({ error: { code: 'UNAUTHORIZED' } });
      const asParam = await raw(port, { path: `/?token=${encodeURIComponent(wrong)}` });
      expect(asParam.status, `?token=${wrong}`).toBe(401);
      expect(asParam.headers['set-cookie']).toBeUndefined();
      const asCookie = await raw(port, {
        path: '/',
        headers: { cookie: `${TOKEN_COOKIE}=${wrong}` },
      });
      expect(asCookie.status, `cookie "${wrong}"`).toBe(401);
    }
  });

  it('is refused on the WebSocket upgrade', async () => {
    for (const wrong of wrongTokens()) {
      expect(
        await refusedUpgrade(`ws://${host}/events`, {
          headers: { authorization: `Bearer ${wrong}` },
        }),
      ).toBe(401);
      expect(await refusedUpgrade(`ws://${host}/events?token=${encodeURIComponent(wrong)}`)).toBe(
        401,
      );
    }
  });

  it('in the header is not rescued by a right one in the URL', async () => {
    const response = await raw(port, {
      path: `/?token=${token}`,
      headers: { authorization: 'Bearer nope' },
    });
    expect(response.status).toBe(401);
  });
});

describe('the right token', () => {
  it('passes as a bearer header', async () => {
    const response = await fetch(`${c.origin}/api/app.info`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: '{}',
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ ok: true, result: { shell: 'console' } });
  });

  it('passes as ?token= on the API and the page', async () => {
    const api = await fetch(`${c.origin}/api/app.info?token=${token}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(api.status).toBe(200);
    expect(api.headers.get('set-cookie')).toBeNull();
    const page = await fetch(c.server.url);
    expect(page.status).toBe(200);
    expect(await page.text()).toBe(INDEX_HTML);
  });

  it('in the printed URL leaves an HttpOnly, SameSite=Strict cookie that then passes alone', async () => {
    const opened = await raw(port, { path: `/?token=${token}` });
    expect(opened.status).toBe(200);
    const cookies = opened.headers['set-cookie'] ?? [];
    expect(cookies).toHaveLength(1);
    const cookie = cookies[0]!;
    const [pair, ...attributes] = cookie.split(';').map((part) => part.trim());
    expect(pair).toBe(`${TOKEN_COOKIE}=${token}`);
    const lower = attributes.map((a) => a.toLowerCase());
    expect(lower).toContain('httponly');
    expect(lower).toContain('samesite=strict');
    expect(lower).toContain('path=/');

    // The page's own requests carry only the cookie (what the browser sends back).
    const headers = { cookie: pair! };
    const asset = await raw(port, { path: '/assets/app-abc.js', headers });
    expect(asset.status).toBe(200);
    expect(asset.headers['set-cookie']).toBeUndefined();
    const api = await raw(port, {
      path: '/api/app.info',
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json' },
      body: '{}',
    });
    expect(api.status).toBe(200);
    expect(envelope(api.body)).toMatchObject({ ok: true });
    // Among other cookies too.
    const mixed = await raw(port, {
      path: '/',
      headers: { cookie: `theme=dark; ${pair!}; other=1` },
    });
    expect(mixed.status).toBe(200);
  });

  it('opens the WebSocket as a bearer header, a URL parameter or a cookie', async () => {
    const viaBearer = await openEvents(c);
    const viaParam = await openEvents(c, {
      url: `ws://${host}/events?token=${token}`,
      headers: {},
    });
    const viaCookie = await openEvents(c, {
      url: `ws://${host}/events`,
      headers: { cookie: `${TOKEN_COOKIE}=${token}` },
    });
    for (const stream of [viaBearer, viaParam, viaCookie]) {
      expect(stream.ws.readyState).toBe(stream.ws.OPEN);
      stream.ws.close();
      await stream.closed;
    }
  });

  it('does not open another path as a WebSocket', async () => {
    expect(
      await refusedUpgrade(`ws://${host}/api/app.info`, {
        headers: { authorization: `Bearer ${token}` },
      }),
    ).toBe(404);
  });
});

describe('Host and Origin', () => {
  const bearer = () => ({ authorization: `Bearer ${token}` });

  it('a Host other than 127.0.0.1 or localhost with this port is refused with 403', async () => {
    for (const foreign of [
      `evil.example:${port}`,
      'evil.example',
      `127.0.0.1:${port + 1}`,
      `127.0.0.1`,
      `localhost.evil.example:${port}`,
      `[::1]:${port}`,
    ]) {
      for (const path of ['/', '/api/app.info']) {
        const response = await raw(port, {
          path,
          method: path === '/' ? 'GET' : 'POST',
          headers: { ...bearer(), host: foreign, 'content-type': 'application/json' },
          body: path === '/' ? undefined : '{}',
        });
        expect(response.status, `${foreign} ${path}`).toBe(403);
        expect(envelope(response.body)).toMatchObject({
          ok: false,
          error: { code: 'UNAUTHORIZED' },
        });
      }
    }
  });

  it('localhost:<port> and 127.0.0.1:<port> are both accepted', async () => {
    for (const own of [`localhost:${port}`, `127.0.0.1:${port}`]) {
      const response = await raw(port, { path: '/', headers: { ...bearer(), host: own } });
      expect(response.status, own).toBe(200);
    }
  });

  it('a foreign Host is refused even before the token is checked (DNS rebinding)', async () => {
    const response = await raw(port, {
      path: `/?token=${token}`,
      headers: { host: `rebind.example:${port}` },
    });
    expect(response.status).toBe(403);
    expect(response.headers['set-cookie']).toBeUndefined();
  });

  it('a foreign Origin is refused with 403 over HTTP', async () => {
    for (const origin of [
      'http://evil.example',
      `http://evil.example:${port}`,
      `http://127.0.0.1:${port + 1}`,
      'null',
      'not a url',
    ]) {
      const response = await raw(port, {
        path: '/api/app.info',
        method: 'POST',
        headers: { ...bearer(), origin, 'content-type': 'application/json' },
        body: '{}',
      });
      expect(response.status, origin).toBe(403);
      expect(envelope(response.body)).toMatchObject({ error: { code: 'UNAUTHORIZED' } });
    }
    for (const origin of [`http://127.0.0.1:${port}`, `http://localhost:${port}`]) {
      const response = await raw(port, {
        path: '/api/app.info',
        method: 'POST',
        headers: { ...bearer(), origin, 'content-type': 'application/json' },
        body: '{}',
      });
      expect(response.status, origin).toBe(200);
    }
  });

  it('a foreign Origin or Host is refused with 403 on the WebSocket upgrade', async () => {
    expect(
      await refusedUpgrade(`ws://${host}/events`, {
        headers: bearer(),
        origin: 'http://evil.example',
      }),
    ).toBe(403);
    expect(
      await refusedUpgrade(`ws://${host}/events`, {
        headers: { ...bearer(), host: `evil.example:${port}` },
      }),
    ).toBe(403);
    const own = await openEvents(c, {
      url: `ws://${host}/events`,
      headers: { ...bearer(), origin: `http://localhost:${port}` },
    });
    own.ws.close();
    await own.closed;
  });
});

describe('close()', () => {
  it('closes open WebSockets and lets go of the port', async () => {
    const d = await startConsole({ renderer: false });
    const stream = await openEvents(d);
    const dPort = d.server.port;
    expect(await tryConnect('127.0.0.1', dPort)).toBe('connected');
    await d.server.close();
    // The WebSocket is closed from the server's side (terminated: no close frame).
    expect(await stream.closed).toBe(1006);
    expect(stream.ws.readyState).toBe(stream.ws.CLOSED);
    expect(await tryConnect('127.0.0.1', dPort)).toBe('ECONNREFUSED');
    await expect(
      fetch(`http://127.0.0.1:${dPort}/api/app.info`, {
        method: 'POST',
        headers: { authorization: `Bearer ${d.server.token}`, 'content-type': 'application/json' },
        body: '{}',
      }),
    ).rejects.toThrow();
    await d.stop();
  });

  it('does not wait for an idle keep-alive connection', async () => {
    const d = await startConsole({ renderer: false });
    // fetch keeps its connection open for reuse.
    const response = await fetch(`${d.origin}/api/app.info`, {
      method: 'POST',
      headers: { authorization: `Bearer ${d.server.token}`, 'content-type': 'application/json' },
      body: '{}',
    });
    expect(response.status).toBe(200);
    await response.text();
    await d.server.close();
    expect(await tryConnect('127.0.0.1', d.server.port)).toBe('ECONNREFUSED');
    await d.stop();
  });
});
