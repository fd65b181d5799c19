/**
 * Binds the API contract onto IPC: one `tessera:<method>` channel per API method, plus the
 * native dialogs, each refusing senders that are not our own app page (see sender-check.ts)
 * before anything else runs. Written against an ipcMain-like interface so it is tested
 * without Electron, with the real API handler behind it.
 */
import { API_METHODS, type ApiEnvelope, type ApiEvent, type ApiMethod } from '../../shared/api.js';
import type { ApiHandler } from '../api/handler.js';
import {
  EVENT_CHANNEL,
  PICK_DISK_FILE_CHANNEL,
  PICK_FOLDER_CHANNEL,
  apiChannel,
} from '../preload/channels.js';
import { isAppUrl } from './app-protocol.js';
import type { SenderVerdict } from './sender-check.js';

/** The part of Electron's ipcMain used here; `Event` is IpcMainInvokeEvent in the app. */
export interface IpcMainLike<Event> {
  handle(channel: string, listener: (event: Event, ...args: unknown[]) => unknown): void;
  removeHandler(channel: string): void;
}

export interface NativeDialogs<Event> {
  /** Null when the user cancels. `event` says which window the dialog belongs to. */
  pickFolder(event: Event, title: string | undefined): Promise<string | null>;
  pickDiskFile(event: Event, title: string | undefined): Promise<string | null>;
}

export interface IpcBindingOptions<Event> {
  readonly ipc: IpcMainLike<Event>;
  readonly handler: Pick<ApiHandler, 'handle'>;
  readonly dialogs: NativeDialogs<Event>;
  /** Decides whether the sender may call at all (checkSender over our windows). */
  readonly authorize: (event: Event) => SenderVerdict;
  /** Where refused calls are reported (default console.warn). */
  readonly log?: (message: string) => void;
}

export class UnauthorizedSenderError extends Error {
  override readonly name = 'UnauthorizedSenderError';
  readonly code = 'UNAUTHORIZED';
}

const UNAUTHORIZED_MESSAGE = 'this page may not use the Tessera API';

function dialogTitle(title: unknown): string | undefined {
  return typeof title === 'string' && title.length <= 200 ? title : undefined;
}

/** Binds every channel; returns a function that unbinds them again. */
export function bindIpc<Event>(options: IpcBindingOptions<Event>): () => void {
  const { ipc, handler, dialogs, authorize } = options;
  const log = options.log ?? ((message: string) => console.warn(message));
  const channels: string[] = [];

  const refused = (channel: string, event: Event): string | null => {
    const verdict = authorize(event);
    if (verdict.trusted) return null;
    log(`tessera: refused IPC on ${channel}: ${verdict.reason}`);
    return verdict.reason;
  };

  for (const method of API_METHODS) {
    const channel = apiChannel(method);
    ipc.handle(channel, async (event, params): Promise<ApiEnvelope<ApiMethod>> => {
      if (refused(channel, event) !== null) {
        // The reason stays in the log: the page learns only that it was refused.
        return { ok: false, error: { code: 'UNAUTHORIZED', message: UNAUTHORIZED_MESSAGE } };
      }
      return handler.handle(method, params);
    });
    channels.push(channel);
  }

  const dialog = (channel: string, pick: NativeDialogs<Event>['pickFolder']) => {
    ipc.handle(channel, async (event, title) => {
      if (refused(channel, event) !== null) throw new UnauthorizedSenderError(UNAUTHORIZED_MESSAGE);
      return pick(event, dialogTitle(title));
    });
    channels.push(channel);
  };
  dialog(PICK_FOLDER_CHANNEL, (event, title) => dialogs.pickFolder(event, title));
  dialog(PICK_DISK_FILE_CHANNEL, (event, title) => dialogs.pickDiskFile(event, title));

  return () => {
    for (const channel of channels) ipc.removeHandler(channel);
  };
}

/** A window's web contents, as far as pushing events to it goes. */
export interface EventRecipient {
  isDestroyed(): boolean;
  getURL(): string;
  send(channel: string, ...args: unknown[]): void;
}

/**
 * Pushes engine events to each live window that shows our app (never to a page that somehow
 * navigated elsewhere). Returns the unsubscribe function.
 */
export function forwardEvents(
  subscribe: (listener: (event: ApiEvent) => void) => () => void,
  targets: () => Iterable<EventRecipient>,
): () => void {
  return subscribe((event) => {
    for (const target of targets()) {
      try {
        if (target.isDestroyed() || !isAppUrl(target.getURL())) continue;
        target.send(EVENT_CHANNEL, event);
      } catch {
        // a window closing mid-send must not stop the others getting the event
      }
    }
  });
}
