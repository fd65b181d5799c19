/**
 * A stand-in for the 'electron' module, enough for main.ts to run in vitest: it records what
 * main asks of Electron (windows and their options, IPC handlers and listeners, the protocol
 * handler, the tray, menus, dialogs, native drags) and lets a test play Electron's part
 * (ready, IPC calls, quit).
 */
type Handler = (...args: never[]) => unknown;

export class Emitter {
  readonly listeners = new Map<string, Handler[]>();
  on(event: string, listener: Handler): this {
    this.listeners.set(event, [...(this.listeners.get(event) ?? []), listener]);
    return this;
  }
  once(event: string, listener: Handler): this {
    return this.on(event, listener);
  }
  emit(event: string, ...args: unknown[]): void {
    for (const listener of this.listeners.get(event) ?? []) {
      (listener as (...args: unknown[]) => unknown)(...args);
    }
  }
}

let nextId = 1;

export class FakeWebContents extends Emitter {
  readonly id = nextId++;
  readonly sent: unknown[][] = [];
  /** Each webContents.startDrag item, in order. */
  readonly drags: unknown[] = [];
  windowOpenHandler: ((details: { url: string }) => { action: string }) | null = null;
  readonly mainFrame = {
    url: '',
    processId: 100 + this.id,
    frameToken: `frame-${this.id}`,
    parent: null,
    detached: false,
    isDestroyed: () => false,
  };
  isDestroyed = () => false;
  getURL = () => this.mainFrame.url;
  send(channel: string, ...args: unknown[]): void {
    this.sent.push([channel, ...args]);
  }
  setWindowOpenHandler(handler: (details: { url: string }) => { action: string }): void {
    this.windowOpenHandler = handler;
  }
  startDrag(item: unknown): void {
    this.drags.push(item);
  }
}

export class FakeBrowserWindow extends Emitter {
  static readonly all: FakeBrowserWindow[] = [];
  readonly webContents = new FakeWebContents();
  focused = 0;
  maximized = false;
  constructor(readonly options: Record<string, unknown>) {
    super();
    FakeBrowserWindow.all.push(this);
    app.emit('web-contents-created', {}, this.webContents);
  }
  static fromWebContents(contents: unknown): FakeBrowserWindow | null {
    return FakeBrowserWindow.all.find((window) => window.webContents === contents) ?? null;
  }
  static getFocusedWindow(): FakeBrowserWindow | null {
    return null;
  }
  async loadURL(url: string): Promise<void> {
    this.webContents.mainFrame.url = url;
  }
  isDestroyed = () => false;
  isMinimized = () => false;
  isMaximized = () => this.maximized;
  restore(): void {}
  show(): void {}
  focus(): void {
    this.focused++;
  }
  maximize(): void {
    this.maximized = true;
  }
  getNormalBounds() {
    return { x: 10, y: 20, width: 1000, height: 700 };
  }
}

class FakeApp extends Emitter {
  readonly paths = new Map<string, string>();
  name = 'tessera';
  readonly exitCodes: number[] = [];
  quits = 0;
  isPackaged = false;
  readonly ready = Promise.resolve();
  requestSingleInstanceLock = () => true;
  whenReady = () => this.ready;
  isReady = () => true;
  getPath = (name: string) => {
    const found = this.paths.get(name);
    if (found === undefined) throw new Error(`unexpected getPath(${name})`);
    return found;
  };
  setPath = (name: string, value: string) => void this.paths.set(name, value);
  get userData(): string {
    return this.getPath('userData');
  }
  getVersion = () => '0.1.0-test';
  setName = (name: string) => void (this.name = name);
  getName = () => this.name;
  quit(): void {
    this.quits++;
  }
  exit(code: number): void {
    this.exitCodes.push(code);
  }
}
export const app = new FakeApp();

