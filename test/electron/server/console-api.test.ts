/**
 * The API over HTTP, against a real server, handler and service: envelopes and status codes
 * for results, validation failures, unknown methods and malformed requests, and the methods
 * whose errors the UI marks in place (a VM query's span, a folder that is not there).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiEnvelope, ApiMethod, DirectoryListing } from '../../../shared/api.js';
import { newPolicy } from '../../../shared/policy.js';
import { call, ok, raw, startConsole, type Console } from './harness.js';

let c: Console;

beforeAll(async () => {
  c = await startConsole();
});
afterAll(async () => c.stop());

function error(body: ApiEnvelope<ApiMethod>) {
  if (body.ok) throw new Error(`expected an error, got ${JSON.stringify(body)}`);
  return body.error;
}

/** POST with a raw body and content type. */
function post(pathname: string, body: string | Buffer, contentType = 'application/json') {
  return raw(c.server.port, {
    path: pathname,
    method: 'POST',
    headers: {
      authorization: `Bearer ${c.server.token}`,
      'content-type': contentType,
      'content-length': Buffer.byteLength(body),
    },
    body,
  });
}

describe('a call', () => {
  it('app.info answers 200 with the app, its shell and its data directory', async () => {
    const { status, headers, body } = await call(c, 'app.info');
    expect(status).toBe(200);
    expect(headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(headers.get('cache-control')).toBe('no-store');
    expect(headers.get('x-content-type-options')).toBe('nosniff');
    expect(body).toEqual({
      ok: true,
      result: {
        version: '9.9.9-test',
        dataDir: c.dataDir,
        storeDir: path.join(c.dataDir, 'store'),
        shell: 'console',
        firstRun: true,
        sampleDir: path.join(c.dataDir, 'sample-vms'),
      },
    });
  });

  it('with an empty body is a call without params', async () => {
    const response = await post('/api/app.info', '');
    expect(response.status).toBe(200);
    expect(JSON.parse(response.body)).toMatchObject({ ok: true, result: { shell: 'console' } });
  });

  it('that fails validation is 400 BAD_REQUEST naming the method and the field', async () => {
    const missing = await call(c, 'inventory.addSource', { kind: 'folder' });
    expect(missing.status).toBe(400);
    expect(error(missing.body).code).toBe('BAD_REQUEST');
    expect(error(missing.body).message).toMatch(/^inventory\.addSource: path: /);

    const wrongType = await call(c, 'jobs.get', { id: 'seven' });
    expect(wrongType.status).toBe(400);
    expect(error(wrongType.body).message).toMatch(/^jobs\.get: id: /);

    const extra = await call(c, 'app.info', { surprise: 1 });
    expect(extra.status).toBe(400);
    expect(error(extra.body).message).toMatch(/surprise/);

    const nested = await call(c, 'policies.save', {
      policy: { ...newPolicy('p', { kind: 'list', vms: ['a'] }), hosts: 0 },
      mode: 'create',
    });
    expect(nested.status).toBe(400);
    expect(error(nested.body).message).toMatch(/^policies\.save: policy\.hosts: /);
    expect(error(nested.body).remedy).toBeUndefined();
  });

  it('whose params are not an object is 400 BAD_REQUEST', async () => {
    for (const params of ['[]', '"x"', '42', 'true']) {
      const response = await post('/api/app.info', params);
      expect(response.status, params).toBe(400);
      expect(JSON.parse(response.body)).toMatchObject({
        ok: false,
        error: { code: 'BAD_REQUEST' },
      });
    }
  });

  it('of an unknown method is 404 UNKNOWN_METHOD', async () => {
    for (const method of ['app.nothing', '', 'constructor', '__proto__', 'toString']) {
      const { status, body } = await call(c, method);
      expect(status, method).toBe(404);
      expect(error(body)).toMatchObject({ code: 'UNKNOWN_METHOD' });
      expect(error(body).message).toContain(`"${method}"`);
    }
  });

  it('with GET is 405, allowing POST', async () => {
    const response = await fetch(`${c.origin}/api/x`, {
      headers: { authorization: `Bearer ${c.server.token}` },
    });
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('POST');
    expect(await response.json()).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
    const known = await fetch(`${c.origin}/api/app.info`, {
      headers: { authorization: `Bearer ${c.server.token}` },
    });
    expect(known.status).toBe(405);
  });

  it('that is not application/json is 415 (a form from another site cannot post)', async () => {
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data']) {
      const response = await post('/api/app.info', '{}', type);
      expect(response.status, type).toBe(415);
      expect(JSON.parse(response.body)).toMatchObject({
        ok: false,
        error: { code: 'BAD_REQUEST', message: expect.stringMatching(/application\/json/) },
      });
    }
    const none = await raw(c.server.port, {
      path: '/api/app.info',
      method: 'POST',
      headers: { authorization: `Bearer ${c.server.token}` },
      body: '{}',
    });
    expect(none.status).toBe(415);
    const charset = await post('/api/app.info', '{}', 'application/json; charset=utf-8');
    expect(charset.status).toBe(200);
  });

  it('with malformed JSON is 400', async () => {
    const response = await post('/api/app.info', '{"oops":');
    expect(response.status).toBe(400);
    expect(JSON.parse(response.body)).toMatchObject({
      ok: false,
      error: { code: 'BAD_REQUEST', message: expect.stringMatching(/not valid JSON/) },
    });
  });

  it('with a body over 1 MiB is 413', async () => {
    const big = JSON.stringify({ path: 'x'.repeat(1024 * 1024 + 16) });
    const response = await fetch(`${c.origin}/api/fs.list`, {
      method: 'POST',
      headers: { authorization: `Bearer ${c.server.token}`, 'content-type': 'application/json' },
      body: big,
    });
    expect(response.status).toBe(413);
    expect(await response.json()).toMatchObject({
      ok: false,
      error: { code: 'BAD_REQUEST', message: expect.stringMatching(/too large/) },
    });
  });

  it('with a body just under 1 MiB is read whole', async () => {
    // Valid JSON, failing validation: proof the whole body was parsed.
    const body = JSON.stringify({ path: 'x'.repeat(1000 * 1024) });
    expect(Buffer.byteLength(body)).toBeLessThan(1024 * 1024);
    const response = await post('/api/fs.list', body);
    expect(response.status).toBe(400);
    expect(JSON.parse(response.body)).toMatchObject({
      error: { code: 'BAD_REQUEST', message: expect.stringMatching(/^cannot list /) },
    });
  });

  it('the server still answers after all of these', async () => {
    expect((await call(c, 'app.info')).status).toBe(200);
  });
});

