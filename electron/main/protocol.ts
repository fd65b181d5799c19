/**
 * Serves the renderer on tessera://app/ (see app-protocol.ts for why a custom scheme). Every
 * response carries the strict CSP; anything but a GET or HEAD of a file of out/renderer/ is
 * refused.
 */
import { readFile } from 'node:fs/promises';
import { protocol, type Session } from 'electron';
import { APP_SCHEME, resolveAppRequest } from './app-protocol.js';
import { SECURITY_HEADERS } from './csp.js';

/** Must run before the app is ready: privileges cannot be granted afterwards. */
export function registerAppScheme(): void {
  protocol.registerSchemesAsPrivileged([
    {
      scheme: APP_SCHEME,
      // standard: a real origin, relative URLs and localStorage; secure: treated like https
      // (no mixed-content downgrade); supportFetchAPI: the renderer's fetch of its own assets.
      // Not corsEnabled: the page's module scripts are same-origin and need no CORS, while
      // that privilege would let other origins read tessera:// responses (no
      // Access-Control-Allow-Origin check is made for custom schemes).
      privileges: { standard: true, secure: true, supportFetchAPI: true, codeCache: true },
    },
  ]);
}

function refusal(status: number, reason: string): Response {
  return new Response(reason, {
    status,
    headers: { ...SECURITY_HEADERS, 'Content-Type': 'text/plain; charset=utf-8' },
  });
}

export function serveApp(
  session: Session,
  rendererDir: string,
  log: (message: string) => void,
): void {
  session.protocol.handle(APP_SCHEME, async (request) => {
    if (request.method !== 'GET' && request.method !== 'HEAD')
      return refusal(405, 'method not allowed');
    const resolved = resolveAppRequest(request.url, rendererDir);
    if (!resolved.ok) {
      if (resolved.status === 403) log(`tessera: refused ${request.url}: ${resolved.reason}`);
      return refusal(resolved.status, resolved.reason);
    }
    let body: Buffer;
    try {
      body = await readFile(resolved.filePath);
    } catch {
      return refusal(404, 'not found');
    }
    return new Response(request.method === 'HEAD' ? null : new Uint8Array(body), {
      status: 200,
      headers: { ...SECURITY_HEADERS, 'Content-Type': resolved.contentType },
    });
  });
}
