/**
 * Which IPC messages the main process answers. Any frame of any web contents can send IPC
 * once it has a preload or a compromised renderer; only the top frame of one of our own
 * windows, showing our own origin, may call the API. A subframe (an <iframe> of other
 * content), a page that navigated elsewhere, or a frame already gone are all refused.
 */
import { isAppUrl } from './app-protocol.js';

/** The facts of an Electron WebFrameMain the check needs (tests pass plain objects). */
export interface FrameLike {
  readonly url: string;
  readonly processId: number;
  readonly frameToken: string;
  readonly parent: FrameLike | null;
  isDestroyed?(): boolean;
  readonly detached?: boolean;
}

export type SenderVerdict =
  { readonly trusted: true } | { readonly trusted: false; readonly reason: string };

function sameFrame(a: FrameLike, b: FrameLike): boolean {
  return a === b || (a.processId === b.processId && a.frameToken === b.frameToken);
}

/**
 * @param senderFrame `event.senderFrame` (null once the frame navigated or was destroyed).
 * @param ourMainFrames The main frames of our live windows.
 */
export function checkSender(
  senderFrame: FrameLike | null | undefined,
  ourMainFrames: Iterable<FrameLike>,
): SenderVerdict {
  if (!senderFrame) return { trusted: false, reason: 'the sending frame is gone' };
  try {
    // A destroyed frame's properties can throw; either way it cannot be trusted.
    if (senderFrame.isDestroyed?.() === true || senderFrame.detached === true) {
      return { trusted: false, reason: 'the sending frame is gone' };
    }
    if (senderFrame.parent !== null) {
      return { trusted: false, reason: 'sent from a subframe' };
    }
    if (![...ourMainFrames].some((frame) => sameFrame(frame, senderFrame))) {
      return { trusted: false, reason: 'sent from a window that is not Tessera’s' };
    }
    if (!isAppUrl(senderFrame.url)) {
      return { trusted: false, reason: `sent from a foreign origin (${senderFrame.url})` };
    }
    return { trusted: true };
  } catch {
    return { trusted: false, reason: 'the sending frame cannot be inspected' };
  }
}