describe('policies', () => {
  it('preview of a bad query is a result that points at the offending span', async () => {
    const query = 'name = "a" and sise > 3';
    const { status, body } = await call(c, 'policies.preview', {
      selection: { kind: 'query', query },
    });
    expect(status).toBe(200);
    if (!body.ok) throw new Error(JSON.stringify(body.error));
    const preview = body.result;
    expect(preview.ok).toBe(false);
    if (preview.ok) return;
    expect(preview.position).toBe(query.indexOf('sise'));
    expect(preview.length).toBe('sise'.length);
    expect(query.slice(preview.position, preview.position + preview.length)).toBe('sise');
    expect(preview.reason).toMatch(/^unknown field "sise"/);
    expect(preview.message).toContain(preview.reason);
    expect(preview.message).toMatch(/column 16/);
  });

  it('preview of a good query lists the VMs it picks (none yet)', async () => {
    const result = await ok(c, 'policies.preview', {
      selection: { kind: 'query', query: 'name startswith "vm"' },
    });
    expect(result).toEqual({ ok: true, vms: [] });
  });

  it('save of a bad query is 400 with the position and length of the problem', async () => {
    const query = 'name = "x" or (';
    const { status, body } = await call(c, 'policies.save', {
      policy: newPolicy('broken', { kind: 'query', query }),
      mode: 'create',
    });
    expect(status).toBe(400);
    expect(error(body)).toMatchObject({
      code: 'BAD_REQUEST',
      position: query.length,
      length: 0,
      message: expect.stringMatching(/expected a field name/),
    });
    expect(error(body).remedy).toBeUndefined();
    expect(await ok(c, 'policies.list')).toEqual([]);
  });

  it('save, get and a conflicting create round-trip with their status codes', async () => {
    const policy = newPolicy('nightly', { kind: 'query', query: 'name startswith "vm"' });
    expect(await ok(c, 'policies.save', { policy, mode: 'create' })).toEqual(policy);
    expect(await ok(c, 'policies.get', { name: 'nightly' })).toEqual(policy);
    const again = await call(c, 'policies.save', { policy, mode: 'create' });
    expect(again.status).toBe(409);
    expect(error(again.body).code).toBe('CATALOG_CONFLICT');
    const missing = await call(c, 'policies.get', { name: 'nope' });
    expect(missing.status).toBe(404);
    expect(error(missing.body).code).toBe('CATALOG_NOT_FOUND');
    expect(await ok(c, 'policies.delete', { name: 'nightly' })).toEqual({ deleted: true });
  });
});

