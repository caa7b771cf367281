import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import { AppError } from '../app/errors.js';

/** Helpers every repository shares: ids, instants, the few type differences between drivers. */

export const newId = (): string => randomUUID();
/** Now as ISO-8601 UTC text with milliseconds: the one instant format in the database. */
export const nowIso = (): string => new Date().toISOString();

/** SQLite returns 0/1, PostgreSQL true/false. */
export const bool = (value: unknown): boolean => value === true || value === 1 || value === '1';
/** PostgreSQL returns bigint and count() as strings. */
export const num = (value: unknown): number => (typeof value === 'number' ? value : Number(value));
export const numOrNull = (value: unknown): number | null => (value === null || value === undefined ? null : num(value));
export const json = <T>(text: unknown, fallback: T): T => (typeof text === 'string' ? (JSON.parse(text) as T) : fallback);

/** Counts rows changed by an update or delete (both drivers report a number through knex). */
export const changed = (result: unknown): number => num(result);

/**
 * Updates one row if its `version` is still `version`, bumping it. A missing row is NOT_FOUND;
 * a row edited meanwhile is CONFLICT: an edit is never silently applied over another.
 */
export async function updateVersioned(
  knex: Knex,
  table: string,
  where: Record<string, unknown>,
  version: number,
  patch: Record<string, unknown>,
  what: string,
): Promise<void> {
  const updated = await knex(table)
    .where(where)
    .andWhere('version', version)
    .update({ ...patch, version: knex.raw('version + 1'), updated_at: nowIso() });
  if (changed(updated) === 1) return;
  const exists = await knex(table).where(where).first('version');
  if (!exists) throw new AppError('NOT_FOUND', `${what} was not found`);
  throw new AppError('CONFLICT', `${what} was changed by someone else (version ${num(exists.version)}, yours ${version}); reload and try again`);
}

/**
 * Turns a driver error into the contract's codes: constraint violations are the caller's
 * (CONFLICT / INVALID_INPUT), lost connections UNAVAILABLE; anything else stays a bug.
 * The driver message (which may quote values) stays in the cause, for the log only.
 */
export function translateDbError(error: unknown, what = 'The change'): unknown {
  if (error instanceof AppError) return error;
  const e = error as { code?: unknown; message?: unknown; constraint?: unknown };
  const code = typeof e?.code === 'string' ? e.code : '';
  const message = typeof e?.message === 'string' ? e.message : '';
  const constraint = typeof e?.constraint === 'string' ? e.constraint : '';
  if (code === '23P01' || message.includes('appointment_overlap') || constraint === 'appointments_no_overlap') {
    return new AppError('CONFLICT', 'That chair is already booked at that time', { cause: error });
  }
  if (code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
    return new AppError('CONFLICT', `${what} duplicates an existing record`, { cause: error });
  }
  if (code === '23503' || code === 'SQLITE_CONSTRAINT_FOREIGNKEY') {
    return new AppError('INVALID_INPUT', `${what} refers to something that does not exist (or is still in use)`, { cause: error });
  }
  if (code === '23514' || code === '23502' || code === 'SQLITE_CONSTRAINT_CHECK' || code === 'SQLITE_CONSTRAINT_NOTNULL' || code === 'SQLITE_CONSTRAINT_TRIGGER') {
    return new AppError('INVALID_INPUT', `${what} breaks a rule of the practice database`, { cause: error });
  }
  if (code.startsWith('SQLITE_BUSY') || ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', '57P01', '57P03', '08006', '08001'].includes(code)) {
    return new AppError('UNAVAILABLE', 'The practice database cannot be reached; try again', { cause: error });
  }
  return error;
}

/** Runs `fn`, translating driver errors (see translateDbError). */
export async function guarded<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    throw translateDbError(error, what);
  }
}
