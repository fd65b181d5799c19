import {
  ApiCallError,
  type ApiEnvelope,
  type ApiEventListener,
  type ApiMethod,
  type ApiParams,
  type ApiResult,
  type DesktopBridge,
} from '../../shared/api';
import type { ConnectionState, RendererClient } from './types';

declare global {
  interface Window {
    /** Exposed by Electron's preload script; absent in the headless console. */
    readonly tessera?: DesktopBridge;
  }
}

/** The client inside Electron: each method is a named function on the preload bridge. */
export function createDesktopClient(bridge: DesktopBridge): RendererClient {
  return {
    shell: 'desktop',
    // IPC has no connection to lose: events flow as long as the window lives.
    connection: 'connected' satisfies ConnectionState,
    async call<M extends ApiMethod>(method: M, params: ApiParams<M>): Promise<ApiResult<M>> {
      const invoke = bridge.api[method] as (params: ApiParams<M>) => Promise<ApiEnvelope<M>>;
      let envelope: ApiEnvelope<M>;
      try {
        envelope = await invoke(params);
      } catch (error) {
        // The bridge itself failed (the main process is gone or the preload is stale).
        throw new ApiCallError({
          code: 'UNREACHABLE',
          message: `Tessera's main process did not answer: ${error instanceof Error ? error.message : String(error)}`,
          remedy: 'Restart Tessera.',
        });
      }
      if (!envelope.ok) throw new ApiCallError(envelope.error);
      return envelope.result;
    },
    subscribe: (listener: ApiEventListener) => bridge.onEvent(listener),
    onConnection: () => () => {},
    onResync: () => () => {},
    pickFolder: (title) => bridge.pickFolder(title),
    startDrag: (paths) => bridge.startDrag(paths),
  };
}
