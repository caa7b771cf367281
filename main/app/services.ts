import { mkdir } from 'node:fs/promises';
import type { Config } from './config.js';
import { databaseSettings, loadConfig } from './config.js';
import { openDatabase, type Database } from '../db/database.js';
import { migrateToLatest } from '../db/migrate.js';
import { DerivePool } from '../imaging/pool.js';
import { publishIngestEvents } from '../ingest/events.js';
import { IngestService, resolvePracticeId } from '../ingest/service.js';
import { JobQueue } from '../ingest/queue.js';
import { OrthancClient } from '../orthanc/client.js';
import { FileSecretStore, type SecretStore } from '../storage/secrets.js';
import { openStorage, type StorageService } from '../storage/service.js';
import { unavailable } from './errors.js';
import { EventBus } from './events.js';
import { practicePresetLoader } from './compression.js';
import { checkHealth, publishHealth, type HealthProbes } from './health.js';
import { createLogger, type Logger } from './log.js';
import { orthancClientOptions } from './orthanc-connection.js';
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
  /** Passwords and keys (never in config.json). */
  readonly secrets: SecretStore;
  /** The practice database; throws UNAVAILABLE when it could not be opened at start. */
  database(): Database;
  /** The image store (cache → outbox → backend); throws UNAVAILABLE when it could not be set up. */
  storage(): StorageService;
  /** Switches the running app to another store (after a verified migration; config.json is the caller's). */
  replaceStorage(url: string): Promise<void>;
  health(): ReturnType<typeof checkHealth>;
  close(): Promise<void>;
}

export interface OpenServicesOptions {
  dataDir: string;
  log?: Logger;
  /** Push health events periodically (off for one-shot commands). */
  publishHealth?: boolean;
  /** Where secrets live: Electron passes its safeStorage store; default `<data>/secrets.json` (0600). */
  secrets?: SecretStore;
}

export async function openServices(options: OpenServicesOptions): Promise<Services> {
  const { dataDir } = options;
  await mkdir(dataDir, { recursive: true });
  const config = await loadConfig(dataDir);
  const log = options.log ?? createLogger();
  const events = new EventBus();
  const closers: Array<() => Promise<void> | void> = [];

  const secrets = options.secrets ?? FileSecretStore.inDataDir(dataDir);
  const database = await openPracticeDatabase(config, dataDir, secrets, log);
  if (database.db) closers.push(() => database.db!.close());

  const storage = await openImageStore(config, dataDir, secrets, log);
  closers.push(() => storage.service?.close());
  let stopDraining: (() => void) | null = null;

  const probes: HealthProbes = {
    database: async () => {
      if (!database.db) return { state: 'unavailable', message: database.failure };
      try {
        await database.db.ping();
        return { state: 'ok' };
      } catch {
        return { state: 'unavailable', message: 'The practice database does not answer' };
      }
    },
    store: async () => (storage.service ? storage.service.health() : { state: 'unavailable', message: storage.failure }),
    orthanc: async () => {
      if (!config.orthanc) return { state: 'unconfigured' };
      const client = new OrthancClient({
        ...(await orthancClientOptions(config.orthanc, secrets)),
        retries: 0,
        timeoutMs: 2000,
      });
      try {
        await client.system();
        return { state: 'ok' };
      } catch (error) {
        return { state: 'unavailable', message: error instanceof Error ? error.message : String(error) };
      }
    },
    ingest: async () => {
      const outbox = storage.service ? await storage.service.pendingUploads() : 0;
      if (!database.db) return { queued: 0, failed: 0, quarantined: 0, outbox };
      const counts = await new JobQueue(database.db).counts();
      const queued = counts.queued + counts.fetched + counts.derived + counts.stored + counts.indexed;
      return { queued, failed: counts.failed, quarantined: counts.quarantined, outbox };
    },
  };

  if (options.publishHealth) {
    closers.push(publishHealth(probes, events, log));
    if (database.db) closers.push(publishIngestEvents(database.db, events, { log }));
    if (storage.service) stopDraining = storage.service.startDraining();
    closers.push(() => stopDraining?.());
    if (config.orthanc?.ingest && database.db && storage.service) {
      const stop = await startIngest(config, database.db, () => storage.service!, secrets, log);
      if (stop) closers.push(stop);
    }
  }

  return {
    version: appVersion,
    dataDir,
    config,
    log,
    events,
    probes,
    secrets,
    database() {
      if (!database.db) throw unavailable(database.failure);
      return database.db;
    },
    storage() {
      if (!storage.service) throw unavailable(storage.failure);
      return storage.service;
    },
    async replaceStorage(url) {
      const next = await openStorage({ dataDir, url, secrets, residency: config.store.residency, cacheBytes: config.cache.maxBytes });
      const previous = storage.service;
      storage.service = next;
      storage.failure = '';
      config.store.url = url;
      if (stopDraining) {
        stopDraining();
        stopDraining = next.startDraining();
      }
      await previous?.close();
    },
    health: () => checkHealth(probes),
    async close() {
      for (const close of closers.reverse()) await close();
    },
  };
}

