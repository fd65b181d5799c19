import { createDesktopClient } from './desktop-client';
import { createHttpClient } from './http-client';
import { takeToken } from './token';
import type { RendererClient } from './types';

let client: RendererClient | null = null;

/** Picks the transport once, at start-up: Electron's bridge if present, else HTTP. */
export function startClient(): RendererClient {
  client ??= window.tessera ? createDesktopClient(window.tessera) : createHttpClient(takeToken());
  return client;
}

/** The client every store calls through. */
export function api(): RendererClient {
  if (!client) throw new Error('startClient() has not run');
  return client;
}
