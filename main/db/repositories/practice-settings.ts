import type { Knex } from 'knex';
import { nowIso } from '../rows.js';

/**
 * Named JSON values shared by every workstation of a practice (`practice_settings`): the default
 * language, the compression preset, each user's own language. Reads return undefined for a
 * setting never saved, so callers apply their own defaults.
 */
export async function readSetting<T>(knex: Knex, practiceId: string, name: string): Promise<T | undefined> {
  const row = await knex('practice_settings').where({ practice_id: practiceId, name }).first('value');
  return row ? (JSON.parse(row.value as string) as T) : undefined;
}

export async function writeSetting(knex: Knex, practiceId: string, name: string, value: unknown, userId: string | null): Promise<void> {
  await knex('practice_settings')
    .insert({ practice_id: practiceId, name, value: JSON.stringify(value), updated_at: nowIso(), updated_by: userId })
    .onConflict(['practice_id', 'name'])
    .merge(['value', 'updated_at', 'updated_by']);
}

export async function deleteSetting(knex: Knex, practiceId: string, name: string): Promise<void> {
  await knex('practice_settings').where({ practice_id: practiceId, name }).delete();
}

export const userLanguageSetting = (userId: string) => `user:${userId}:language`;
