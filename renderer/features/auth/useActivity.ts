import { useEffect } from 'react';
import { useCusp } from '../../api/CuspProvider.js';

/** At most one `auth.touch` per this many ms while the person types, clicks or scrolls. */
const touchEveryMs = 60_000;

/**
 * Tells main that someone is using this window even when nothing is being saved or loaded, so
 * reading a chart for a few minutes does not lock it. Main alone decides when a session locks.
 */
export function useActivity(enabled: boolean): void {
  const client = useCusp();
  useEffect(() => {
    if (!enabled) return;
    let last = Date.now();
    const onActivity = () => {
      const now = Date.now();
      if (now - last < touchEveryMs) return;
      last = now;
      void client.tryCall('auth.touch', {});
    };
    const kinds = ['keydown', 'pointerdown', 'wheel'] as const;
    for (const kind of kinds) window.addEventListener(kind, onActivity, { passive: true });
    return () => {
      for (const kind of kinds) window.removeEventListener(kind, onActivity);
    };
  }, [client, enabled]);
}
