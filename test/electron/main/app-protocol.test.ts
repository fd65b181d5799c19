/** tessera://app/ maps onto out/renderer/ and nothing outside it. */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  APP_ENTRY_URL,
  contentTypeOf,
  isAppUrl,
  isSafeExternalUrl,
  resolveAppRequest,
} from '../../../electron/main/app-protocol.js';

const root = path.resolve('/opt/tessera/out/renderer');

function served(url: string): string {
  const result = resolveAppRequest(url, root);
  if (!result.ok) throw new Error(`${url} refused: ${result.reason}`);
  return result.filePath;
}

describe('resolveAppRequest', () => {
  it('serves files of the renderer build with their content type', () => {
    expect(served(APP_ENTRY_URL)).toBe(path.join(root, 'index.html'));
    expect(served('tessera://app/assets/index-abc123.js')).toBe(
      path.join(root, 'assets', 'index-abc123.js'),
    );
    expect(served('tessera://app/assets/my%20font.woff2')).toBe(
      path.join(root, 'assets', 'my font.woff2'),
    );
    const css = resolveAppRequest('tessera://app/assets/app.css?v=2', root);
    expect(css).toMatchObject({ ok: true, contentType: 'text/css; charset=utf-8' });
  });

  it('loads the single-page entry for the app’s own routes', () => {
    expect(served('tessera://app/')).toBe(path.join(root, 'index.html'));
    expect(served('tessera://app')).toBe(path.join(root, 'index.html'));
    expect(served('tessera://app/jobs/12')).toBe(path.join(root, 'index.html'));
  });

  it('refuses path traversal in every spelling', () => {
    for (const url of [
      'tessera://app/../../etc/passwd',
      'tessera://app/assets/../../../etc/passwd',
      'tessera://app/%2e%2e/%2e%2e/etc/passwd',
      'tessera://app/%2E%2E%2F%2E%2E%2Fetc%2Fpasswd',
      'tessera://app/..%2f..%2fetc%2fpasswd',
      'tessera://app/..%5c..%5cwindows%5cwin.ini',
      'tessera://app/assets\\..\\..\\secret.txt',
      'tessera://app/%252e%252e/%252e%252e/etc/passwd',
      'tessera://app/C:%5cWindows%5cwin.ini',
      'tessera://app/.%2e/secret.txt',
    ]) {
      const result = resolveAppRequest(url, root);
      expect(result.ok, url).toBe(false);
      if (!result.ok) expect([400, 403], url).toContain(result.status);
    }
  });

  it('refuses double-encoded climbs that only decoding reveals', () => {
    // %252e%252e decodes once to %2e%2e: a literal file name, never a parent directory.
    const result = resolveAppRequest('tessera://app/%252e%252e/x.txt', root);
    if (result.ok) expect(result.filePath.startsWith(root + path.sep)).toBe(true);
  });

  it('refuses other hosts, schemes and malformed encoding', () => {
    expect(resolveAppRequest('tessera://evil/index.html', root)).toMatchObject({ status: 404 });
    expect(resolveAppRequest('file:///etc/passwd', root)).toMatchObject({ status: 404 });
    expect(resolveAppRequest('tessera://app/%E0%A4%A.js', root)).toMatchObject({ status: 400 });
    expect(resolveAppRequest('tessera://app/a%00.js', root)).toMatchObject({ status: 400 });
  });

  it('holds with Windows paths too', () => {
    const winRoot = 'C:\\Program Files\\Tessera\\resources\\app.asar\\out\\renderer';
    const ok = resolveAppRequest('tessera://app/assets/a.js', winRoot, path.win32);
    expect(ok).toMatchObject({ ok: true, filePath: `${winRoot}\\assets\\a.js` });
    for (const url of ['tessera://app/..%5c..%5cx.js', 'tessera://app/D:%5cx.js']) {
      expect(resolveAppRequest(url, winRoot, path.win32).ok, url).toBe(false);
    }
  });
});

describe('URL checks', () => {
  it('isAppUrl accepts only the app origin', () => {
    expect(isAppUrl('tessera://app/index.html')).toBe(true);
    expect(isAppUrl('TESSERA://APP/x')).toBe(true);
    expect(isAppUrl('tessera://app.evil/index.html')).toBe(false);
    expect(isAppUrl('https://app/')).toBe(false);
    expect(isAppUrl('')).toBe(false);
  });

  it('only http and https links go to the system browser', () => {
    expect(isSafeExternalUrl('https://example.com/docs')).toBe(true);
    expect(isSafeExternalUrl('http://example.com/')).toBe(true);
    for (const url of [
      'file:///etc/passwd',
      'javascript:alert(1)',
      'smb://server/share',
      'tessera://app/',
      'ms-msdt:/id',
      '//example.com',
    ]) {
      expect(isSafeExternalUrl(url), url).toBe(false);
    }
  });

  it('knows the content types the renderer build uses', () => {
    expect(contentTypeOf('a.html')).toMatch(/^text\/html/);
    expect(contentTypeOf('a.JS')).toMatch(/^text\/javascript/);
    expect(contentTypeOf('a.svg')).toBe('image/svg+xml');
    expect(contentTypeOf('a.bin')).toBe('application/octet-stream');
  });
});