describe('jobs', () => {
  it('get of an unknown id is 404 CATALOG_NOT_FOUND', async () => {
    const { status, body } = await call(c, 'jobs.get', { id: 424242 });
    expect(status).toBe(404);
    expect(error(body)).toMatchObject({ code: 'CATALOG_NOT_FOUND', message: 'no job 424242' });
  });

  it('backupNow with no VM in the inventory is 400 saying what to do', async () => {
    const { status, body } = await call(c, 'jobs.backupNow', {});
    expect(status).toBe(400);
    expect(error(body)).toMatchObject({
      code: 'BAD_REQUEST',
      message: expect.stringMatching(/add an inventory source/),
    });
  });
});

describe('fs.list', () => {
  it('lists a folder: directories first, then files with their sizes, each by name', async () => {
    const dir = path.join(c.root, 'listing');
    await mkdir(path.join(dir, 'zeta'), { recursive: true });
    await mkdir(path.join(dir, 'Alpha'), { recursive: true });
    await writeFile(path.join(dir, 'b.vhdx'), Buffer.alloc(1536));
    await writeFile(path.join(dir, 'a.txt'), 'hello');
    await writeFile(path.join(dir, 'empty'), '');
    const listing: DirectoryListing = await ok(c, 'fs.list', { path: dir });
    expect(listing).toEqual({
      path: dir,
      parent: c.root,
      entries: [
        { name: 'Alpha', kind: 'directory', size: null },
        { name: 'zeta', kind: 'directory', size: null },
        { name: 'a.txt', kind: 'file', size: 5 },
        { name: 'b.vhdx', kind: 'file', size: 1536 },
        { name: 'empty', kind: 'file', size: 0 },
      ],
    });
  });

  it('normalises the path and gives no parent at the root', async () => {
    const listing = await ok(c, 'fs.list', { path: path.join(c.root, 'listing', 'zeta', '..') });
    expect(listing.path).toBe(path.join(c.root, 'listing'));
    const root = await ok(c, 'fs.list', { path: '/' });
    expect(root.path).toBe('/');
    expect(root.parent).toBeNull();
  });

  it('without a path lists the home folder', async () => {
    expect((await ok(c, 'fs.list', {})).path).toBe(os.homedir());
  });

  it('of a missing path or a file is 400 with a clear message', async () => {
    const missing = path.join(c.root, 'not-there');
    const gone = await call(c, 'fs.list', { path: missing });
    expect(gone.status).toBe(400);
    expect(error(gone.body)).toEqual({
      code: 'BAD_REQUEST',
      message: `cannot list ${missing}: it does not exist`,
    });
    const file = path.join(c.root, 'listing', 'a.txt');
    const notDir = await call(c, 'fs.list', { path: file });
    expect(notDir.status).toBe(400);
    expect(error(notDir.body).message).toBe(`cannot list ${file}: it is not a folder`);
  });
});

describe('hosts', () => {
  it('set out of range is 400 and changes nothing', async () => {
    const before = await ok(c, 'hosts.get');
    for (const change of [{ hosts: 0 }, { hosts: 1000 }, { streamsPerHost: 0 }, { hosts: 1.5 }]) {
      const { status, body } = await call(c, 'hosts.set', change);
      expect(status, JSON.stringify(change)).toBe(400);
      expect(error(body).code).toBe('BAD_REQUEST');
      expect(error(body).message).toContain(`hosts.set: ${Object.keys(change)[0]}: `);
    }
    expect(await ok(c, 'hosts.get')).toEqual(before);
  });

  it('set in range answers the new settings', async () => {
    const settings = await ok(c, 'hosts.set', { hosts: 2, streamsPerHost: 1 });
    expect(settings).toMatchObject({
      hosts: 2,
      streamsPerHost: 1,
      configFile: path.join(c.dataDir, 'tessera.conf'),
    });
    expect(settings.cores).toBeGreaterThan(0);
  });
});

describe('errors that are bugs', () => {
  it('none were logged as internal errors by these calls', () => {
    expect(c.internal).toEqual([]);
  });
});
