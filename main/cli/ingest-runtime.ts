import { availableParallelism } from 'node:os';
import { databaseSettings, loadConfig } from '../app/config.js';
import { practicePresetLoader } from '../app/compression.js';
import { AppError } from '../app/errors.js';
import type { Logger } from '../app/log.js';
import { openDatabase, type Database } from '../db/database.js';
import { migrateToLatest } from '../db/migrate.js';
import { DerivePool } from '../imaging/pool.js';
import type { Derive, IngestStore } from '../ingest/pipeline.js';
import { resolvePracticeId } from '../ingest/service.js';
import { jobsToKeepBusy } from '../ingest/workers.js';
import { openStore } from '../storage/open.js';
import { FileSecretStore } from '../storage/secrets.js';
import type { ObjectStore } from '../storage/store.js';

/** What `cusp agent` and `cusp import` share: the practice database, the store, the imaging pool. */
export interface IngestRuntime {
  db: Database;
  store: IngestStore;
  derive: Derive;
  practiceId: string;
  /** Jobs at once that keep the imaging threads busy (`jobsToKeepBusy`). */
  jobs: number;
  close(): Promise<void>;
}

/**
 * Opens the data folder's database (migrated to the latest schema), the image store (main/storage:
 * file, s3 or azure by URL, credentials from `<data>/secrets.json`) and a worker pool for
 * derivation. The PostgreSQL password comes from the secret store or CUSP_DATABASE_PASSWORD.
 */
export async function openIngestRuntime(
  dataDir: string,
  log: Logger,
  options: { store?: string; practice?: string; threads?: number },
): Promise<IngestRuntime> {
  const config = await loadConfig(dataDir);
  const secrets = FileSecretStore.inDataDir(dataDir);
  const db = await openDatabase(await databaseSettings(config, dataDir, secrets));
  let pool: DerivePool | null = null;
  let closeStore: () => Promise<void> = async () => undefined;
  try {
    await migrateToLatest(db.knex);
    const practiceId = await resolvePracticeId(db, options.practice);
    // Ingest writes to the backend itself and reads each object back from it: while the store is
    // unreachable jobs wait, and Orthanc (or the imported file) keeps the original meanwhile.
    const store: ObjectStore = await openStore({ url: options.store ?? config.store.url, dataDir, secrets, residency: config.store.residency });
    closeStore = () => store.close();
    log.debug({ practiceId }, 'ingest runtime open');
    pool = new DerivePool({ threads: options.threads ?? Math.max(1, availableParallelism()) });
    const derivePool = pool;
    // The practice's compression preset (Settings → Compression), re-read every minute.
    const preset = practicePresetLoader(db.knex, practiceId);
    return {
      db,
      store,
      practiceId,
      jobs: jobsToKeepBusy(derivePool.threads),
      derive: async (bytes, expect) => derivePool.derive(bytes, await preset(), expect),
      async close() {
        await derivePool.close();
        await closeStore();
        await db.close();
      },
    };
  } catch (error) {
    await pool?.close().catch(() => undefined);
    await closeStore().catch(() => undefined);
    await db.close().catch(() => undefined);
    throw error instanceof AppError ? error : new AppError('UNAVAILABLE', error instanceof Error ? error.message : String(error), { cause: error });
  }
}
