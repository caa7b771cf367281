import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import type { Knex } from 'knex';
import type { Role, User, UserCreate } from '../../../contract/index.js';
import { AppError } from '../../app/errors.js';
import type { Database } from '../database.js';
import { bool, guarded, newId, nowIso, num, updateVersioned } from '../rows.js';

/** Users of a practice: role, and a password kept only as an scrypt hash. */

/** scrypt cost: N = 2^15, r = 8, p = 1 (about 32 MiB and ~50–100 ms per check). */
const defaults = { N: 2 ** 15, r: 8, p: 1, keyLength: 32 };

function scryptAsync(password: string, salt: Buffer, keyLength: number, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(password.normalize('NFC'), salt, keyLength, { ...options, maxmem: 256 * options.N! * options.r! }, (error, key) =>
      error ? reject(error) : resolve(key),
    ),
  );
}

/** `scrypt$N$r$p$salt$hash` (base64): the parameters travel with the hash, so they can be raised later. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const { N, r, p, keyLength } = defaults;
  const hash = await scryptAsync(password, salt, keyLength, { N, r, p });
  return ['scrypt', N, r, p, salt.toString('base64'), hash.toString('base64')].join('$');
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [N, r, p] = parts.slice(1, 4).map(Number);
  const salt = Buffer.from(parts[4]!, 'base64');
  const expected = Buffer.from(parts[5]!, 'base64');
  if (!N || !r || !p || !expected.length) return false;
  const actual = await scryptAsync(password, salt, expected.length, { N, r, p });
  return timingSafeEqual(actual, expected);
}

type Row = Record<string, unknown>;
const toUser = (row: Row): User => ({
  id: row.id as string,
  username: row.username as string,
  displayName: row.display_name as string,
  role: row.role as Role,
  active: bool(row.active),
  version: num(row.version),
});

export async function listUsers(knex: Knex, practiceId: string): Promise<User[]> {
  return (await knex('users').where({ practice_id: practiceId }).orderBy('username')).map(toUser);
}

export async function createUser(db: Database, practiceId: string, input: UserCreate): Promise<User> {
  const now = nowIso();
  const row = {
    id: newId(),
    practice_id: practiceId,
    username: input.username,
    display_name: input.displayName,
    role: input.role,
    password_hash: await hashPassword(input.password),
    active: true,
    created_at: now,
    updated_at: now,
    version: 1,
  };
  await guarded('The user name', () => db.knex('users').insert(row));
  return toUser(row);
}

export async function updateUser(
  db: Database,
  practiceId: string,
  id: string,
  version: number,
  changes: { displayName?: string; role?: Role; active?: boolean },
): Promise<User> {
  return guarded('The user', () =>
    db.write(async (trx) => {
      const patch: Row = {};
      if (changes.displayName !== undefined) patch.display_name = changes.displayName;
      if (changes.role !== undefined) patch.role = changes.role;
      if (changes.active !== undefined) patch.active = changes.active;
      await updateVersioned(trx, 'users', { id, practice_id: practiceId }, version, patch, 'The user');
      return toUser(await trx('users').where({ id }).first());
    }),
  );
}

export async function setPassword(db: Database, practiceId: string, id: string, password: string): Promise<void> {
  const hash = await hashPassword(password);
  const updated = await db.knex('users').where({ id, practice_id: practiceId }).update({ password_hash: hash, updated_at: nowIso() });
  if (num(updated) !== 1) throw new AppError('NOT_FOUND', 'The user was not found');
}

/**
 * The user if the name and password match an active account, else null. The same work is
 * done for an unknown name, so timing does not tell which names exist.
 */
export async function authenticate(knex: Knex, practiceId: string, username: string, password: string): Promise<User | null> {
  const row = await knex('users').where({ practice_id: practiceId, username: username.trim().toLowerCase() }).first();
  const ok = await verifyPassword(password, (row?.password_hash as string | undefined) ?? dummyHash);
  return row && ok && bool(row.active) ? toUser(row) : null;
}

const dummyHash = `scrypt$${defaults.N}$${defaults.r}$${defaults.p}$${Buffer.alloc(16).toString('base64')}$${Buffer.alloc(32).toString('base64')}`;
