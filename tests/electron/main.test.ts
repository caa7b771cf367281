// Pins down the shell's wiring with a stand-in for Electron (the binary cannot run here): the
// single-instance lock, cusp:// and the IPC transport set up on ready, a locked-down main window
// on cusp://app, the consultation display only on a second monitor (or from the menu), window
// state kept across runs, and the services closed before the app quits.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { DisplayArea } from '../../electron/displays.js';
import { scratchDir } from '../support/paths.js';

const fake = await vi.hoisted(async () => {
  const { EventEmitter: Emitter } = await import('node:events');
  const state = {
    userData: '',
    lock: true,
    displays: [] as Array<{ id: number; bounds: Rect; workArea: Rect }>,
    windows: [] as FakeWindow[],
  };
  type Rect = { x: number; y: number; width: number; height: number };
  type FakeWindow = InstanceType<typeof BrowserWindow>;
  let nextFrame = 0;

  class BrowserWindow extends Emitter {
    static getAllWindows = () => state.windows.filter((window) => !window.destroyed);
    destroyed = false;
    url = '';
    minimized = false;
    maximized = false;
    shown: 'no' | 'active' | 'inactive' = 'no';
    focused = 0;
    bounds: Rect;
    webContents: { mainFrame: { url: string; processId: number; frameToken: string; parent: null }; isDestroyed(): boolean; send: (...args: unknown[]) => void };
    constructor(public options: Record<string, unknown> & { x?: number; y?: number; width?: number; height?: number }) {
      super();
      this.bounds = { x: options.x ?? 0, y: options.y ?? 0, width: options.width ?? 800, height: options.height ?? 600 };
      const mainFrame = { url: '', processId: 1, frameToken: `frame-${++nextFrame}`, parent: null };
      this.webContents = { mainFrame, isDestroyed: () => this.destroyed, send: () => {} };
      state.windows.push(this);
    }
    async loadURL(url: string) {
      this.url = url;
      this.webContents.mainFrame.url = url;
      this.emit('ready-to-show');
    }
    show() { this.shown = 'active'; }
    showInactive() { this.shown = 'inactive'; }
    focus() { this.focused += 1; }
    isMinimized() { return this.minimized; }
    restore() { this.minimized = false; }
    maximize() { this.maximized = true; }
    isMaximized() { return this.maximized; }
    getBounds() { return this.bounds; }
    getNormalBounds() { return this.bounds; }
    close() {
      this.emit('close');
      this.destroyed = true;
      this.emit('closed');
    }
  }

  const app = Object.assign(new Emitter(), {
    isPackaged: false,
    setName: vi.fn(),
    enableSandbox: vi.fn(),
    requestSingleInstanceLock: vi.fn(() => state.lock),
    quit: vi.fn(),
    exit: vi.fn(),
    whenReady: vi.fn(() => Promise.resolve()),
    getPath: vi.fn((name: string) => {
      if (name !== 'userData') throw new Error(`unexpected path ${name}`);
      return state.userData;
    }),
    setAboutPanelOptions: vi.fn(),
    showAboutPanel: vi.fn(),
  });
  const screen = Object.assign(new Emitter(), {
    getAllDisplays: () => state.displays,
    getPrimaryDisplay: () => state.displays[0]!,
    getDisplayMatching: (rect: Rect) =>
      state.displays.find((d) => rect.x >= d.bounds.x && rect.x < d.bounds.x + d.bounds.width) ?? state.displays[0]!,
  });
  const electron = {
    app,
    BrowserWindow,
    screen,
    protocol: { registerSchemesAsPrivileged: vi.fn(), handle: vi.fn() },
    ipcMain: { handle: vi.fn(), removeHandler: vi.fn() },
    Menu: { buildFromTemplate: vi.fn((template: unknown) => template), setApplicationMenu: vi.fn() },
    session: { defaultSession: { setPermissionRequestHandler: vi.fn(), setPermissionCheckHandler: vi.fn() } },
    shell: { openExternal: vi.fn(async () => {}) },
    dialog: { showErrorBox: vi.fn() },
    // No keyring (like a bare Linux box): the shell falls back to the 0600 secrets file.
    safeStorage: { isEncryptionAvailable: () => false, encryptString: () => Buffer.alloc(0), decryptString: () => '' },
  };
  return { state, electron, BrowserWindow };
});

vi.mock('electron', () => ({ ...fake.electron, default: fake.electron }));