export const ipcMain = {
  handlers: new Map<string, (event: unknown, ...args: unknown[]) => unknown>(),
  handle(channel: string, listener: (event: unknown, ...args: unknown[]) => unknown): void {
    this.handlers.set(channel, listener);
  },
  removeHandler(channel: string): void {
    this.handlers.delete(channel);
  },
  /** ipcMain.on listeners (one-way messages, ipcRenderer.send). */
  listeners: new Map<string, ((event: unknown, ...args: unknown[]) => void)[]>(),
  on(channel: string, listener: (event: unknown, ...args: unknown[]) => void): void {
    this.listeners.set(channel, [...(this.listeners.get(channel) ?? []), listener]);
  },
  removeListener(channel: string, listener: (event: unknown, ...args: unknown[]) => void): void {
    this.listeners.set(
      channel,
      (this.listeners.get(channel) ?? []).filter((known) => known !== listener),
    );
  },
  /** What ipcRenderer.send(channel, ...args) delivers. */
  send(channel: string, event: unknown, ...args: unknown[]): void {
    for (const listener of this.listeners.get(channel) ?? []) listener(event, ...args);
  },
};

export const protocol = {
  privileged: [] as unknown[],
  registerSchemesAsPrivileged(schemes: unknown[]): void {
    this.privileged.push(...schemes);
  },
};

export const session = {
  defaultSession: {
    protocolHandlers: new Map<string, (request: Request) => Promise<Response>>(),
    permissionRequestHandler: null as Handler | null,
    permissionCheckHandler: null as Handler | null,
    devicePermissionHandler: null as Handler | null,
    protocol: {
      handle(scheme: string, handler: (request: Request) => Promise<Response>): void {
        session.defaultSession.protocolHandlers.set(scheme, handler);
      },
    },
    setPermissionRequestHandler(handler: Handler): void {
      this.permissionRequestHandler = handler;
    },
    setPermissionCheckHandler(handler: Handler): void {
      this.permissionCheckHandler = handler;
    },
    setDevicePermissionHandler(handler: Handler): void {
      this.devicePermissionHandler = handler;
    },
  },
};

export const Menu = {
  applicationMenu: null as unknown,
  buildFromTemplate: (template: unknown[]) => ({ template }),
  setApplicationMenu(menu: unknown): void {
    this.applicationMenu = menu;
  },
};

export class Tray extends Emitter {
  static readonly all: Tray[] = [];
  tooltip = '';
  menu: { template: { label?: string; click?: () => void }[] } | null = null;
  constructor(readonly image: unknown) {
    super();
    Tray.all.push(this);
  }
  setImage(): void {}
  setToolTip(text: string): void {
    this.tooltip = text;
  }
  setContextMenu(menu: { template: { label?: string; click?: () => void }[] }): void {
    this.menu = menu;
  }
  destroyed = false;
  destroy(): void {
    this.destroyed = true;
  }
}

export const nativeImage = {
  createFromBuffer: (buffer: Buffer) => ({
    buffer,
    addRepresentation: () => undefined,
    setTemplateImage: () => undefined,
  }),
};

export class Notification extends Emitter {
  static readonly shown: Notification[] = [];
  static isSupported = () => true;
  constructor(readonly options: { title: string; body: string }) {
    super();
  }
  show(): void {
    Notification.shown.push(this);
  }
}

export const dialog = {
  errors: [] as [string, string][],
  showErrorBox(title: string, content: string): void {
    this.errors.push([title, content]);
  },
  showOpenDialog: async () => ({ canceled: true, filePaths: [] }),
  showMessageBox: async () => ({ response: 0 }),
};

const workArea = { x: 0, y: 0, width: 1920, height: 1080 };
export const screen = {
  getAllDisplays: () => [{ workArea }],
  getPrimaryDisplay: () => ({ workArea }),
};

export const shell = {
  opened: [] as string[],
  async openExternal(url: string): Promise<void> {
    this.opened.push(url);
  },
};

export const BrowserWindow = FakeBrowserWindow;

export const electron = {
  app,
  BrowserWindow,
  ipcMain,
  protocol,
  session,
  Menu,
  Tray,
  nativeImage,
  Notification,
  dialog,
  screen,
  shell,
};
