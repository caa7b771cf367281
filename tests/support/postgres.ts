import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import knexFactory from 'knex';
import { freePort } from './orthanc.js';

/**
 * A real PostgreSQL 15 (Debian's `postgresql` package) for tests: a fresh cluster in a temp
 * folder owned by the `postgres` user, on a random loopback port, password authentication.
 * One server per test run (global setup); each test file creates its own database.
 */
export interface PostgresServer {
  /** postgres://app:PASSWORD@127.0.0.1:PORT/postgres */
  readonly url: string;
  stop(): Promise<void>;
}

const bin = (name: string) => `/usr/lib/postgresql/15/bin/${name}`;
const exec = promisify(execFile);

async function asPostgres(command: string, args: string[]): Promise<void> {
  // When the tests run as root (CI), the server must run as an unprivileged user.
  const [file, argv] = process.getuid?.() === 0 ? ['runuser', ['-u', 'postgres', '--', command, ...args]] : [command, args];
  try {
    await exec(file, argv, { timeout: 120_000 });
  } catch (error) {
    const e = error as { stderr?: string; stdout?: string; message: string };
    throw new Error(`${command} failed: ${e.stderr || e.stdout || e.message}`);
  }
}

export async function startPostgres(): Promise<PostgresServer> {
  const dir = mkdtempSync(join(tmpdir(), 'cusp-pg-'));
  const password = randomBytes(12).toString('hex');
  writeFileSync(join(dir, 'pw'), password);
  if (process.getuid?.() === 0) {
    const { uid, gid } = await postgresIds();
    chownSync(dir, uid, gid);
    chownSync(join(dir, 'pw'), uid, gid);
  }
  chmodSync(dir, 0o700);
  await asPostgres(bin('initdb'), ['-D', join(dir, 'data'), '-U', 'app', `--pwfile=${join(dir, 'pw')}`, '--auth-host=scram-sha-256', '--auth-local=scram-sha-256', '-E', 'UTF8', '--no-sync']);
  const port = await freePort();
  await asPostgres(bin('pg_ctl'), [
    '-D', join(dir, 'data'), '-w', '-l', join(dir, 'server.log'),
    '-o', `-c listen_addresses=127.0.0.1 -p ${port} -k ${dir} -c fsync=off -c max_connections=200`,
    'start',
  ]);
  return {
    url: `postgres://app:${password}@127.0.0.1:${port}/postgres`,
    async stop() {
      await asPostgres(bin('pg_ctl'), ['-D', join(dir, 'data'), '-w', '-m', 'fast', 'stop']).catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function postgresIds(): Promise<{ uid: number; gid: number }> {
  const { stdout: uid } = await exec('id', ['-u', 'postgres']);
  const { stdout: gid } = await exec('id', ['-g', 'postgres']);
  return { uid: Number(uid.trim()), gid: Number(gid.trim()) };
}

/** Creates an empty database on the server and returns its URL. */
export async function createDatabase(serverUrl: string, prefix = 'test'): Promise<string> {
  const name = `${prefix}_${randomBytes(6).toString('hex')}`;
  const admin = knexFactory({ client: 'pg', connection: serverUrl, pool: { min: 0, max: 1 } });
  try {
    await admin.raw(`create database ${name}`);
  } finally {
    await admin.destroy();
  }
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
}
