// Pins down the security flags of every Cusp window: the Electron binary cannot run here, so
// these options are the proof that pages run sandboxed, isolated and without Node.
import { describe, expect, it } from 'vitest';
import { consultWindowOptions, mainWindowOptions, secureWebPreferences } from '../../electron/window-options.js';

const preload = '/app/dist/electron/preload.cjs';

function expectLockedDown(prefs: ReturnType<typeof secureWebPreferences> | undefined) {
  expect(prefs).toMatchObject({
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
    navigateOnDragDrop: false,
    spellcheck: false,
  });
}

describe('window options', () => {
  it('locks down the main window and the consultation display alike', () => {
    expectLockedDown(mainWindowOptions({ preload }).webPreferences);
    expectLockedDown(consultWindowOptions({ preload }).webPreferences);
    expectLockedDown(consultWindowOptions({ preload, displayBounds: { x: 1920, y: 0, width: 1920, height: 1080 } }).webPreferences);
  });

  it('keeps developer tools off unless asked for (unpackaged builds)', () => {
    expect(secureWebPreferences(preload).devTools).toBe(false);
    expect(secureWebPreferences(preload, { devTools: true }).devTools).toBe(true);
  });

  it('opens hidden (shown when ready) at remembered bounds, or a default size', () => {
    const fresh = mainWindowOptions({ preload });
    expect(fresh).toMatchObject({ show: false, width: 1280, height: 800, title: 'Cusp' });
    expect(fresh.x).toBeUndefined();
    const restored = mainWindowOptions({ preload, bounds: { x: 10, y: 20, width: 1000, height: 700 } });
    expect(restored).toMatchObject({ x: 10, y: 20, width: 1000, height: 700, show: false });
  });

  it('puts the consultation display full screen on its monitor, or a plain window without one', () => {
    const onMonitor = consultWindowOptions({ preload, displayBounds: { x: 1920, y: 0, width: 2560, height: 1440 } });
    expect(onMonitor).toMatchObject({ x: 1920, y: 0, width: 2560, height: 1440, fullscreen: true, show: false });
    const asked = consultWindowOptions({ preload });
    expect(asked.fullscreen).toBe(false);
    expect(asked.x).toBeUndefined();
  });
});
