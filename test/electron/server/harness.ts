/**
 * A real headless console for the server tests: a TesseraService on a scratch data directory,
 * the real API handler and startConsoleServer on a free port, plus the clients the tests speak
 * through (fetch for the API, node:http where a raw path or a custom Host header is needed,
 * `ws` for the events).
 */
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import WebSocket from 'ws';
import type { ApiEnvelope, ApiEvent, ApiMethod } from '../../../shared/api.js';
import { createApiHandler } from '../../../electron/api/handler.js';
import { TesseraService } from '../../../electron/engine/service.js';
import { startConsoleServer, type ConsoleServer } from '../../../electron/server/console-server.js';
import { qemuImg, qemuIo } from '../../helpers/tools.js';
import { scratchDir } from '../../helpers/scratch.js';

export const MiB = 1024 * 1024;

/** How long a test waits for an event before it fails (a guard, not a sleep). */
const EVENT_TIMEOUT_MS = 30_000;

export interface Console {
  readonly server: ConsoleServer;
  readonly service: TesseraService;
  /** The scratch folder: data/, static/ and anything a test makes. */
  readonly root: string;
  readonly dataDir: string;
  readonly staticDir: string;
  /** What the handler logged as internal errors. */
  readonly internal: unknown[];
  /** The server's origin, e.g. http://127.0.0.1:41234. */
  readonly origin: string;
  stop(): Promise<void>;
}

export const INDEX_HTML = '<!doctype html><title>Tessera</title><div id="root"></div>\n';
export const APP_JS = 'console.log("tessera app");\n';

/** A built renderer as Vite leaves it: index.html and a hashed asset. */
export async function writeRenderer(dir: string): Promise<void> {
  await mkdir(path.join(dir, 'assets'), { recursive: true });
  await writeFile(path.join(dir, 'index.html'), INDEX_HTML);
  await writeFile(path.join(dir, 'assets', 'app-abc.js'), APP_JS);
}

export async function startConsole(
  options: {
    renderer?: boolean;
    token?: string;
    /** How the static folder is spelled to the server (default: as made, absolute). */
    spellStaticDir?: (dir: string) => string;
  } = {},
): Promise<Console> {
  const { dir: root, cleanup } = await scratchDir('tessera-console-');
  const dataDir = path.join(root, 'data');
  const staticDir = path.join(root, 'static');
  await mkdir(staticDir, { recursive: true });
  if (options.renderer !== false) await writeRenderer(staticDir);
  let second = 1_790_000_000;
  const service = await TesseraService.open({ dataDir, now: () => second++ });
  const internal: unknown[] = [];
  const handler = createApiHandler(service, {
    shell: 'console',
    version: '9.9.9-test',
    logInternal: (error) => internal.push(error),
  });
  const server = await startConsoleServer({
    handler,
    staticDir: options.spellStaticDir?.(staticDir) ?? staticDir,
    port: 0,
    token: options.token,
  });
  let stopped = false;
  return {
    server,
    service,
    root,
    dataDir,
    staticDir,
    internal,
    origin: `http://127.0.0.1:${server.port}`,
    stop: async () => {
      if (stopped) return;
      stopped = true;
      await server.close();
      await service.close();
      await cleanup();
    },
  };
}

export interface CallResult<M extends ApiMethod = ApiMethod> {
  readonly status: number;
  readonly headers: Headers;
  readonly body: ApiEnvelope<M>;
}

