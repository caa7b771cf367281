import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Rectangle } from 'electron';
import { z } from 'zod';
import { isReachable, type DisplayArea } from './displays.js';

const coordinate = z.number().int().min(-100_000).max(100_000);
const size = z.number().int().min(1).max(100_000);

const windowStateSchema = z.object({
  bounds: z.object({ x: coordinate, y: coordinate, width: size, height: size }),
  maximized: z.boolean(),
});

/** Where and how the main window was when it was last closed. */
export type WindowState = z.infer<typeof windowStateSchema>;

export const windowStateFileName = 'window-state.json';

/**
 * The state to restore from what was saved: null when the file held nothing usable, or when
 * the window would open off every current display (then the default centred window is used).
 */
export function restorableWindowState(saved: unknown, displays: readonly DisplayArea[]): WindowState | null {
  const parsed = windowStateSchema.safeParse(saved);
  if (!parsed.success) return null;
  return isReachable(parsed.data.bounds, displays) ? parsed.data : null;
}

/** Reads `<dir>/window-state.json`; a missing or damaged file means "no remembered state". */
export function loadWindowState(dir: string, displays: readonly DisplayArea[]): WindowState | null {
  let saved: unknown;
  try {
    saved = JSON.parse(readFileSync(join(dir, windowStateFileName), 'utf8'));
  } catch {
    return null;
  }
  return restorableWindowState(saved, displays);
}

/** The state of a window now, in whole pixels (fractional bounds occur on scaled displays). */
export function currentWindowState(window: { getNormalBounds(): Rectangle; isMaximized(): boolean }): WindowState {
  const { x, y, width, height } = window.getNormalBounds();
  return {
    bounds: { x: Math.round(x), y: Math.round(y), width: Math.round(width), height: Math.round(height) },
    maximized: window.isMaximized(),
  };
}

/**
 * Writes the state synchronously (it is called while the window closes, just before the app
 * may quit) and atomically (temp file + rename), so a crash never leaves half a file.
 */
export function saveWindowState(dir: string, state: WindowState): void {
  mkdirSync(dir, { recursive: true });
  const target = join(dir, windowStateFileName);
  const temp = `${target}.${process.pid}.tmp`;
  writeFileSync(temp, JSON.stringify(windowStateSchema.parse(state)) + '\n');
  renameSync(temp, target);
}
