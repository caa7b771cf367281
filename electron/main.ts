/**
 * The desktop shell: Electron's entry point (package.json "main": dist/electron/main.js).
 * It owns windows, the `cusp://` protocol, the IPC transport and the menu, and nothing else:
 * every service comes from main/ through openApp, exactly as `cusp serve` gets them.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { app, BrowserWindow, dialog, ipcMain, Menu, protocol, safeStorage, screen, session, shell } from 'electron';
import { openApp, type App } from '../main/app/index.js';
import { FileSecretStore } from '../main/storage/secrets.js';
import type { CallContext } from '../main/app/context.js';
import { rendererDistDir } from '../main/app/paths.js';
import { createAppRoutes, type AppRoutes } from '../main/server/app-routes.js';
import { appOrigin, appScheme, consultUrl, docsUrl } from './config.js';
import { pickConsultDisplay } from './displays.js';
import { createWindowSessions, startIpcTransport } from './ipc.js';
import { menuTemplate } from './menu.js';
import { createAppProtocolHandler, privilegedScheme } from './protocol.js';
import { respondWithRoute } from './routes.js';
import { osProtectsSecrets, ProtectedSecretStore } from './secrets.js';
import { guardPermissions, guardWebContents } from './security.js';
import { consultWindowOptions, mainWindowOptions } from './window-options.js';
import { currentWindowState, loadWindowState, saveWindowState } from './window-state.js';

/** Emitted next to this file by `tsc -b electron` from preload.cts (sandboxed preloads are CommonJS). */
const preload = join(dirname(fileURLToPath(import.meta.url)), 'preload.cjs');
const devTools = !app.isPackaged;

// Before 'ready': the name fixes the userData folder (…/Cusp, the same as `cusp --data`'s
// default), every renderer is sandboxed, and cusp:// gets its privileges.
app.setName('Cusp');
app.enableSandbox();
protocol.registerSchemesAsPrivileged([privilegedScheme]);

if (app.requestSingleInstanceLock()) {
  runShell();
} else {
  // Cusp is already running: that instance receives 'second-instance' and comes to the front.
  app.quit();
}

