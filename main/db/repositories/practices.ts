import type { Knex } from 'knex';
import type { Database } from '../database.js';
import { bool, newId, nowIso } from '../rows.js';

/** The practice (clinic) every row belongs to. A database normally holds one. */
export interface Practice {
  id: string;
  name: string;
  /** Fictional data made by `cusp demo`. */
  demo: boolean;
}

export async function createPractice(db: Database, input: { name: string; demo?: boolean }): Promise<Practice> {
  const now = nowIso();
  const practice = { id: newId(), name: input.name, demo: input.demo ?? false };
  await db.knex('practices').insert({ ...practice, created_at: now, updated_at: now, version: 1 });
  return practice;
}

export async function listPractices(knex: Knex): Promise<Practice[]> {
  const rows = await knex('practices').orderBy('created_at').select('id', 'name', 'demo');
  return rows.map((r) => ({ id: r.id, name: r.name, demo: bool(r.demo) }));
}
