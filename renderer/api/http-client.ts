import {
  ApiCallError,
  apiErrorBodySchema,
  EVENTS_PATH,
  HTTP_API_PREFIX,
  TOKEN_PARAM,
  type ApiErrorBody,
  type ApiEvent,
  type ApiEventListener,
  type ApiMethod,
  type ApiParams,
  type ApiResult,
} from '../../shared/api';
import { Listeners } from './listeners';
import { forgetToken } from './token';
import type { ConnectionState, RendererClient } from './types';

const FIRST_RETRY_MS = 1000;
const MAX_RETRY_MS = 15_000;

const UNAUTHORIZED: ApiErrorBody = {
  code: 'UNAUTHORIZED',
  message: 'This page needs the URL with its token that `tessera serve` printed.',
  remedy: 'Open the URL that `tessera serve` printed (it ends in ?token=…).',
};

/**
 * The headless console's client: calls are POSTs to /api/<method> with the bearer token, and
 * events arrive over one WebSocket that reconnects with backoff.
 */
export function createHttpClient(token: string | null): RendererClient {
  const events = new Listeners<ApiEvent>();
  const connections = new Listeners<ConnectionState>();
  const resyncs = new Listeners<void>();
  // Without a token the server may still know us by the cookie it set when the printed URL was
  // opened (a new tab, say); its 401 is what decides we are unauthorized.
  let state: ConnectionState = 'connecting';
  let socket: WebSocket | null = null;
  let retryMs = FIRST_RETRY_MS;
  let everConnected = false;

  function setState(next: ConnectionState): void {
    if (state === next || state === 'unauthorized') return;
    state = next;
    connections.emit(next);
  }

  function connectEvents(): void {
    if (state === 'unauthorized') return;
    const scheme = window.location.protocol === 'https:' ? 'wss:' : 'ws:';
    const query = token ? `?${TOKEN_PARAM}=${encodeURIComponent(token)}` : '';
    const url = `${scheme}//${window.location.host}${EVENTS_PATH}${query}`;
    const ws = new WebSocket(url);
    socket = ws;
    ws.onopen = () => {
      retryMs = FIRST_RETRY_MS;
      setState('connected');
      // Whatever happened while we were away was not heard: every store refetches.
      if (everConnected) resyncs.emit();
      everConnected = true;
    };
    ws.onmessage = (message) => {
      if (typeof message.data !== 'string') return;
      let event: ApiEvent;
      try {
        event = JSON.parse(message.data) as ApiEvent;
      } catch {
        return; // not ours to interpret
      }
      events.emit(event);
    };
    ws.onclose = () => {
      if (socket !== ws) return;
      socket = null;
      if (state === 'unauthorized') return;
      setState('reconnecting');
      window.setTimeout(connectEvents, retryMs);
      retryMs = Math.min(MAX_RETRY_MS, retryMs * 2);
    };
  }

  function refuse(): never {
    if (state !== 'unauthorized') {
      forgetToken();
      state = 'unauthorized';
      connections.emit(state);
      socket?.close();
    }
    throw new ApiCallError(UNAUTHORIZED);
  }

  async function call<M extends ApiMethod>(method: M, params: ApiParams<M>): Promise<ApiResult<M>> {
    if (state === 'unauthorized') refuse();
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (token) headers['authorization'] = `Bearer ${token}`;
    let response: Response;
    try {
      response = await fetch(HTTP_API_PREFIX + method, {
        method: 'POST',
        headers,
        body: JSON.stringify(params),
      });
    } catch {
      throw new ApiCallError({
        code: 'UNREACHABLE',
        message: 'The Tessera console server does not answer.',
        remedy: 'Check that `tessera serve` is still running, then reload this page.',
      });
    }
    if (response.status === 401) refuse();
    let body: unknown;
    try {
      body = await response.json();
    } catch {
      throw new ApiCallError({
        code: 'INTERNAL',
        message: `The server answered ${method} with HTTP ${response.status} and no valid body.`,
      });
    }
    return unwrap<M>(body, response.status, method);
  }

  connectEvents();

  return {
    shell: 'console',
    get connection() {
      return state;
    },
    call,
    subscribe: (listener: ApiEventListener) => events.add(listener),
    onConnection: (listener) => connections.add(listener),
    onResync: (listener) => resyncs.add(() => listener()),
    pickFolder: null,
    startDrag: null,
  };
}

/** Reads an ApiEnvelope, checking its shape rather than trusting it blindly. */
function unwrap<M extends ApiMethod>(body: unknown, status: number, method: string): ApiResult<M> {
  if (typeof body === 'object' && body !== null && 'ok' in body) {
    if (body.ok === true && 'result' in body) return body.result as ApiResult<M>;
    if (body.ok === false && 'error' in body) {
      const parsed = apiErrorBodySchema.safeParse(body.error);
      if (parsed.success) throw new ApiCallError(parsed.data as ApiErrorBody);
    }
  }
  throw new ApiCallError({
    code: 'INTERNAL',
    message: `The server answered ${method} with HTTP ${status} and an unexpected body.`,
  });
}