function runShell(): void {
  let cusp: App | null = null;
  let appRoutes: AppRoutes | null = null;
  const windowSession = createWindowSessions();
  let stopIpc = () => {};
  let servicesClosed = false;
  let mainWindow: BrowserWindow | null = null;
  let consultWindow: BrowserWindow | null = null;

  app.on('second-instance', () => {
    if (!mainWindow) return;
    if (mainWindow.isMinimized()) mainWindow.restore();
    mainWindow.focus();
  });
  app.on('web-contents-created', (_event, contents) => guardWebContents(contents));
  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });
  app.on('activate', () => {
    if (cusp && !mainWindow) openMainWindow();
  });
  app.on('will-quit', (event) => {
    if (!cusp || servicesClosed) return;
    // Let the services finish (database, workers) before the process ends.
    event.preventDefault();
    stopIpc();
    (appRoutes?.close() ?? Promise.resolve())
      .then(() => cusp!.auth.close())
      .then(() => cusp!.services.close())
      .catch((error: unknown) => cusp?.services.log.error({ err: error }, 'closing services failed'))
      .finally(() => {
        servicesClosed = true;
        app.quit();
      });
  });

  app
    .whenReady()
    .then(start)
    .catch((error: unknown) => {
      // Typically a config.json that does not parse: the message says which file and what to fix.
      dialog.showErrorBox('Cusp', error instanceof Error ? error.message : String(error));
      app.exit(1);
    });

  async function start(): Promise<void> {
    const dataDir = process.env.CUSP_DATA_DIR ?? app.getPath('userData');
    // Secrets encrypted by the OS keychain when it really protects them; else the 0600 file, as the CLI.
    const plainSecrets = FileSecretStore.inDataDir(dataDir);
    const secrets = osProtectsSecrets(safeStorage) ? ProtectedSecretStore.inDataDir(safeStorage, dataDir, plainSecrets) : plainSecrets;
    cusp = await openApp({ dataDir, secrets, publishHealth: true });
    if (secrets === plainSecrets) cusp.services.log.warn('no OS-protected storage for secrets (no keyring): using the 0600 secrets file');
    const { services, dispatch } = cusp;

    guardPermissions(session.defaultSession);
    appRoutes = createAppRoutes(cusp);
    const { routes } = appRoutes;
    // cusp://app/img/… and main's other routes act for the clinician's window: the consultation
    // window shows only what that window pushed, so it sees images as that signed-in user.
    const mainWindowCall = (): CallContext => {
      const sessionId = mainWindow ? windowSession(mainWindow.webContents) : 'no-window';
      return { transport: 'ipc', workstation: services.config.workstation, sessionId, user: mainWindow ? (cusp?.resolveUser(sessionId) ?? null) : null };
    };
    const routeRequest = async (request: Request) => {
      const path = new URL(request.url).pathname;
      const route = Object.entries(routes).find(([prefix]) => path.startsWith(prefix))?.[1];
      return route ? respondWithRoute(route, request, mainWindowCall()) : null;
    };
    protocol.handle(appScheme, createAppProtocolHandler({ rendererDir: rendererDistDir, routes: routeRequest }));
    stopIpc = startIpcTransport({
      sessionOf: windowSession,
      ipcMain,
      dispatch,
      events: services.events,
      log: services.log,
      workstation: services.config.workstation,
      windows: () => BrowserWindow.getAllWindows().map((window) => window.webContents),
      resolveUser: cusp.resolveUser,
    });

    app.setAboutPanelOptions({ applicationName: 'Cusp', applicationVersion: services.version });
    const template = menuTemplate(
      services.config.language,
      {
        openConsultDisplay: () => openConsultWindow({ requested: true }),
        openDocs: () => void shell.openExternal(docsUrl),
        showAbout: () => app.showAboutPanel(),
      },
      { platform: process.platform, devTools },
    );
    Menu.setApplicationMenu(Menu.buildFromTemplate(template));

    openMainWindow();
    openConsultWindow({ requested: false });
    screen.on('display-removed', () => {
      // The patient's monitor is gone: do not let a full-screen patient view land on the clinician's screen.
      if (consultWindow && !consultDisplay()) consultWindow.close();
    });
  }

  function openMainWindow(): void {
    const stateDir = app.getPath('userData');
    const state = loadWindowState(stateDir, screen.getAllDisplays());
    const window = new BrowserWindow(mainWindowOptions({ preload, bounds: state?.bounds, devTools }));
    if (state?.maximized) window.maximize();
    window.once('ready-to-show', () => window.show());
    window.on('close', () => {
      try {
        saveWindowState(stateDir, currentWindowState(window));
      } catch (error) {
        cusp?.services.log.warn({ err: error }, 'window state not saved');
      }
    });
    window.on('closed', () => {
      mainWindow = null;
      consultWindow?.close();
    });
    void window.loadURL(`${appOrigin}/`);
    mainWindow = window;
  }

  function consultDisplay() {
    const primary = screen.getPrimaryDisplay();
    const mainDisplay = mainWindow ? screen.getDisplayMatching(mainWindow.getBounds()) : primary;
    return pickConsultDisplay(screen.getAllDisplays(), primary.id, mainDisplay.id);
  }

  /** Opens on the second monitor by itself; with one monitor only when asked from the menu. */
  function openConsultWindow({ requested }: { requested: boolean }): void {
    if (consultWindow) {
      consultWindow.show();
      return;
    }
    const display = consultDisplay();
    if (!display && !requested) return;
    const window = new BrowserWindow(consultWindowOptions({ preload, displayBounds: display?.bounds, devTools }));
    // Opened at start-up it must not take the focus from the clinician's window.
    window.once('ready-to-show', () => (requested ? window.show() : window.showInactive()));
    window.on('closed', () => {
      consultWindow = null;
    });
    void window.loadURL(consultUrl);
    consultWindow = window;
  }
}
