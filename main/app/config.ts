import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { z } from 'zod';
import { languageSchema } from '../../contract/index.js';
import type { DatabaseSettings } from '../db/database.js';
import type { SecretStore } from '../storage/secrets.js';
import { describeIssues } from './dispatcher.js';
import { AppError } from './errors.js';

/**
 * `<data>/config.json`: what this workstation is connected to. Secrets (database password,
 * cloud keys, Orthanc password) are never in this file; they live in the secret store.
 */
export const configSchema = z.object({
  language: languageSchema.default('fr'),
  /** Shown in the audit log as "from which workstation". */
  workstation: z.string().min(1).default(hostname()),
  /** A signed-in session locks after this many minutes without activity (the password unlocks it). */
  autoLockMinutes: z.number().int().min(1).max(480).default(10),
  database: z
    .discriminatedUnion('client', [
      z.object({
        client: z.literal('sqlite'),
        /** Relative to the data folder unless absolute. */
        filename: z.string().min(1).default('cusp.sqlite'),
      }),
      z.object({
        client: z.literal('postgres'),
        /** postgres://user@host:port/database — the password comes from the secret store. */
        url: z.string().regex(/^postgres(ql)?:\/\//, 'must start with postgres://'),
      }),
    ])
    .default({ client: 'sqlite', filename: 'cusp.sqlite' }),
  store: z
    .object({
      /** file:objects (relative to the data folder), file:///abs/path, s3://bucket/prefix?…, azure://account/container/prefix */
      url: z.string().min(1).default('file:objects'),
      /**
       * Where images may live: `canada` (the default) refuses to write to a store outside Canada
       * (see main/storage/open.ts); `any` allows every region.
       */
      residency: z.enum(['canada', 'any']).default('canada'),
    })
    .default({ url: 'file:objects', residency: 'canada' }),
  cache: z
    .object({
      /** The local disk cache of viewed images (LRU), in bytes: 256 MB to 2 TB, default 20 GB. */
      maxBytes: z.number().int().min(256e6).max(2e12).default(20e9),
    })
    .default({ maxBytes: 20e9 }),
  /** `cusp agent`'s nightly jobs (storage tiering, tomorrow's images into the cache). */
  nightly: z
    .object({
      /** Local hour (0–23) at which they run; default 2 (02:00). */
      hour: z.number().int().min(0).max(23).default(2),
    })
    .default({ hour: 2 }),
  orthanc: z
    .object({
      url: z.url(),
      username: z.string().optional(),
      /* The password is the secret `orthanc.password` (main/app/orthanc-settings.ts); CUSP_ORTHANC_PASSWORD overrides it. */
      /** Run the follower and ingest workers in this process (the desktop app on the imaging PC). */
      ingest: z.boolean().optional(),
    })
    .optional(),
});
export type Config = z.infer<typeof configSchema>;

export const configFileName = 'config.json';

export async function loadConfig(dataDir: string): Promise<Config> {
  let raw: unknown = {};
  try {
    raw = JSON.parse(await readFile(join(dataDir, configFileName), 'utf8'));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new AppError('INVALID_INPUT', `${join(dataDir, configFileName)} is not valid JSON: fix or delete it`, { cause: error });
    }
  }
  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) {
    throw new AppError('INVALID_INPUT', `${join(dataDir, configFileName)}: ${describeIssues(parsed.error)}`);
  }
  return parsed.data;
}

/** Writes the config atomically (temp file + rename) so a crash never leaves half a file. */
export async function saveConfig(dataDir: string, config: Config): Promise<void> {
  await mkdir(dataDir, { recursive: true });
  const target = join(dataDir, configFileName);
  const temp = `${target}.${process.pid}.tmp`;
  await writeFile(temp, JSON.stringify(configSchema.parse(config), null, 2) + '\n', { mode: 0o600 });
  await rename(temp, target);
}

export function resolveInDataDir(dataDir: string, path: string): string {
  return isAbsolute(path) ? path : join(dataDir, path);
}

/** A location safe to show and log: no password, no query secrets. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    for (const key of [...parsed.searchParams.keys()]) {
      if (/key|secret|sig|token|password/i.test(key)) parsed.searchParams.set(key, '***');
    }
    return parsed.toString();
  } catch {
    return url;
  }
}

/** The secret holding the PostgreSQL password (never in config.json). */
export const databasePasswordSecret = 'database.password';

/**
 * How to reach the configured database: the SQLite file in the data folder, or PostgreSQL with its
 * password from the secret store (CUSP_DATABASE_PASSWORD overrides it, for headless agents and CI).
 */
export async function databaseSettings(config: Config, dataDir: string, secrets: SecretStore): Promise<DatabaseSettings> {
  if (config.database.client === 'sqlite') return { client: 'sqlite', filename: resolveInDataDir(dataDir, config.database.filename) };
  const password = process.env.CUSP_DATABASE_PASSWORD ?? (await secrets.get(databasePasswordSecret));
  return { client: 'postgres', url: config.database.url, ...(password ? { password } : {}) };
}
