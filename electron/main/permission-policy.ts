/**
 * Which web permissions a page gets: none, except writing plain text to the clipboard from
 * our own top-level page (a "copy" button; the browser sanitises what is written). Camera,
 * microphone, geolocation, notifications from the page, USB, serial, HID, file system
 * access, clipboard reading... the UI needs none of them, so a compromised page gets none.
 */
import { isAppUrl } from './app-protocol.js';

const ALLOWED_FOR_APP = new Set(['clipboard-sanitized-write']);

export function allowsPermission(
  permission: string,
  requestingUrl: string | undefined,
  isMainFrame: boolean,
): boolean {
  return (
    ALLOWED_FOR_APP.has(permission) &&
    isMainFrame &&
    requestingUrl !== undefined &&
    isAppUrl(requestingUrl)
  );
}
