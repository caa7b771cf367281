import { createRequire } from 'node:module';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import knexFactory, { type Knex } from 'knex';

/**
 * The practice database, reached through knex: an embedded SQLite file on a single workstation
 * (better-sqlite3), or one PostgreSQL server shared by every workstation of a practice.
 * Repositories take a `Knex` (or a transaction) and behave the same on both.
 */
export type DatabaseClient = 'sqlite' | 'postgres';

export type DatabaseSettings = (
  | { client: 'sqlite'; filename: string; busyTimeoutMs?: number }
  | {
      client: 'postgres';
      /** postgres://user@host:port/database */
      url: string;
      /** From the secret store; when absent, pg falls back to PGPASSWORD / ~/.pgpass. */
      password?: string;
      poolMax?: number;
    }
) & {
  /** Where knex's own warnings go (as one-line messages; never query values, see below). Default: dropped. */
  log?: { warn(message: string): void };
};

export interface Database {
  readonly client: DatabaseClient;
  readonly knex: Knex;
  /** Runs `fn` in a write transaction (SQLite: BEGIN IMMEDIATE, retried while another writer holds the lock). */
  write<T>(fn: (trx: Knex.Transaction) => Promise<T>): Promise<T>;
  /** Throws when the database cannot answer. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

const require = createRequire(import.meta.url);

/**
 * knex's better-sqlite3 client, with write transactions opened by `BEGIN IMMEDIATE` instead of
 * `BEGIN`: the write lock is taken before the first read, so a check-then-insert (a booking) can
 * never interleave with another writer. When another connection (another process, another knex
 * instance on the same file) holds the lock, BEGIN is retried asynchronously: better-sqlite3 is
 * synchronous, and its own busy wait would block the event loop the other writer needs to commit.
 */
function sqliteClientClass(): typeof Knex.Client {
  type Constructor = new (...args: unknown[]) => object;
  const BetterSqliteClient: Constructor = require('knex/lib/dialects/better-sqlite3/index.js');
  const SqliteTransaction: Constructor = require('knex/lib/dialects/sqlite3/execution/sqlite-transaction.js');

  class ImmediateTransaction extends SqliteTransaction {
    declare trxClient: { query(conn: unknown, sql: string): Promise<unknown> };
    async begin(conn: unknown) {
      const deadline = Date.now() + lockWaitMs;
      for (let attempt = 0; ; attempt += 1) {
        try {
          return await this.trxClient.query(conn, 'BEGIN IMMEDIATE;');
        } catch (error) {
          if (!isBusy(error) || Date.now() > deadline) throw error;
          await sleep(Math.min(5 + attempt * 5, 50) * (0.5 + Math.random()));
        }
      }
    }
  }

  class CuspSqliteClient extends BetterSqliteClient {
    transaction(container: unknown, config: unknown, outerTx: unknown) {
      return new ImmediateTransaction(this, container, config, outerTx);
    }
  }
  return CuspSqliteClient as unknown as typeof Knex.Client;
}

/** How long a writer waits for the SQLite write lock before giving up (UNAVAILABLE). */
const lockWaitMs = 15_000;

export function isBusy(error: unknown): boolean {
  const code = (error as { code?: unknown })?.code;
  return typeof code === 'string' && code.startsWith('SQLITE_BUSY');
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Both clients are built with `compileSqlOnError: false`: a driver error then quotes the SQL
 * with `?` placeholders, not the values — which would put names and birth dates in the log.
 */
export async function openDatabase(settings: DatabaseSettings): Promise<Database> {
  const knex = settings.client === 'sqlite' ? openSqlite(settings) : openPostgres(settings);
  const db: Database = {
    client: settings.client,
    knex,
    write: (fn) => knex.transaction(fn),
    async ping() {
      await knex.raw('select 1');
    },
    close: () => knex.destroy(),
  };
  try {
    await db.ping();
  } catch (error) {
    await knex.destroy().catch(() => undefined);
    throw error;
  }
  return db;
}

function knexLog(settings: DatabaseSettings): Knex.Config['log'] {
  const warn = (message: unknown) => settings.log?.warn(String(message));
  return { warn, error: warn, deprecate: warn, debug: () => undefined };
}

function openSqlite(settings: Extract<DatabaseSettings, { client: 'sqlite' }>): Knex {
  if (settings.filename !== ':memory:') mkdirSync(dirname(settings.filename), { recursive: true });
  const busyTimeout = settings.busyTimeoutMs ?? 50;
  return knexFactory({
    client: sqliteClientClass(),
    connection: { filename: settings.filename },
    useNullAsDefault: true,
    compileSqlOnError: false,
    log: knexLog(settings),
    pool: {
      min: 1,
      max: 1,
      afterCreate(conn: { pragma(sql: string): unknown }, done: (error: Error | null, conn: unknown) => void) {
        try {
          // 16 KiB pages (only applies when the file is created): a row with its inline thumb200
          // (~5 KiB) fits in one page instead of spilling into overflow pages, which halves the
          // time to open a chart of 500 images.
          conn.pragma('page_size = 16384');
          // WAL: readers never wait for the writer; NORMAL sync is durable across app crashes in WAL mode.
          conn.pragma('journal_mode = WAL');
          conn.pragma('synchronous = NORMAL');
          conn.pragma('foreign_keys = ON');
          conn.pragma(`busy_timeout = ${busyTimeout}`);
          done(null, conn);
        } catch (error) {
          done(error as Error, conn);
        }
      },
    },
  });
}

/**
 * pg lets every field parsed from a connection string override the separate options (a URL without
 * a password would unset the one from the secret store), so the password goes into the URL itself.
 */
function withPassword(url: string, password: string | undefined): string {
  if (password === undefined) return url;
  const parsed = new URL(url);
  parsed.password = encodeURIComponent(password);
  return parsed.toString();
}

function openPostgres(settings: Extract<DatabaseSettings, { client: 'postgres' }>): Knex {
  return knexFactory({
    client: 'pg',
    connection: {
      connectionString: withPassword(settings.url, settings.password),
      // Every session in UTC so timestamps read and written as text never shift.
      options: '-c TimeZone=UTC',
    },
    pool: { min: 0, max: settings.poolMax ?? 10 },
    acquireConnectionTimeout: 10_000,
    compileSqlOnError: false,
    log: knexLog(settings),
  });
}
