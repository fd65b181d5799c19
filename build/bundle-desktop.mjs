#!/usr/bin/env node
// `npm run build:desktop`: the Electron main process and preload, after `npm run build:engine`.
//
// - Preload → out/desktop/preload.cjs. A sandboxed preload may only require('electron'), so
//   it is one CommonJS bundle. It needs nothing of shared/api.ts but the method names, so
//   those are computed here and inlined: the bundle carries no zod (≈450 kB otherwise).
// - Main → out/electron/main/main.js (ESM, as package.json "type": "module" makes it). Only
//   main's own files (electron/main/**, and the channel names of electron/preload/) are
//   bundled. The engine, the API handler and shared/ stay external and are loaded from
//   tsc's output beside it (out/electron/engine/..., out/shared/...): the engine starts its
//   worker threads from files next to its modules (import.meta.url in
//   electron/engine/hosts/spawn-host.ts), which a bundle would break. The bundle sits where
//   tsc would have put main.js, so the relative import paths stay right.
// - Icons → out/desktop/icons/icon.png (1024 px), drawn by electron/main/app-icon.ts, for
//   electron-builder; nothing binary is kept in the repository.
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as esbuild from 'esbuild';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const out = path.join(root, 'out');
const mainDir = path.join(root, 'electron', 'main');
const preloadDir = path.join(root, 'electron', 'preload');
/** Lower bounds of what Electron 45 runs (its Node is 22 or later; its Chromium is current). */
const ELECTRON_NODE = 'node22';
const PRELOAD_TARGET = 'es2022';

const inside = (dir, file) => {
  const relative = path.relative(dir, file);
  return relative !== '' && !relative.startsWith('..') && !path.isAbsolute(relative);
};

/** Bundles one TypeScript module (and its imports) in memory and imports it. */
async function importTs(entry) {
  const result = await esbuild.build({
    entryPoints: [path.join(root, entry)],
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    write: false,
    logLevel: 'silent',
  });
  const code = result.outputFiles[0].text;
  return import(`data:text/javascript;base64,${Buffer.from(code).toString('base64')}`);
}

/** Replaces shared/api.ts in the preload with its method names (the only value it uses). */
function apiMethodsOnly(methods) {
  return {
    name: 'api-methods-only',
    setup(build) {
      build.onResolve({ filter: /\/shared\/api\.js$/ }, (args) => ({
        path: path.resolve(args.resolveDir, args.path),
        namespace: 'api-methods',
      }));
      build.onLoad({ filter: /.*/, namespace: 'api-methods' }, () => ({
        contents: `export const API_METHODS = Object.freeze(${JSON.stringify(methods)});`,
        loader: 'js',
      }));
    },
  };
}

/** Keeps everything outside main's own files external, at its path relative to main.js. */
function externalBeyondMain() {
  return {
    name: 'external-beyond-main',
    setup(build) {
      build.onResolve({ filter: /^\.\.?\// }, (args) => {
        if (args.kind === 'entry-point') return undefined;
        const target = path.resolve(args.resolveDir, args.path);
        if (inside(mainDir, target) || inside(preloadDir, target)) return undefined;
        let specifier = path.relative(mainDir, target).split(path.sep).join('/');
        if (!specifier.startsWith('.')) specifier = `./${specifier}`;
        return { path: specifier, external: true };
      });
    },
  };
}

/** @param {string} outRoot where out/ is (tests build into a scratch folder). */
async function bundlePreload(outRoot = out) {
  const { API_METHODS } = await importTs('shared/api.ts');
  const outfile = path.join(outRoot, 'desktop', 'preload.cjs');
  const result = await esbuild.build({
    entryPoints: [path.join(preloadDir, 'preload.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: PRELOAD_TARGET,
    external: ['electron'],
    plugins: [apiMethodsOnly(API_METHODS)],
    sourcemap: 'inline',
    metafile: true,
    logLevel: 'warning',
  });
  // The sandbox would refuse any other require at run time; fail the build instead.
  for (const output of Object.values(result.metafile.outputs)) {
    const others = output.imports.filter((entry) => entry.path !== 'electron');
    if (others.length > 0) {
      throw new Error(`the preload requires ${others.map((entry) => entry.path).join(', ')}`);
    }
  }
  return outfile;
}

/**
 * @param {string} outRoot where out/ is.
 * @param {{ checkEngine?: boolean }} options checkEngine: fail unless tsc's output is there.
 */
async function bundleMain(outRoot = out, { checkEngine = true } = {}) {
  const outfile = path.join(outRoot, 'electron', 'main', 'main.js');
  const result = await esbuild.build({
    entryPoints: [path.join(mainDir, 'main.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: ELECTRON_NODE,
    // Bare imports (electron, node:*, packages) are resolved by Electron at run time.
    packages: 'external',
    plugins: [externalBeyondMain()],
    sourcemap: true,
    metafile: true,
    logLevel: 'warning',
  });
  // The engine must have been built by tsc, or main fails at start with a module not found.
  const missing = [];
  for (const output of checkEngine ? Object.values(result.metafile.outputs) : []) {
    for (const entry of output.imports) {
      if (!entry.external || !entry.path.startsWith('.')) continue;
      const file = path.resolve(path.dirname(outfile), entry.path);
      if (!existsSync(file)) missing.push(path.relative(root, file));
    }
  }
  if (missing.length > 0) {
    throw new Error(
      `main imports ${missing.join(', ')}, which do not exist: run \`npm run build:engine\` first`,
    );
  }
  return outfile;
}

async function drawIcons(outRoot = out) {
  const { iconPng } = await importTs('electron/main/app-icon.ts');
  const dir = path.join(outRoot, 'desktop', 'icons');
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, 'icon.png');
  await writeFile(file, iconPng(1024));
  return file;
}

const isMain = process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href;
if (isMain) {
  const started = Date.now();
  const files = await Promise.all([bundlePreload(), bundleMain(), drawIcons()]);
  for (const file of files) console.log(`  ${path.relative(root, file)}`);
  console.log(`build:desktop done in ${Date.now() - started} ms`);
}

export { bundleMain, bundlePreload, drawIcons };
