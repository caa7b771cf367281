import type { Knex } from 'knex';
import { migrations, type Migration } from './migrations/index.js';

/** knex's migration source over the static list in migrations/index.ts. */
class StaticMigrationSource implements Knex.MigrationSource<Migration> {
  constructor(private readonly list: readonly Migration[]) {}
  async getMigrations(): Promise<Migration[]> {
    return [...this.list];
  }
  getMigrationName(migration: Migration): string {
    return migration.name;
  }
  async getMigration(migration: Migration): Promise<Knex.Migration> {
    return { up: migration.up, down: migration.down, ...(migration.config ? { config: migration.config } : {}) };
  }
}

function migrator(knex: Knex, list: readonly Migration[] = migrations): Knex.MigratorConfig {
  return { migrationSource: new StaticMigrationSource(list), tableName: 'knex_migrations' };
}

/** Brings the schema up to date; returns the names applied now. */
export async function migrateToLatest(knex: Knex, list: readonly Migration[] = migrations): Promise<string[]> {
  const [, applied] = (await knex.migrate.latest(migrator(knex, list))) as [number, string[]];
  return applied;
}

/** Undoes every applied migration, newest first (tests and `down` checks). */
export async function migrateDownAll(knex: Knex, list: readonly Migration[] = migrations): Promise<string[]> {
  const [, undone] = (await knex.migrate.rollback(migrator(knex, list), true)) as [number, string[]];
  return undone;
}

/** Names of the migrations this database has applied, oldest first. */
export async function appliedMigrations(knex: Knex, list: readonly Migration[] = migrations): Promise<string[]> {
  const [completed] = (await knex.migrate.list(migrator(knex, list))) as [Array<{ name: string }>, unknown];
  return completed.map((m) => m.name);
}
