import { availableParallelism } from 'node:os';
import { loadConfig, resolveInDataDir } from '../app/config.js';
import { AppError } from '../app/errors.js';
import type { Logger } from '../app/log.js';
import { openDatabase, type Database } from '../db/database.js';
import { migrateToLatest } from '../db/migrate.js';
import { DerivePool } from '../imaging/pool.js';
import { defaultPreset } from '../imaging/presets.js';
import { FolderStore } from '../ingest/folder-store.js';
import type { Derive, IngestStore } from '../ingest/pipeline.js';
import { resolvePracticeId } from '../ingest/service.js';

/** What `cusp agent` and `cusp import` share: the practice database, the store, the imaging pool. */
export interface IngestRuntime {
  db: Database;
  store: IngestStore;
  derive: Derive;
  practiceId: string;
  close(): Promise<void>;
}

/**
 * Opens the data folder's database (migrated to the latest schema), the image store and a worker
 * pool for derivation. Secrets come from the environment until the secret store lands:
 * CUSP_DATABASE_PASSWORD for PostgreSQL.
 */
export async function openIngestRuntime(
  dataDir: string,
  log: Logger,
  options: { store?: string; practice?: string; threads?: number },
): Promise<IngestRuntime> {
  const config = await loadConfig(dataDir);
  const db = await openDatabase(
    config.database.client === 'sqlite'
      ? { client: 'sqlite', filename: resolveInDataDir(dataDir, config.database.filename) }
      : { client: 'postgres', url: config.database.url, ...(process.env.CUSP_DATABASE_PASSWORD ? { password: process.env.CUSP_DATABASE_PASSWORD } : {}) },
  );
  let pool: DerivePool | null = null;
  try {
    await migrateToLatest(db.knex);
    const practiceId = await resolvePracticeId(db, options.practice);
    const store = openStore(options.store ?? config.store.url, dataDir);
    log.debug({ practiceId }, 'ingest runtime open');
    pool = new DerivePool({ threads: options.threads ?? Math.max(1, availableParallelism()) });
    const derivePool = pool;
    return {
      db,
      store,
      practiceId,
      derive: (bytes, expect) => derivePool.derive(bytes, defaultPreset, expect),
      async close() {
        await derivePool.close();
        await db.close();
      },
    };
  } catch (error) {
    await pool?.close().catch(() => undefined);
    await db.close().catch(() => undefined);
    throw error instanceof AppError ? error : new AppError('UNAVAILABLE', error instanceof Error ? error.message : String(error), { cause: error });
  }
}

/** `file:objects` (relative to the data folder) or `file:///abs/path`. Cloud stores come with main/storage's factory. */
function openStore(url: string, dataDir: string): IngestStore {
  if (url.startsWith('file://')) return new FolderStore(new URL(url).pathname);
  if (url.startsWith('file:')) return new FolderStore(resolveInDataDir(dataDir, url.slice('file:'.length)));
  throw new AppError('INVALID_INPUT', `Expected a file: store URL for ingest (cloud stores are not wired yet) but received ${url.split('?')[0]}`);
}
