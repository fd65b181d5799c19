/**
 * The options of every Tessera window. The security-relevant web preferences are applied
 * last, over whatever a caller asked for, so no window can be made with Node in the page, the
 * sandbox off or the preload sharing the page's JavaScript world.
 */
import type { BrowserWindowConstructorOptions, WebPreferences } from 'electron';

export interface WindowOptionsInput {
  /** Absolute path of the bundled preload (out/desktop/preload.cjs). */
  readonly preloadPath: string;
  /** Devtools are only available in development builds. */
  readonly devTools: boolean;
  /** Size, position, title...: anything but the forced web preferences. */
  readonly requested?: BrowserWindowConstructorOptions;
}

/** What no caller can change. */
export const FORCED_WEB_PREFERENCES = {
  contextIsolation: true,
  sandbox: true,
  nodeIntegration: false,
  nodeIntegrationInWorker: false,
  nodeIntegrationInSubFrames: false,
  webSecurity: true,
  allowRunningInsecureContent: false,
  webviewTag: false,
  experimentalFeatures: false,
  navigateOnDragDrop: false,
  safeDialogs: true,
} as const satisfies WebPreferences;

export const MIN_WINDOW_SIZE = { width: 800, height: 560 } as const;

export function secureWindowOptions(input: WindowOptionsInput): BrowserWindowConstructorOptions {
  const requested = input.requested ?? {};
  // Blink feature switches can re-enable what the forced options turn off.
  const {
    enableBlinkFeatures: _enable,
    disableBlinkFeatures: _disable,
    additionalArguments: _arguments,
    ...requestedPreferences
  } = requested.webPreferences ?? {};
  return {
    minWidth: MIN_WINDOW_SIZE.width,
    minHeight: MIN_WINDOW_SIZE.height,
    title: 'Tessera',
    // Shown once the first paint is ready, so the user never sees a blank white frame.
    show: false,
    ...requested,
    webPreferences: {
      ...requestedPreferences,
      ...FORCED_WEB_PREFERENCES,
      preload: input.preloadPath,
      devTools: input.devTools,
    },
  };
}
