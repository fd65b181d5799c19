/**
 * The headless console: the built renderer and the app's API over HTTP and WebSocket, on
 * 127.0.0.1 only, behind a per-run token. It is how Tessera's UI runs where Electron does not
 * (a server, a machine without a display server) and how the end-to-end tests drive the UI.
 *
 *   POST /api/<method>   JSON params → JSON ApiEnvelope (200 ok; 4xx/5xx with the error)
 *   GET  /events         WebSocket: one JSON ApiEvent per message
 *   GET  /…              the renderer (index.html for any route)
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import {
  EVENTS_PATH,
  HTTP_API_PREFIX,
  TOKEN_PARAM,
  type ApiEnvelope,
  type ApiErrorBody,
  type ApiMethod,
} from '../../shared/api.js';
import type { ApiHandler } from '../api/handler.js';
import { isAuthorized, isOwnHost, newToken, tokenCookie } from './auth.js';
import { CONTENT_SECURITY_POLICY, staticFile } from './static-files.js';

/** Requests are small JSON objects; anything larger is a mistake or an attack. */
const MAX_BODY_BYTES = 1024 * 1024;
/** Pings keep idle WebSockets alive through the browser's and any proxy's timeouts. */
const PING_MS = 30_000;

export interface ConsoleServerOptions {
  readonly handler: ApiHandler;
  /** The built renderer (out/renderer). */
  readonly staticDir: string;
  /** 0 (the default) picks a free port. */
  readonly port?: number;
  /** The per-run token; a new random one by default. */
  readonly token?: string;
}

export interface ConsoleServer {
  readonly port: number;
  readonly token: string;
  /** The URL to open, token included. */
  readonly url: string;
  close(): Promise<void>;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: ApiErrorBody,
  ) {
    super(body.message);
  }
}

function httpStatusOf(error: ApiErrorBody): number {
  switch (error.code) {
    case 'BAD_REQUEST':
      return 400;
    case 'UNAUTHORIZED':
      return 401;
    case 'UNKNOWN_METHOD':
    case 'CATALOG_NOT_FOUND':
    case 'IMAGE_NOT_FOUND':
      return 404;
    case 'CATALOG_CONFLICT':
    case 'IMAGE_EXISTS':
      return 409;
    case 'INTERNAL':
      return 500;
    default:
      return 422;
  }
}

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
  });
  response.end(text);
}

function sendError(response: ServerResponse, status: number, error: ApiErrorBody): void {
  const envelope: ApiEnvelope<ApiMethod> = { ok: false, error };
  sendJson(response, status, envelope);
}

async function readJson(request: IncomingMessage): Promise<unknown> {
  if (!(request.headers['content-type'] ?? '').startsWith('application/json')) {
    // Also what keeps a plain HTML form on another site from posting here.
    throw new HttpError(415, {
      code: 'BAD_REQUEST',
      message: 'send the request as application/json',
    });
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) {
      // Reading on (and dropping) lets the client see the 413 instead of a reset connection.
      request.resume();
      throw new HttpError(413, { code: 'BAD_REQUEST', message: 'the request body is too large' });
    }
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') return {};
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new HttpError(400, {
      code: 'BAD_REQUEST',
      message: 'the request body is not valid JSON',
    });
  }
}

/** The request target as a URL; null when it is not one (`//`, `//:99999`): a bad request. */
function requestUrl(request: IncomingMessage): URL | null {
  try {
    return new URL(request.url ?? '/', 'http://127.0.0.1');
  } catch {
    return null;
  }
}

