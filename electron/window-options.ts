import type { BrowserWindowConstructorOptions, Rectangle, WebPreferences } from 'electron';

/**
 * The web preferences of every Cusp window. The page is untrusted as far as main is concerned:
 * it runs sandboxed, isolated from the preload, without Node, and reaches main only through
 * the preload's `window.cusp.invoke`.
 */
export function secureWebPreferences(preload: string, options: { devTools?: boolean } = {}): WebPreferences {
  return {
    preload,
    contextIsolation: true,
    sandbox: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    nodeIntegrationInSubFrames: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    webviewTag: false,
    experimentalFeatures: false,
    // A file dropped outside a drop zone must not replace the app with a file:// page.
    navigateOnDragDrop: false,
    safeDialogs: true,
    // Chromium's spellchecker downloads dictionaries on Linux and Windows, and underlines every
    // drug and anatomy name in clinical notes: off.
    spellcheck: false,
    devTools: options.devTools ?? false,
  };
}

export interface MainWindowOptions {
  preload: string;
  /** Remembered bounds (see window-state.ts); centred default size otherwise. */
  bounds?: Rectangle;
  devTools?: boolean;
}

export function mainWindowOptions({ preload, bounds, devTools }: MainWindowOptions): BrowserWindowConstructorOptions {
  return {
    title: 'Cusp',
    width: 1280,
    height: 800,
    minWidth: 960,
    minHeight: 600,
    ...bounds,
    // Shown on 'ready-to-show', so the window never flashes empty.
    show: false,
    backgroundColor: '#f7f8fa',
    webPreferences: secureWebPreferences(preload, { devTools }),
  };
}

export interface ConsultWindowOptions {
  preload: string;
  /** The display facing the patient; without one the window opens as a normal window. */
  displayBounds?: Rectangle;
  devTools?: boolean;
}

/** The patient-facing consultation display: full screen on its monitor, no menu bar. */
export function consultWindowOptions({ preload, displayBounds, devTools }: ConsultWindowOptions): BrowserWindowConstructorOptions {
  return {
    title: 'Cusp',
    width: 1024,
    height: 768,
    ...displayBounds,
    fullscreen: displayBounds !== undefined,
    autoHideMenuBar: true,
    show: false,
    backgroundColor: '#000000',
    webPreferences: secureWebPreferences(preload, { devTools }),
  };
}
