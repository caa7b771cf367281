import type { ComponentHealth, Health } from '../../contract/index.js';
import { every } from './every.js';
import type { EventBus } from './events.js';
import type { Logger } from './log.js';

/** One part of the system that can say how it is (database, store, Orthanc, ingest queue). */
export interface HealthProbes {
  database(): Promise<ComponentHealth>;
  store(): Promise<ComponentHealth>;
  orthanc(): Promise<ComponentHealth>;
  ingest(): Promise<Health['ingest']>;
}

export async function checkHealth(probes: HealthProbes): Promise<Health> {
  const settle = async (probe: () => Promise<ComponentHealth>): Promise<ComponentHealth> => {
    try {
      return await probe();
    } catch (error) {
      return { state: 'unavailable', message: error instanceof Error ? error.message : String(error) };
    }
  };
  const [database, store, orthanc] = await Promise.all([
    settle(probes.database),
    settle(probes.store),
    settle(probes.orthanc),
  ]);
  const ingest = await probes.ingest().catch(() => ({ queued: 0, failed: 0, quarantined: 0, outbox: 0 }));
  const degraded = [database, store, orthanc].some((c) => c.state === 'unavailable');
  return { status: degraded ? 'degraded' : 'ok', checkedAt: new Date().toISOString(), database, store, orthanc, ingest };
}

/**
 * Pushes `app.health` to every window: at once when something changes (checked every
 * `intervalMs`), and at least every 30 s so a status bar never shows a stale "ok".
 */
export function publishHealth(probes: HealthProbes, bus: EventBus, log: Logger, intervalMs = 5000): () => void {
  let last = '';
  let lastSent = 0;
  return every(
    intervalMs,
    async () => {
      const health = await checkHealth(probes);
      const { checkedAt: _ignored, ...comparable } = health;
      const key = JSON.stringify(comparable);
      if (key !== last || Date.now() - lastSent > 30_000) {
        last = key;
        lastSent = Date.now();
        bus.emit('app.health', health);
      }
    },
    // checkHealth settles every probe itself; anything left is a bug in emitting the event.
    (error) => log.error({ err: error instanceof Error ? error.message : String(error) }, 'health publishing failed'),
  );
}