export async function startConsoleServer(options: ConsoleServerOptions): Promise<ConsoleServer> {
  const token = options.token ?? newToken();
  const sockets = new Set<WebSocket>();
  let port = 0;

  const serveApi = async (method: string, request: IncomingMessage, response: ServerResponse) => {
    if (request.method !== 'POST') {
      response.setHeader('allow', 'POST');
      return sendError(response, 405, { code: 'BAD_REQUEST', message: 'API calls are POST' });
    }
    const params = await readJson(request);
    const envelope = await options.handler.handle(method, params);
    if (envelope.ok) sendJson(response, 200, envelope);
    else sendJson(response, httpStatusOf(envelope.error), envelope);
  };

  const serveStatic = async (url: URL, request: IncomingMessage, response: ServerResponse) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      return sendError(response, 405, { code: 'BAD_REQUEST', message: 'only GET is served here' });
    }
    const file = await staticFile(options.staticDir, url.pathname);
    if (!file) {
      response.writeHead(503, { 'content-type': 'text/plain; charset=utf-8' });
      return response.end(
        `The renderer is not built (nothing in ${options.staticDir}): run npm run build:renderer\n`,
      );
    }
    const headers: Record<string, string | number> = {
      'content-type': file.type,
      'content-length': file.body.length,
      'content-security-policy': CONTENT_SECURITY_POLICY,
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
      'cache-control': file.immutable ? 'public, max-age=31536000, immutable' : 'no-store',
    };
    // Opening the printed URL leaves the token in a cookie, so the page's own asset requests
    // (which carry no header) pass the guard.
    if (url.searchParams.has(TOKEN_PARAM)) headers['set-cookie'] = tokenCookie(token);
    response.writeHead(200, headers);
    response.end(request.method === 'HEAD' ? undefined : file.body);
  };

  const server = createServer((request, response) => {
    void (async () => {
      const url = requestUrl(request);
      if (!url) {
        return sendError(response, 400, { code: 'BAD_REQUEST', message: 'malformed URL' });
      }
      if (!isOwnHost(request, port)) {
        return sendError(response, 403, {
          code: 'UNAUTHORIZED',
          message: 'this server answers only to 127.0.0.1 and localhost',
        });
      }
      if (!isAuthorized(request, url, token)) {
        return sendError(response, 401, {
          code: 'UNAUTHORIZED',
          message: 'open the URL with its token that `tessera serve` printed',
        });
      }
      if (url.pathname.startsWith(HTTP_API_PREFIX)) {
        return serveApi(url.pathname.slice(HTTP_API_PREFIX.length), request, response);
      }
      return serveStatic(url, request, response);
    })().catch((error: unknown) => {
      if (response.headersSent) return response.destroy();
      if (error instanceof HttpError) return sendError(response, error.status, error.body);
      if (error instanceof URIError) {
        return sendError(response, 400, { code: 'BAD_REQUEST', message: 'malformed URL' });
      }
      console.error(error);
      sendError(response, 500, { code: 'INTERNAL', message: String(error) });
    });
  });

  const events = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 });
  server.on('upgrade', (request, socket, head) => {
    const url = requestUrl(request);
    const refuse = (status: string): void => {
      socket.end(`HTTP/1.1 ${status}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`);
    };
    if (!url) return refuse('400 Bad Request');
    if (url.pathname !== EVENTS_PATH) return refuse('404 Not Found');
    if (!isOwnHost(request, port)) return refuse('403 Forbidden');
    if (!isAuthorized(request, url, token)) return refuse('401 Unauthorized');
    events.handleUpgrade(request, socket, head, (ws) => {
      sockets.add(ws);
      let alive = true;
      ws.on('pong', () => (alive = true));
      const ping = setInterval(() => {
        if (!alive) return ws.terminate();
        alive = false;
        ws.ping();
      }, PING_MS);
      const unsubscribe = options.handler.subscribe((event) => {
        if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(event));
      });
      ws.on('close', () => {
        clearInterval(ping);
        unsubscribe();
        sockets.delete(ws);
      });
      // The socket is one-way: the page talks over HTTP.
      ws.on('message', () => undefined);
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  port = (server.address() as AddressInfo).port;

  return {
    port,
    token,
    url: `http://127.0.0.1:${port}/?${TOKEN_PARAM}=${token}`,
    close: async () => {
      for (const ws of sockets) ws.terminate();
      events.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
