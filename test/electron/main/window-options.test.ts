/** The window factory's options: the security preferences win over anything a caller asks for. */
import { describe, expect, it } from 'vitest';
import type { BrowserWindowConstructorOptions } from 'electron';
import {
  FORCED_WEB_PREFERENCES,
  secureWindowOptions,
} from '../../../electron/main/window-options.js';

const preloadPath = '/app/out/desktop/preload.cjs';

describe('secureWindowOptions', () => {
  it('forces isolation, the sandbox and no Node, and sets the preload', () => {
    const prefs = secureWindowOptions({ preloadPath, devTools: false }).webPreferences;
    expect(prefs).toMatchObject({
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      preload: preloadPath,
      devTools: false,
    });
  });

  it('does not let a caller turn any of them off', () => {
    const hostile: BrowserWindowConstructorOptions = {
      width: 900,
      webPreferences: {
        contextIsolation: false,
        sandbox: false,
        nodeIntegration: true,
        nodeIntegrationInWorker: true,
        nodeIntegrationInSubFrames: true,
        webSecurity: false,
        allowRunningInsecureContent: true,
        webviewTag: true,
        experimentalFeatures: true,
        preload: '/tmp/evil.js',
        devTools: true,
        enableBlinkFeatures: 'SomethingDangerous',
        additionalArguments: ['--inject'],
        zoomFactor: 1.5,
      },
    };
    const options = secureWindowOptions({ preloadPath, devTools: false, requested: hostile });
    expect(options.width).toBe(900);
    expect(options.webPreferences).toMatchObject({ ...FORCED_WEB_PREFERENCES, zoomFactor: 1.5 });
    expect(options.webPreferences?.preload).toBe(preloadPath);
    expect(options.webPreferences?.devTools).toBe(false);
    expect(options.webPreferences).not.toHaveProperty('enableBlinkFeatures');
    expect(options.webPreferences).not.toHaveProperty('additionalArguments');
  });

  it('keeps the caller’s size and position and starts hidden until first paint', () => {
    const options = secureWindowOptions({
      preloadPath,
      devTools: true,
      requested: { x: 10, y: 20, width: 1000, height: 700 },
    });
    expect(options).toMatchObject({ x: 10, y: 20, width: 1000, height: 700, show: false });
    expect(options.webPreferences?.devTools).toBe(true);
  });
});
