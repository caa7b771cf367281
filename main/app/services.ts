import { mkdir } from 'node:fs/promises';
import type { Config } from './config.js';
import { loadConfig } from './config.js';
import { EventBus } from './events.js';
import { checkHealth, publishHealth, type HealthProbes } from './health.js';
import { createLogger, type Logger } from './log.js';
import { appVersion } from './paths.js';

/**
 * The composition root: everything main runs, built from the data folder's config.
 * Every front end (Electron, `cusp serve`, `cusp agent`, tests) builds its services here,
 * so they all behave the same.
 */
export interface Services {
  readonly version: string;
  readonly dataDir: string;
  readonly config: Config;
  readonly log: Logger;
  readonly events: EventBus;
  readonly probes: HealthProbes;
  health(): ReturnType<typeof checkHealth>;
  close(): Promise<void>;
}

export interface OpenServicesOptions {
  dataDir: string;
  log?: Logger;
  /** Push health events periodically (off for one-shot commands). */
  publishHealth?: boolean;
}

export async function openServices(options: OpenServicesOptions): Promise<Services> {
  const { dataDir } = options;
  await mkdir(dataDir, { recursive: true });
  const config = await loadConfig(dataDir);
  const log = options.log ?? createLogger();
  const events = new EventBus();
  const closers: Array<() => Promise<void> | void> = [];

  const probes: HealthProbes = {
    database: async () => ({ state: 'unconfigured', message: 'The practice database is not set up yet' }),
    store: async () => ({ state: 'unconfigured', message: 'No image store is set up yet' }),
    orthanc: async () =>
      config.orthanc ? { state: 'unavailable', message: 'Orthanc is not checked yet' } : { state: 'unconfigured' },
    ingest: async () => ({ queued: 0, failed: 0, quarantined: 0, outbox: 0 }),
  };

  if (options.publishHealth) closers.push(publishHealth(probes, events));

  return {
    version: appVersion,
    dataDir,
    config,
    log,
    events,
    probes,
    health: () => checkHealth(probes),
    async close() {
      for (const close of closers.reverse()) await close();
    },
  };
}
