import type { Knex } from 'knex';

/** True when this knex (or transaction) talks to PostgreSQL; false for SQLite. */
export function isPostgres(knex: Knex): boolean {
  return (knex.client as { dialect?: string }).dialect === 'postgresql';
}
