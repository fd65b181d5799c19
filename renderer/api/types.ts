import type { ApiClient } from '../../shared/api';

/**
 * How the event channel is doing. Desktop IPC is always 'connected'; the console's WebSocket
 * goes 'reconnecting' while it retries, and 'unauthorized' means the token was refused.
 */
export type ConnectionState = 'connecting' | 'connected' | 'reconnecting' | 'unauthorized';

/** The shared ApiClient plus what only the renderer needs to know about its transport. */
export interface RendererClient extends ApiClient {
  readonly shell: 'desktop' | 'console';
  readonly connection: ConnectionState;
  onConnection(listener: (state: ConnectionState) => void): () => void;
  /**
   * Called after the event channel came back from an outage: events were missed while it was
   * down, so every store refetches what it shows.
   */
  onResync(listener: () => void): () => void;
  /** The native folder dialog (desktop only); null where the in-app FolderPicker is needed. */
  readonly pickFolder: ((title?: string) => Promise<string | null>) | null;
  /**
   * Drag-out to the file manager (desktop only; null in the console): starts a native drag of
   * files or folders staged under AppInfo.stagingDir. Call from dragstart, after preventDefault.
   */
  readonly startDrag: ((paths: readonly string[]) => void) | null;
}
