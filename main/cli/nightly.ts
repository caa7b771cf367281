import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { databaseSettings, loadConfig } from '../app/config.js';
import { every } from '../app/every.js';
import type { Logger } from '../app/log.js';
import { openDatabase } from '../db/database.js';
import { KnexObjectIndex } from '../storage/object-index.js';
import { FileSecretStore } from '../storage/secrets.js';
import { openStorage } from '../storage/service.js';
import { applyTiers } from '../storage/tiering.js';

/**
 * `cusp agent`'s nightly work, once a night at config.json `nightly.hour` (local time, default
 * 02:00): storage tiering (`cusp storage tier`) and tomorrow's booked patients' images into this
 * computer's cache (`cusp storage prefetch`). A check runs every minute; the night's run starts in
 * the first four hours after the configured hour (a PC switched on at 03:00 still runs it) and is
 * recorded in `<data>/storage/nightly.json`, so a restart does not run it twice. Logs carry counts
 * only, never a patient.
 */
export const catchUpHours = 4;

/** The local calendar day a run at `now` belongs to, or null outside the window after `hour`. */
export function nightOf(now: Date, hour: number): string | null {
  const start = new Date(now);
  start.setHours(hour, 0, 0, 0);
  if (start.getTime() > now.getTime()) start.setDate(start.getDate() - 1);
  if (now.getTime() - start.getTime() >= catchUpHours * 3_600_000) return null;
  return start.toLocaleDateString('en-CA');
}

export interface NightlyReport {
  tiering: { moved: number; failed: number } | { error: string };
  prefetch: { keys: number; fetched: number; failed: number } | { error: string };
}

/** Runs both jobs once against the data folder's database and store; each job's failure is reported, not thrown. */
export async function runNightlyJobs(dataDir: string, now = new Date()): Promise<NightlyReport> {
  const config = await loadConfig(dataDir);
  const secrets = FileSecretStore.inDataDir(dataDir);
  const db = await openDatabase(await databaseSettings(config, dataDir, secrets));
  try {
    const storage = await openStorage({
      dataDir, url: config.store.url, secrets, residency: config.store.residency, cacheBytes: config.cache.maxBytes,
    });
    try {
      const index = new KnexObjectIndex(db.knex);
      const report: NightlyReport = { tiering: { error: '' }, prefetch: { error: '' } };
      try {
        const tiers = await applyTiers({ index, store: storage.backend, now });
        report.tiering = { moved: tiers.moved, failed: tiers.failed.length };
      } catch (error) {
        report.tiering = { error: error instanceof Error ? error.message : String(error) };
      }
      try {
        const start = new Date(now);
        start.setHours(24, 0, 0, 0);
        const end = new Date(start);
        end.setDate(end.getDate() + 1);
        const keys = await index.keysForAppointments(start.toISOString(), end.toISOString());
        const cached = await storage.cache.prefetch(keys);
        report.prefetch = { keys: keys.length, ...cached };
      } catch (error) {
        report.prefetch = { error: error instanceof Error ? error.message : String(error) };
      }
      return report;
    } finally {
      await storage.close();
    }
  } finally {
    await db.close();
  }
}

/** Starts the once-a-night schedule; returns the function that stops it. */
export function startNightly(options: {
  dataDir: string;
  hour: number;
  log: Logger;
  now?: () => Date;
  run?: (dataDir: string, now: Date) => Promise<NightlyReport>;
  checkEveryMs?: number;
}): () => void {
  const now = options.now ?? (() => new Date());
  const run = options.run ?? runNightlyJobs;
  const record = join(options.dataDir, 'storage', 'nightly.json');
  const log = options.log.child({ component: 'nightly' });
  return every(
    options.checkEveryMs ?? 60_000,
    async () => {
      const at = now();
      const night = nightOf(at, options.hour);
      if (!night) return;
      const last = await readFile(record, 'utf8').then((text) => (JSON.parse(text) as { night?: string }).night, () => undefined);
      if (last === night) return;
      await mkdir(dirname(record), { recursive: true });
      await writeFile(record, JSON.stringify({ night, startedAt: at.toISOString() }));
      log.info({ night }, 'nightly jobs started');
      const report = await run(options.dataDir, at);
      log.info({ night, ...report }, 'nightly jobs done');
    },
    (error) => log.error({ err: error instanceof Error ? error.message : String(error) }, 'nightly jobs failed'),
  );
}
