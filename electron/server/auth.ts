/**
 * The headless console's guard: every request carries the per-run token (a bearer header, the
 * `token` query parameter of the printed URL, or the cookie set when that URL is opened), and
 * names this server by its loopback address, so another local user's browser tab or a
 * DNS-rebinding page cannot drive the API.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { TOKEN_PARAM } from '../../shared/api.js';

export const TOKEN_COOKIE = 'tessera_token';

export function newToken(): string {
  return randomBytes(24).toString('base64url');
}

function sameSecret(given: string, token: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

function cookieValue(header: string | undefined, name: string): string | null {
  for (const part of (header ?? '').split(';')) {
    const [key, ...rest] = part.trim().split('=');
    if (key === name) return rest.join('=');
  }
  return null;
}

/** The token the request presents, wherever it carries it; null when none. */
export function presentedToken(request: IncomingMessage, url: URL): string | null {
  const auth = request.headers.authorization;
  if (auth?.startsWith('Bearer ')) return auth.slice('Bearer '.length).trim();
  return url.searchParams.get(TOKEN_PARAM) ?? cookieValue(request.headers.cookie, TOKEN_COOKIE);
}

export function isAuthorized(request: IncomingMessage, url: URL, token: string): boolean {
  const given = presentedToken(request, url);
  return given !== null && sameSecret(given, token);
}

/** The Host (and Origin, when sent) must name this server: no other site may reach it. */
export function isOwnHost(request: IncomingMessage, port: number): boolean {
  const allowed = new Set([`127.0.0.1:${port}`, `localhost:${port}`]);
  if (!allowed.has(request.headers.host ?? '')) return false;
  const origin = request.headers.origin;
  if (origin === undefined) return true;
  try {
    return allowed.has(new URL(origin).host);
  } catch {
    return false;
  }
}

export function tokenCookie(token: string): string {
  return `${TOKEN_COOKIE}=${token}; HttpOnly; SameSite=Strict; Path=/`;
}
