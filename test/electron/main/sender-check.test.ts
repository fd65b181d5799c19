/**
 * Only the top frame of one of our windows, on the app's origin, may use the API; pages get
 * (almost) no permissions.
 */
import { describe, expect, it } from 'vitest';
import { allowsPermission } from '../../../electron/main/permission-policy.js';
import { checkSender, type FrameLike } from '../../../electron/main/sender-check.js';

function frame(overrides: Partial<FrameLike> & { destroyed?: boolean } = {}): FrameLike {
  const { destroyed = false, ...rest } = overrides;
  return {
    url: 'tessera://app/index.html',
    processId: 4,
    frameToken: 'token-main',
    parent: null,
    isDestroyed: () => destroyed,
    detached: false,
    ...rest,
  };
}

describe('checkSender', () => {
  const main = frame();

  it('trusts the main frame of our window on the app origin', () => {
    expect(checkSender(main, [main])).toEqual({ trusted: true });
    // Electron may hand out a different wrapper object for the same frame.
    expect(checkSender({ ...main }, [main])).toEqual({ trusted: true });
    expect(checkSender(frame({ url: 'tessera://app/jobs?id=3#x' }), [main]).trusted).toBe(true);
  });

  it('refuses a missing or destroyed frame', () => {
    expect(checkSender(null, [main]).trusted).toBe(false);
    expect(checkSender(undefined, [main]).trusted).toBe(false);
    expect(checkSender(frame({ destroyed: true }), [main]).trusted).toBe(false);
    expect(checkSender(frame({ detached: true }), [main]).trusted).toBe(false);
  });

  it('refuses a frame whose properties throw', () => {
    const broken = {
      get url(): string {
        throw new Error('Render frame was disposed before WebFrameMain could be accessed');
      },
      processId: 4,
      frameToken: 'token-main',
      parent: null,
    };
    expect(checkSender(broken, [main]).trusted).toBe(false);
  });

  it('refuses a subframe, even one of our own pages', () => {
    const sub = frame({ frameToken: 'token-sub', parent: main });
    expect(checkSender(sub, [main])).toEqual({ trusted: false, reason: 'sent from a subframe' });
  });

  it('refuses frames of windows that are not ours', () => {
    expect(checkSender(frame({ frameToken: 'other' }), [main]).trusted).toBe(false);
    expect(checkSender(frame({ processId: 9 }), [main]).trusted).toBe(false);
    expect(checkSender(main, []).trusted).toBe(false);
  });

  it('refuses our window once it shows a foreign origin', () => {
    for (const url of [
      'https://evil.example/',
      'file:///etc/passwd',
      'tessera://evil/index.html',
      'tessera://app:81/index.html',
      'tessera://user@app/index.html',
      'http://app/index.html',
      'about:blank',
      'not a url',
    ]) {
      const navigated = frame({ url });
      expect(checkSender(navigated, [navigated]), url).toMatchObject({ trusted: false });
    }
  });
});

describe('allowsPermission', () => {
  const app = 'tessera://app/index.html';

  it('refuses everything a page might ask for', () => {
    for (const permission of [
      'media',
      'geolocation',
      'notifications',
      'clipboard-read',
      'hid',
      'usb',
      'serial',
      'fileSystem',
      'openExternal',
      'unknown',
    ]) {
      expect(allowsPermission(permission, app, true), permission).toBe(false);
    }
  });

  it('lets only our top-level page write text to the clipboard', () => {
    expect(allowsPermission('clipboard-sanitized-write', app, true)).toBe(true);
    expect(allowsPermission('clipboard-sanitized-write', app, false)).toBe(false);
    expect(allowsPermission('clipboard-sanitized-write', 'https://evil.example/', true)).toBe(
      false,
    );
    expect(allowsPermission('clipboard-sanitized-write', undefined, true)).toBe(false);
  });
});
