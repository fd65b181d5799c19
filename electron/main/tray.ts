/** The tray icon: the last backup's outcome in its tooltip, menu and colour, and quick actions. */
import { Menu, Tray, nativeImage, type NativeImage } from 'electron';
import type { ApiEvent } from '../../shared/api.js';
import { iconPng, type IconBadge } from './app-icon.js';
import { trayMenuTemplate } from './app-menu.js';
import {
  nextTrayStatus,
  traySeverity,
  trayStatusLine,
  trayTooltip,
  type TrayStatus,
} from './tray-status.js';

export interface StatusTrayOptions {
  readonly initial: TrayStatus;
  readonly isMac: boolean;
  readonly openWindow: () => void;
  readonly backupNow: () => void;
  readonly quit: () => void;
}

export interface StatusTray {
  update(event: ApiEvent): void;
  destroy(): void;
}

function formatTime(ms: number): string {
  return new Date(ms).toLocaleString(undefined, { dateStyle: 'short', timeStyle: 'short' });
}

function trayImage(badge: IconBadge, isMac: boolean): NativeImage {
  // macOS menu-bar icons are monochrome templates (the system tints them); elsewhere the
  // status dot carries the outcome's colour. 16 px plus a 2× version for HiDPI screens.
  const options = { monochrome: isMac, badge };
  const image = nativeImage.createFromBuffer(iconPng(16, options), { scaleFactor: 1 });
  image.addRepresentation({ scaleFactor: 2, buffer: iconPng(32, options) });
  if (isMac) image.setTemplateImage(true);
  return image;
}

export function createStatusTray(options: StatusTrayOptions): StatusTray {
  const images = new Map<IconBadge, NativeImage>();
  const imageFor = (badge: IconBadge) => {
    let image = images.get(badge);
    if (!image) {
      image = trayImage(badge, options.isMac);
      images.set(badge, image);
    }
    return image;
  };
  let status = options.initial;
  const tray = new Tray(imageFor(traySeverity(status)));
  const render = () => {
    tray.setImage(imageFor(traySeverity(status)));
    tray.setToolTip(trayTooltip(status, formatTime));
    tray.setContextMenu(
      Menu.buildFromTemplate(
        trayMenuTemplate({
          status: trayStatusLine(status, formatTime),
          backupRunning: status.running.length > 0,
          openWindow: options.openWindow,
          backupNow: options.backupNow,
          quit: options.quit,
        }),
      ),
    );
  };
  render();
  // A left click opens the window on Windows and Linux; macOS shows the menu, as is usual there.
  if (!options.isMac) tray.on('click', options.openWindow);
  return {
    update(event) {
      const next = nextTrayStatus(status, event);
      if (next === status) return;
      status = next;
      render();
    },
    destroy: () => tray.destroy(),
  };
}
