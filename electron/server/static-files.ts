/**
 * Serves the built renderer (Vite's out/renderer) to the headless console's browser, with the
 * same Content-Security-Policy the Electron shell enforces. Paths outside the folder are
 * refused; unknown paths get index.html, since the renderer routes on its own.
 */
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';

export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.map': 'application/json',
};

export interface StaticFile {
  readonly body: Buffer;
  readonly type: string;
  /** Hashed asset names never change, so the browser may keep them. */
  readonly immutable: boolean;
}

/** The file for a URL path, index.html for an unknown route, or null when the build is missing. */
export async function staticFile(folder: string, urlPath: string): Promise<StaticFile | null> {
  const root = path.resolve(folder);
  const relative = path.normalize(decodeURIComponent(urlPath)).replace(/^([/\\])+/, '');
  const resolved = path.resolve(root, relative);
  const inside = resolved === root || resolved.startsWith(root + path.sep);
  const candidate = inside && relative !== '' ? resolved : path.join(root, 'index.html');
  const isFile = await stat(candidate).then(
    (info) => info.isFile(),
    () => false,
  );
  const file = isFile ? candidate : path.join(root, 'index.html');
  const body = await readFile(file).catch(() => null);
  if (!body) return null;
  return {
    body,
    type: TYPES[path.extname(file)] ?? 'application/octet-stream',
    immutable: isFile && file.includes(`${path.sep}assets${path.sep}`),
  };
}
