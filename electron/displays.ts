import type { Rectangle } from 'electron';

/** The parts of Electron's Display that window placement needs. */
export interface DisplayArea {
  id: number;
  bounds: Rectangle;
  workArea: Rectangle;
}

/** How much of a window must lie on a display for a person to grab and move it. */
const minVisibleWidth = 100;
const minVisibleHeight = 40;

function overlap(a: Rectangle, b: Rectangle): Rectangle | null {
  const x = Math.max(a.x, b.x);
  const y = Math.max(a.y, b.y);
  const right = Math.min(a.x + a.width, b.x + b.width);
  const bottom = Math.min(a.y + a.height, b.y + b.height);
  return right > x && bottom > y ? { x, y, width: right - x, height: bottom - y } : null;
}

/**
 * Whether a window at `bounds` can be reached: its top edge (where the title bar is) lies in some
 * display's work area, with enough of the window around it to grab. A monitor unplugged since
 * the last run, or a resolution change, makes remembered bounds unreachable.
 */
export function isReachable(bounds: Rectangle, displays: readonly DisplayArea[]): boolean {
  return displays.some(({ workArea }) => {
    const shared = overlap(bounds, workArea);
    return (
      shared !== null &&
      shared.width >= minVisibleWidth &&
      shared.height >= minVisibleHeight &&
      bounds.y >= workArea.y &&
      bounds.y < workArea.y + workArea.height
    );
  });
}

/**
 * The monitor for the patient consultation display: one that is neither the primary display
 * nor the one the clinician's main window is on. Null when there is none (one monitor): the
 * display is then only opened on request, from the menu.
 */
export function pickConsultDisplay(
  displays: readonly DisplayArea[],
  primaryId: number,
  mainWindowDisplayId: number = primaryId,
): DisplayArea | null {
  return displays.find((display) => display.id !== primaryId && display.id !== mainWindowDisplayId) ?? null;
}