const laptop: DisplayArea = { id: 1, bounds: { x: 0, y: 0, width: 1920, height: 1080 }, workArea: { x: 0, y: 0, width: 1920, height: 1040 } };
const patientScreen: DisplayArea = { id: 2, bounds: { x: 1920, y: 0, width: 1920, height: 1080 }, workArea: { x: 1920, y: 0, width: 1920, height: 1080 } };
const { electron, state } = fake;
let savedDataEnv: string | undefined;

beforeEach(() => {
  savedDataEnv = process.env.CUSP_DATA_DIR;
  delete process.env.CUSP_DATA_DIR;
  vi.resetModules();
  vi.clearAllMocks();
  electron.app.removeAllListeners();
  electron.screen.removeAllListeners();
  state.lock = true;
  state.windows = [];
  state.displays = [laptop];
  state.userData = scratchDir('userdata');
});

afterEach(async () => {
  await quit();
  if (savedDataEnv === undefined) delete process.env.CUSP_DATA_DIR;
  else process.env.CUSP_DATA_DIR = savedDataEnv;
});

/** Imports electron/main.ts as Electron would run it, and waits for the main window. */
async function launch() {
  await import('../../electron/main.js');
  await vi.waitFor(() => expect(liveWindows().length).toBeGreaterThan(0));
}
const liveWindows = () => state.windows.filter((window) => !window.destroyed);
const mainWindow = () => liveWindows().find((window) => window.url === 'cusp://app/')!;
const consultWindow = () => liveWindows().find((window) => window.url === 'cusp://app/consult');

/** Runs 'will-quit' as Electron does: the shell holds the quit until the services are closed. */
async function quit() {
  if (electron.app.listenerCount('will-quit') === 0) return;
  electron.app.quit.mockClear();
  const event = { preventDefault: vi.fn() };
  electron.app.emit('will-quit', event);
  if (event.preventDefault.mock.calls.length) await vi.waitFor(() => expect(electron.app.quit).toHaveBeenCalled());
  electron.app.removeAllListeners();
}

