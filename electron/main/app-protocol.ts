/**
 * The app's own URL scheme. The renderer is served from `tessera://app/` rather than file://
 * so that it has a real origin (CSP 'self' means only our files, fetch() cannot read the
 * disk, and IPC senders can be checked by origin) and so that a request can only ever reach
 * files of the built renderer (out/renderer/). This module maps a request URL to a file path
 * and refuses anything that could climb out of that folder; main's protocol handler does the
 * reading.
 */
import path from 'node:path';

export const APP_SCHEME = 'tessera';
export const APP_HOST = 'app';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;
export const APP_ENTRY_URL = `${APP_ORIGIN}/index.html`;

export type AppRequest =
  | { readonly ok: true; readonly filePath: string; readonly contentType: string }
  | { readonly ok: false; readonly status: 400 | 403 | 404; readonly reason: string };

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.txt': 'text/plain; charset=utf-8',
};

export function contentTypeOf(filePath: string): string {
  return CONTENT_TYPES[path.extname(filePath).toLowerCase()] ?? 'application/octet-stream';
}

/**
 * True for URLs on the app's origin. Compared by scheme and host, not URL.origin: Node's URL
 * gives "null" as the origin of a non-special scheme, while Chromium (where the scheme is
 * registered as standard) gives `tessera://app`.
 */
export function isAppUrl(url: string): boolean {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  return (
    parsed.protocol === `${APP_SCHEME}:` &&
    parsed.hostname.toLowerCase() === APP_HOST &&
    parsed.port === '' &&
    parsed.username === '' &&
    parsed.password === ''
  );
}

/** Links the app may hand to the system browser: web pages only, never file: or app schemes. */
export function isSafeExternalUrl(url: string): boolean {
  try {
    const { protocol } = new URL(url);
    return protocol === 'https:' || protocol === 'http:';
  } catch {
    return false;
  }
}

/**
 * A `..` segment in the URL as sent, plain or percent-encoded, with either slash. The URL
 * parser would quietly collapse `/../../etc/passwd` to `/etc/passwd`; a request that tries
 * to climb is refused outright rather than served whatever it lands on.
 */
const CLIMBING = /(?:^|\/|\\|%2f|%5c)(?:\.|%2e){2}(?:$|\/|\\|%2f|%5c|\?|#)/i;

/** A file of `rootDir` for `url`, or why the request is refused. */
export function resolveAppRequest(
  url: string,
  rootDir: string,
  paths: path.PlatformPath = path,
): AppRequest {
  if (!isAppUrl(url) || !url.toLowerCase().startsWith(APP_ORIGIN)) {
    return { ok: false, status: 404, reason: 'not an app URL' };
  }
  if (CLIMBING.test(url.slice(APP_ORIGIN.length))) {
    return { ok: false, status: 403, reason: 'path climbs out of the app' };
  }

  let pathname: string;
  try {
    pathname = decodeURIComponent(new URL(url).pathname);
  } catch {
    return { ok: false, status: 400, reason: 'malformed percent-encoding' };
  }
  if (pathname.includes('\0')) return { ok: false, status: 400, reason: 'NUL in path' };

  const segments = pathname.split(/[/\\]/).filter((segment) => segment !== '' && segment !== '.');
  // `..` can still appear after decoding; a `%` left after decoding is double encoding, which
  // a later layer might decode into one; `:` would let a Windows drive letter or an
  // alternate data stream into the path. The renderer build has none of them.
  if (segments.some((s) => s === '..' || s.includes(':') || s.includes('%'))) {
    return { ok: false, status: 403, reason: 'path climbs out of the app' };
  }
  // The app's own routes (no file extension) all load the single-page entry.
  const last = segments.at(-1);
  if (last === undefined || !last.includes('.')) segments.splice(0, segments.length, 'index.html');

  const root = paths.resolve(rootDir);
  const filePath = paths.resolve(root, ...segments);
  const relative = paths.relative(root, filePath);
  if (relative === '' || relative.startsWith('..') || paths.isAbsolute(relative)) {
    return { ok: false, status: 403, reason: 'path outside the app' };
  }
  return { ok: true, filePath, contentType: contentTypeOf(filePath) };
}
