// Pins down window placement: remembered bounds come back only where a person can reach them,
// a damaged state file is ignored, and the consultation display goes on a monitor of its own.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isReachable, pickConsultDisplay, type DisplayArea } from '../../electron/displays.js';
import {
  currentWindowState,
  loadWindowState,
  restorableWindowState,
  saveWindowState,
  windowStateFileName,
} from '../../electron/window-state.js';
import { scratchDir } from '../support/paths.js';

const laptop: DisplayArea = { id: 1, bounds: { x: 0, y: 0, width: 1920, height: 1080 }, workArea: { x: 0, y: 25, width: 1920, height: 1055 } };
const patientScreen: DisplayArea = { id: 2, bounds: { x: 1920, y: 0, width: 2560, height: 1440 }, workArea: { x: 1920, y: 0, width: 2560, height: 1440 } };
const third: DisplayArea = { id: 3, bounds: { x: -1280, y: 0, width: 1280, height: 1024 }, workArea: { x: -1280, y: 0, width: 1280, height: 1024 } };

describe('restoring the main window', () => {
  it('restores bounds that are on a current display, maximized or not', () => {
    const saved = { bounds: { x: 100, y: 100, width: 1200, height: 800 }, maximized: true };
    expect(restorableWindowState(saved, [laptop])).toEqual(saved);
    const onSecond = { bounds: { x: 2000, y: 50, width: 1200, height: 800 }, maximized: false };
    expect(restorableWindowState(onSecond, [laptop, patientScreen])).toEqual(onSecond);
  });

  it('forgets bounds on a monitor that is gone, or with the title bar out of reach', () => {
    const onSecond = { bounds: { x: 2000, y: 50, width: 1200, height: 800 }, maximized: false };
    expect(restorableWindowState(onSecond, [laptop])).toBeNull();
    // Only a sliver at the right edge of the laptop screen.
    expect(restorableWindowState({ bounds: { x: 1880, y: 100, width: 1200, height: 800 }, maximized: false }, [laptop])).toBeNull();
    // Title bar above the top of the work area (under the macOS menu bar).
    expect(restorableWindowState({ bounds: { x: 100, y: 0, width: 1200, height: 800 }, maximized: false }, [laptop])).toBeNull();
    // Title bar below the bottom of the screen.
    expect(restorableWindowState({ bounds: { x: 100, y: 1070, width: 1200, height: 800 }, maximized: false }, [laptop])).toBeNull();
    expect(restorableWindowState({ bounds: { x: 100, y: 100, width: 1200, height: 800 }, maximized: false }, [])).toBeNull();
  });

  it('ignores anything that is not a window state', () => {
    for (const garbage of [null, 'x', [], {}, { bounds: { x: 0, y: 0, width: 0, height: 10 }, maximized: false },
      { bounds: { x: 100, y: 100, width: 1200.5, height: 800 }, maximized: false },
      { bounds: { x: 100, y: 100, width: 1200, height: 800 } }]) {
      expect(restorableWindowState(garbage, [laptop])).toBeNull();
    }
  });

  it('round-trips through the state file and survives a damaged one', () => {
    const dir = scratchDir('window-state');
    expect(loadWindowState(dir, [laptop])).toBeNull();
    const window = { getNormalBounds: () => ({ x: 100.4, y: 99.6, width: 1200, height: 800 }), isMaximized: () => true };
    const state = currentWindowState(window);
    expect(state).toEqual({ bounds: { x: 100, y: 100, width: 1200, height: 800 }, maximized: true });
    saveWindowState(dir, state);
    expect(JSON.parse(readFileSync(join(dir, windowStateFileName), 'utf8'))).toEqual(state);
    expect(loadWindowState(dir, [laptop])).toEqual(state);
    writeFileSync(join(dir, windowStateFileName), '{"bounds": ');
    expect(loadWindowState(dir, [laptop])).toBeNull();
  });

  it('judges reachability on work areas, not only on overlap', () => {
    expect(isReachable({ x: 0, y: 25, width: 800, height: 600 }, [laptop])).toBe(true);
    expect(isReachable({ x: -700, y: 100, width: 800, height: 600 }, [laptop])).toBe(true);
    expect(isReachable({ x: -750, y: 100, width: 800, height: 600 }, [laptop])).toBe(false);
  });
});

describe('choosing the consultation display', () => {
  it('uses a monitor that is not the primary one', () => {
    expect(pickConsultDisplay([laptop, patientScreen], laptop.id)).toBe(patientScreen);
    expect(pickConsultDisplay([patientScreen, laptop], laptop.id)).toBe(patientScreen);
  });

  it('opens nothing by itself with a single monitor', () => {
    expect(pickConsultDisplay([laptop], laptop.id)).toBeNull();
    expect(pickConsultDisplay([], laptop.id)).toBeNull();
  });

  it('never covers the clinician’s window, wherever it is', () => {
    expect(pickConsultDisplay([laptop, patientScreen], laptop.id, patientScreen.id)).toBeNull();
    expect(pickConsultDisplay([laptop, patientScreen, third], laptop.id, patientScreen.id)).toBe(third);
  });
});