describe('electron/main', () => {
  it('quits at once when Cusp is already running', async () => {
    state.lock = false;
    await import('../../electron/main.js');
    expect(electron.app.quit).toHaveBeenCalledOnce();
    expect(electron.app.whenReady).not.toHaveBeenCalled();
    expect(state.windows).toHaveLength(0);
  });

  it('registers cusp:// before ready, then serves it, guards sessions and answers IPC', async () => {
    await launch();
    expect(electron.app.setName).toHaveBeenCalledWith('Cusp');
    expect(electron.app.enableSandbox).toHaveBeenCalled();
    expect(electron.protocol.registerSchemesAsPrivileged).toHaveBeenCalledWith([
      expect.objectContaining({ scheme: 'cusp', privileges: expect.objectContaining({ standard: true, secure: true }) }),
    ]);
    expect(electron.protocol.handle).toHaveBeenCalledWith('cusp', expect.any(Function));
    expect(electron.session.defaultSession.setPermissionRequestHandler).toHaveBeenCalled();
    expect(electron.app.listenerCount('web-contents-created')).toBe(1);

    const [channel, handler] = electron.ipcMain.handle.mock.calls[0] as unknown as [string, (...args: unknown[]) => Promise<unknown>];
    expect(channel).toBe('cusp:invoke');
    const window = mainWindow();
    const result = await handler({ sender: window.webContents, senderFrame: window.webContents.mainFrame }, 'app.info', {});
    expect(result).toMatchObject({ ok: true, value: { name: 'Cusp', dataDir: state.userData } });
  });

  it("answers cusp://app/img/ with main's image route, as the main window's signed-in user", async () => {
    const { main } = await import('../../main/cli/index.js');
    const log = vi.spyOn(console, 'log').mockImplementation(() => undefined);
    expect(await main(['node', 'cusp', 'demo', '--patients', '1', '--data', state.userData])).toBe(0);
    log.mockRestore();
    await launch();
    const serveCusp = electron.protocol.handle.mock.calls[0]![1] as unknown as (request: Request) => Promise<Response>;
    const image = 'cusp://app/img/6f1d2c3b-4a59-4e6f-8a7b-9c0d1e2f3a4b/view';
    expect((await serveCusp(new Request(image))).status).toBe(403); // nobody signed in
    const [, invoke] = electron.ipcMain.handle.mock.calls[0] as unknown as [string, (...args: unknown[]) => Promise<{ ok: boolean }>];
    const window = mainWindow();
    const signedIn = await invoke({ sender: window.webContents, senderFrame: window.webContents.mainFrame }, 'auth.signIn', { username: 'dr.lavoie', password: 'demo-cusp-2026' });
    expect(signedIn).toMatchObject({ ok: true });
    expect((await serveCusp(new Request(image))).status).toBe(404); // allowed; no such image
    expect((await serveCusp(new Request('cusp://app/index.html'))).status).toBe(200);
  });

  it('opens a locked-down main window on cusp://app, with the French menu by default', async () => {
    await launch();
    const window = mainWindow();
    expect(window.options.webPreferences).toMatchObject({ sandbox: true, contextIsolation: true, nodeIntegration: false });
    expect(String((window.options.webPreferences as { preload: string }).preload)).toMatch(/[/\\]preload\.cjs$/);
    expect(window.shown).toBe('active');
    const template = electron.Menu.setApplicationMenu.mock.calls[0]![0] as unknown as Array<{ label: string }>;
    expect(template.map((item) => item.label)).toContain('Fenêtre');
    // One monitor: no consultation display by itself.
    expect(consultWindow()).toBeUndefined();
  });

  it('brings the running window forward on a second launch', async () => {
    await launch();
    const window = mainWindow();
    window.minimized = true;
    electron.app.emit('second-instance');
    expect(window.minimized).toBe(false);
    expect(window.focused).toBe(1);
  });

  it('puts the consultation display full screen on the second monitor without taking the focus', async () => {
    state.displays = [laptop, patientScreen];
    await launch();
    await vi.waitFor(() => expect(consultWindow()).toBeDefined());
    const consult = consultWindow()!;
    expect(consult.options).toMatchObject({ ...patientScreen.bounds, fullscreen: true });
    expect(consult.shown).toBe('inactive');
    // The patient's monitor is unplugged: the patient view does not land on the clinician's screen.
    state.displays = [laptop];
    electron.screen.emit('display-removed');
    expect(consultWindow()).toBeUndefined();
  });

  it('opens the consultation display from the menu on a single monitor', async () => {
    await launch();
    const template = electron.Menu.setApplicationMenu.mock.calls[0]![0] as unknown as Array<{ submenu?: Array<{ label?: string; click?: () => void }> }>;
    const item = template.flatMap((menu) => menu.submenu ?? []).find((entry) => entry.label === 'Écran de consultation')!;
    item.click!();
    const consult = consultWindow()!;
    expect(consult.options.fullscreen).toBe(false);
    expect(consult.shown).toBe('active');
    item.click!();
    expect(liveWindows().filter((window) => window.url === 'cusp://app/consult')).toHaveLength(1);
    // Closing the main window closes the consultation display too.
    mainWindow().close();
    expect(consultWindow()).toBeUndefined();
  });

  it('remembers where the main window was', async () => {
    await launch();
    const window = mainWindow();
    window.bounds = { x: 200, y: 150, width: 1100, height: 700 };
    window.maximized = true;
    window.close();
    expect(JSON.parse(readFileSync(join(state.userData, 'window-state.json'), 'utf8'))).toEqual({
      bounds: window.bounds,
      maximized: true,
    });
    await quit();

    vi.resetModules();
    state.windows = [];
    await launch();
    expect(mainWindow().options).toMatchObject({ x: 200, y: 150, width: 1100, height: 700 });
    expect(mainWindow().maximized).toBe(true);
  });

  it('closes the services before letting the app quit', async () => {
    await launch();
    const event = { preventDefault: vi.fn() };
    electron.app.emit('will-quit', event);
    expect(event.preventDefault).toHaveBeenCalledOnce();
    expect(electron.ipcMain.removeHandler).toHaveBeenCalledWith('cusp:invoke');
    await vi.waitFor(() => expect(electron.app.quit).toHaveBeenCalledOnce());
    // The second 'will-quit' (from that quit) goes through.
    const again = { preventDefault: vi.fn() };
    electron.app.emit('will-quit', again);
    expect(again.preventDefault).not.toHaveBeenCalled();
  });

  it('shows why it cannot start (a broken config.json) and exits', async () => {
    writeFileSync(join(state.userData, 'config.json'), '{ not json');
    await import('../../electron/main.js');
    await vi.waitFor(() => expect(electron.app.exit).toHaveBeenCalledWith(1));
    expect(electron.dialog.showErrorBox).toHaveBeenCalledWith('Cusp', expect.stringMatching(/config\.json is not valid JSON/));
    expect(state.windows).toHaveLength(0);
  });
});