/**
 * Opens the configured database and brings its schema up to date. A database that cannot be
 * reached does not stop the app: health says so and calls that need it get UNAVAILABLE.
 */
async function openPracticeDatabase(config: Config, dataDir: string, secrets: SecretStore, log: Logger): Promise<{ db: Database | null; failure: string }> {
  const settings = await databaseSettings(config, dataDir, secrets);
  const knexLog = { warn: (message: string) => log.warn({ client: settings.client }, message) };
  let db: Database | null = null;
  try {
    db = await openDatabase({ ...settings, log: knexLog });
    const applied = await migrateToLatest(db.knex);
    if (applied.length) log.info({ applied }, 'database schema updated');
    return { db, failure: '' };
  } catch (error) {
    await db?.close().catch(() => undefined);
    log.error({ client: settings.client, code: (error as { code?: unknown }).code, err: String(error) }, 'practice database unavailable');
    return { db: null, failure: 'The practice database cannot be opened; see the log' };
  }
}

/**
 * Opens the image store named by `store.url`. Like the database, a store that cannot be set up
 * (a bad URL, missing credentials) does not stop the app: health says why and image calls get
 * UNAVAILABLE. An unreachable cloud store is not a failure here: writes wait in the outbox.
 */
async function openImageStore(config: Config, dataDir: string, secrets: SecretStore, log: Logger): Promise<{ service: StorageService | null; failure: string }> {
  try {
    return {
      service: await openStorage({ dataDir, url: config.store.url, secrets, residency: config.store.residency, cacheBytes: config.cache.maxBytes }),
      failure: '',
    };
  } catch (error) {
    log.error({ err: String(error) }, 'image store cannot be set up');
    return { service: null, failure: `The image store cannot be set up: ${error instanceof Error ? error.message : String(error)}` };
  }
}

/**
 * Ingest in this process (`orthanc.ingest: true`): the same follower, queue and workers as
 * `cusp agent`, writing to the store backend and verifying there, one imaging thread so the
 * window stays responsive. `image.new` reaches the windows through publishIngestEvents.
 */
async function startIngest(config: Config, db: Database, storage: () => StorageService, secrets: SecretStore, log: Logger): Promise<(() => Promise<void>) | null> {
  let practiceId: string;
  try {
    practiceId = await resolvePracticeId(db);
  } catch (error) {
    log.warn({ err: error instanceof Error ? error.message : String(error) }, 'ingest not started');
    return null;
  }
  const pool = new DerivePool({ threads: 1 });
  const preset = practicePresetLoader(db.knex, practiceId);
  const service = new IngestService({
    db,
    // The store in use at each call: after a migration from Settings, new images go to the new store.
    store: {
      get description() {
        return storage().backend.description;
      },
      put: (key, body, options) => storage().backend.put(key, body, options),
      get: (key) => storage().backend.get(key),
      delete: (key) => storage().backend.delete(key),
    },
    derive: async (bytes, expect) => pool.derive(bytes, await preset(), expect),
    practiceId,
    orthanc: new OrthancClient({ ...(await orthancClientOptions(config.orthanc!, secrets)), log }),
    log: log.child({ component: 'ingest' }),
  });
  service.start();
  return async () => {
    await service.stop();
    await pool.close();
  };
}
