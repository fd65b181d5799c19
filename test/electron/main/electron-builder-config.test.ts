/**
 * build/electron-builder.yml, checked the way electron-builder itself checks it (its own YAML
 * loader and its schema validation), since electron-builder cannot run here (it downloads
 * Electron).
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../../helpers/cli.js';

const require = createRequire(import.meta.url);
const yaml = require('js-yaml') as { load(text: string): unknown };
const { validateConfiguration } = require('app-builder-lib/out/util/config/config.js') as {
  validateConfiguration(
    config: unknown,
    debugLogger: { isEnabled: boolean; add(key: string, value: unknown): void },
  ): Promise<void>;
};

interface BuilderConfig {
  appId: string;
  productName: string;
  files: string[];
  asarUnpack: string[];
  npmRebuild: boolean;
  icon: string;
  directories: { output: string };
  electronFuses: Record<string, boolean>;
  linux: { target: string[]; category: string; maintainer: string };
  win: { target: string[] };
  mac: {
    target: string[];
    hardenedRuntime: boolean;
    category: string;
    entitlements: string;
  };
}

const configFile = path.join(repoRoot, 'build', 'electron-builder.yml');
const config = yaml.load(readFileSync(configFile, 'utf8')) as BuilderConfig;
const quietLogger = { isEnabled: false, add: () => undefined };

describe('electron-builder.yml', () => {
  it('passes electron-builder’s own schema validation', async () => {
    await expect(validateConfiguration(config, quietLogger)).resolves.toBeUndefined();
  });

  it('is checked for real: a misspelt key fails validation', async () => {
    const misspelt = { ...config, linux: { ...config.linux, categroy: 'Utility' } };
    await expect(validateConfiguration(misspelt, quietLogger)).rejects.toThrow(/linux/);
  });

  it('names the app and builds AppImage, deb, NSIS and dmg into dist/', () => {
    expect(config).toMatchObject({
      appId: 'dev.tessera.app',
      productName: 'Tessera',
      directories: { output: 'dist' },
    });
    expect(config.linux).toMatchObject({ target: ['AppImage', 'deb'], category: 'Utility' });
    expect(config.linux.maintainer).toMatch(/<.+@.+>/);
    expect(config.win.target).toEqual(['nsis']);
    expect(config.mac).toMatchObject({
      target: ['dmg'],
      hardenedRuntime: true,
      category: 'public.app-category.utilities',
    });
    expect(existsSync(path.join(repoRoot, config.mac.entitlements))).toBe(true);
  });

  it('packs the bundled main and preload, the engine, shared and the renderer', () => {
    for (const file of [
      'out/electron/main/main.js',
      'out/electron/engine/**/*.js',
      'out/electron/api/**/*.js',
      'out/shared/**/*.js',
      'out/desktop/preload.cjs',
      'out/renderer/**',
      'package.json',
    ]) {
      expect(config.files).toContain(file);
    }
    expect(config.icon).toBe('out/desktop/icons/icon.png');
  });

  it('unpacks native addons from asar and rebuilds them for Electron', () => {
    expect(config.asarUnpack).toEqual(
      expect.arrayContaining(['**/*.node', 'node_modules/better-sqlite3/**']),
    );
    expect(config.npmRebuild).toBe(true);
  });

  it('turns off the fuses that let the app run as plain Node', () => {
    expect(config.electronFuses).toMatchObject({
      runAsNode: false,
      enableNodeOptionsEnvironmentVariable: false,
      enableNodeCliInspectArguments: false,
      grantFileProtocolExtraPrivileges: false,
    });
  });
});
