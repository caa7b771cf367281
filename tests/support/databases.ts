import { join } from 'node:path';
import { inject } from 'vitest';
import { openDatabase, type Database, type DatabaseClient } from '../../main/db/database.js';
import { migrateToLatest } from '../../main/db/migrate.js';
import { scratchDir } from './paths.js';
import { createDatabase } from './postgres.js';

/**
 * Both databases Cusp supports, for `describe.each(databases)`: every repository test runs
 * against a real SQLite file and a real PostgreSQL database.
 */
export const databases: DatabaseClient[] = ['sqlite', 'postgres'];

export interface TestDatabase {
  db: Database;
  /** Opens another, independent connection (pool) to the same database: a second workstation. */
  openAnother(): Promise<Database>;
  close(): Promise<void>;
}

/** A fresh, empty database of the given kind (migrated unless `migrate: false`). */
export async function freshDatabase(client: DatabaseClient, options: { migrate?: boolean } = {}): Promise<TestDatabase> {
  const settings =
    client === 'sqlite'
      ? { client, filename: join(scratchDir('sqlite'), 'cusp.sqlite') }
      : { client, url: await createDatabase(inject('postgresUrl')) };
  const db = await openDatabase(settings);
  if (options.migrate !== false) await migrateToLatest(db.knex);
  const others: Database[] = [];
  return {
    db,
    async openAnother() {
      const other = await openDatabase(settings);
      others.push(other);
      return other;
    },
    async close() {
      for (const other of others) await other.close();
      await db.close();
    },
  };
}
