/**
 * build/bundle-desktop.mjs's output. The preload must run in Electron's sandbox, where only
 * require('electron') exists: it is run here in a bare VM context with exactly that. Main's
 * bundle must hold only main's own files and import the engine from tsc's output.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import vm from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_METHODS } from '../../../shared/api.js';
import { repoRoot } from '../../helpers/cli.js';
import { scratchDir } from '../../helpers/scratch.js';

interface Bundler {
  bundlePreload(outRoot: string): Promise<string>;
  bundleMain(outRoot: string, options: { checkEngine: boolean }): Promise<string>;
}

let dir: string;
let cleanup: () => Promise<void>;
let bundler: Bundler;

beforeAll(async () => {
  ({ dir, cleanup } = await scratchDir('tessera-bundle-'));
  const script = pathToFileURL(path.join(repoRoot, 'build', 'bundle-desktop.mjs')).href;
  bundler = (await import(script)) as Bundler;
});
afterAll(() => cleanup());

describe('preload bundle', () => {
  it('is one CommonJS file that needs only electron, without zod', async () => {
    const file = await bundler.bundlePreload(dir);
    expect(file).toBe(path.join(dir, 'desktop', 'preload.cjs'));
    const code = await readFile(file, 'utf8');
    expect(code.length).toBeLessThan(40_000);
    expect(code).not.toMatch(/\bZodType\b|\bzod\b/);

    const required: string[] = [];
    const exposed = new Map<string, unknown>();
    const invoked: unknown[][] = [];
    const sent: unknown[][] = [];
    const electron = {
      contextBridge: {
        exposeInMainWorld: (key: string, value: unknown) => exposed.set(key, value),
      },
      ipcRenderer: {
        invoke: async (...args: unknown[]) => invoked.push(args),
        send: (...args: unknown[]) => void sent.push(args),
        on: () => undefined,
        removeListener: () => undefined,
      },
    };
    const sandboxRequire = (name: string) => {
      required.push(name);
      if (name !== 'electron') throw new Error(`module not found: ${name}`);
      return electron;
    };
    const module = { exports: {} };
    vm.runInNewContext(code, { require: sandboxRequire, module, exports: module.exports });

    expect(required).toEqual(['electron']);
    expect([...exposed.keys()]).toEqual(['tessera']);
    const bridge = exposed.get('tessera') as {
      api: Record<string, (params: unknown) => Promise<unknown>>;
      startDrag: (paths: string[]) => void;
    };
    expect(Object.keys(bridge.api).sort()).toEqual([...API_METHODS].sort());
    await bridge.api['dashboard.get']?.({});
    expect(invoked).toEqual([['tessera:dashboard.get', {}]]);
    bridge.startDrag(['/data/drag-staging/a/disk0.vhdx']);
    expect(sent).toEqual([['tessera:start-drag', ['/data/drag-staging/a/disk0.vhdx']]]);
  });
});

describe('main bundle', () => {
  it('is ESM importing electron, Node, packages and the engine as tsc builds it', async () => {
    const file = await bundler.bundleMain(dir, { checkEngine: false });
    expect(file).toBe(path.join(dir, 'electron', 'main', 'main.js'));
    const code = await readFile(file, 'utf8');
    const imports = [...code.matchAll(/^import\s[^;]*?from\s+"([^"]+)";/gms)].map(
      (match) => match[1]!,
    );
    const relative = [...new Set(imports.filter((specifier) => specifier.startsWith('.')))];
    expect(relative).toEqual(expect.arrayContaining(['../api/handler.js', '../engine/service.js']));
    for (const specifier of relative) {
      // Never one of main's own files: those are in the bundle.
      expect(specifier.startsWith('./')).toBe(false);
      // Each names a module whose source exists at the same place relative to electron/main.
      const source = path.resolve(repoRoot, 'electron', 'main', specifier).replace(/\.js$/, '.ts');
      await expect(readFile(source), specifier).resolves.toBeDefined();
    }
    const bare = imports.filter((specifier) => !specifier.startsWith('.'));
    for (const specifier of bare) {
      expect(specifier, specifier).toMatch(/^(electron|node:[a-z_/]+)$/);
    }
    // The engine itself is not inside the bundle (its workers need their own files).
    expect(code).not.toContain('class TesseraService');
  });
});