/** POST /api/<method> with the bearer token, as the renderer's HTTP client does. */
export async function call<M extends ApiMethod>(
  console: Console,
  method: M | (string & {}),
  params: unknown = {},
  headers: Record<string, string> = {},
): Promise<CallResult<M>> {
  const response = await fetch(`${console.origin}/api/${method}`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${console.server.token}`,
      'content-type': 'application/json',
      ...headers,
    },
    body: JSON.stringify(params),
  });
  return {
    status: response.status,
    headers: response.headers,
    body: (await response.json()) as ApiEnvelope<M>,
  };
}

/** The result of a call that must succeed. */
export async function ok<M extends ApiMethod>(
  console: Console,
  method: M,
  params: unknown = {},
): Promise<Extract<ApiEnvelope<M>, { ok: true }>['result']> {
  const { status, body } = await call(console, method, params);
  if (!body.ok) throw new Error(`${method} failed (${status}): ${JSON.stringify(body.error)}`);
  return body.result;
}

export interface RawResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/** A request with exactly this path and these headers (fetch would normalise both). */
export function raw(
  port: number,
  options: {
    path: string;
    method?: string;
    headers?: Record<string, string | number>;
    body?: string | Buffer;
    host?: string;
  },
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(
      {
        host: options.host ?? '127.0.0.1',
        port,
        path: options.path,
        method: options.method ?? 'GET',
        headers: options.headers,
        agent: false,
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            headers: response.headers,
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
        response.on('error', reject);
      },
    );
    request.on('error', reject);
    request.end(options.body);
  });
}

/** Events pushed over one WebSocket, with a way to wait for the one a test expects. */
export interface EventStream {
  readonly ws: WebSocket;
  readonly events: ApiEvent[];
  waitFor<E extends ApiEvent>(predicate: (event: ApiEvent) => event is E, what: string): Promise<E>;
  waitFor(predicate: (event: ApiEvent) => boolean, what: string): Promise<ApiEvent>;
  /** Resolves with the close code once the server has closed the socket. */
  readonly closed: Promise<number>;
}

/** Opens /events (by default with the bearer token); resolves once the upgrade succeeded. */
export async function openEvents(
  console: Console,
  options: { url?: string; headers?: Record<string, string> } = {},
): Promise<EventStream> {
  const ws = new WebSocket(options.url ?? `ws://127.0.0.1:${console.server.port}/events`, {
    headers: options.headers ?? { authorization: `Bearer ${console.server.token}` },
  });
  const events: ApiEvent[] = [];
  const waiters = new Set<{ test: (event: ApiEvent) => boolean; resolve: (e: ApiEvent) => void }>();
  ws.on('message', (data: Buffer) => {
    const event = JSON.parse(data.toString('utf8')) as ApiEvent;
    events.push(event);
    for (const waiter of [...waiters]) {
      if (waiter.test(event)) {
        waiters.delete(waiter);
        waiter.resolve(event);
      }
    }
  });
  const closed = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  const waitFor = (test: (event: ApiEvent) => boolean, what: string): Promise<ApiEvent> => {
    const seen = events.find(test);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const waiter = {
        test,
        resolve: (event: ApiEvent) => {
          clearTimeout(timer);
          resolve(event);
        },
      };
      const timer = setTimeout(() => {
        waiters.delete(waiter);
        reject(new Error(`no ${what} event within ${EVENT_TIMEOUT_MS} ms`));
      }, EVENT_TIMEOUT_MS);
      waiters.add(waiter);
    });
  };
  return { ws, events, waitFor: waitFor as EventStream['waitFor'], closed };
}

/**
 * Tries a WebSocket upgrade that the server should refuse; resolves with the HTTP status of
 * the refusal (a 101 would reject).
 */
export function refusedUpgrade(
  url: string,
  options: { headers?: Record<string, string>; origin?: string } = {},
): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers: options.headers, origin: options.origin });
    ws.on('unexpected-response', (_request, response) => {
      resolve(response.statusCode ?? 0);
      response.resume();
      ws.terminate();
    });
    ws.on('open', () => {
      ws.terminate();
      reject(new Error(`the upgrade to ${url} was accepted`));
    });
    ws.on('error', (error) => reject(error));
  });
}

/** A folder VM with one 16 MiB dynamic VHDX holding 4 MiB of data, made by qemu-img. */
export async function makeVhdxVm(parent: string, name: string): Promise<string> {
  const dir = path.join(parent, name);
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, `${name}-0.vhdx`);
  await qemuImg('create', '-q', '-f', 'vhdx', file, '16M');
  await qemuIo('-f', 'vhdx', '-c', 'write -P 0x5a 0 4M', file);
  return file;
}
