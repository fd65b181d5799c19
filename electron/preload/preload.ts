/**
 * The preload script. It runs sandboxed (it may only require 'electron'), so
 * build/bundle-desktop.mjs bundles it with its imports into out/desktop/preload.cjs. All logic
 * is in bridge.ts; this file only hands Electron's ipcRenderer to it and exposes the result.
 */
import { contextBridge, ipcRenderer } from 'electron';
import { createDesktopBridge } from './bridge.js';

contextBridge.exposeInMainWorld('tessera', createDesktopBridge(ipcRenderer));
