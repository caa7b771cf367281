import { rm } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { every } from '../app/every.js';
import type { Logger } from '../app/log.js';
import { practicePresetLoader } from '../app/compression.js';
import type { Database } from '../db/database.js';
import { DerivePool } from '../imaging/pool.js';
import type { IngestStore } from './pipeline.js';
import { IngestService, resolvePracticeId } from './service.js';
import { jobsToKeepBusy } from './workers.js';

/**
 * Files dropped in the app (`POST /upload`, main/server/upload.ts) are imported exactly like
 * `cusp import` files: each is written to `<data>/uploads/<batch>/<file-id>/<name>` and becomes an
 * import job in the same durable queue; the same pipeline files it (or sends it to the inbox or
 * the quarantine). The file stays on disk until its job is done — it is the original while the
 * store is unreachable, and a quarantined file is kept for `ingest.retry` (`ingest.discard`
 * deletes it). A crash between writing a file and enqueueing it leaves only that file behind.
 */
export const uploadsDirOf = (dataDir: string) => join(resolve(dataDir), 'uploads');

/** Whether `path` is a file the upload route wrote (`<data>/uploads/<batch>/<file-id>/<name>`). */
export function isUploadedFile(dataDir: string, path: string): boolean {
  const rel = relative(uploadsDirOf(dataDir), resolve(path));
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel) && rel.split(sep).length === 3;
}

export interface ImportRunnerOptions {
  db: () => Database;
  store: () => IngestStore;
  dataDir: string;
  log: Logger;
  /** Imaging threads while imports run (default 1, so the app stays responsive). */
  threads?: number;
  /** How often the queue is looked at for import jobs (uploads, retries, `cusp import`). Default 2 s. */
  pollMs?: number;
  /** Workers stop (and the imaging thread with them) after this long without open import jobs. Default 20 s. */
  idleStopMs?: number;
}

/**
 * Runs the queue's import jobs in `cusp serve`: the same IngestService as `cusp import`, limited
 * to import jobs, started when there are some (an upload kicks it at once; a retried import job
 * is seen by the next poll) and stopped when the queue has had none for a while.
 */
export class ImportRunner {
  private service: IngestService | null = null;
  private pool: DerivePool | null = null;
  private starting: Promise<void> | null = null;
  private idleSince = 0;
  private stopPoll: (() => void) | null = null;
  private readonly options: Required<ImportRunnerOptions>;

  constructor(options: ImportRunnerOptions) {
    this.options = { threads: 1, pollMs: 2000, idleStopMs: 20_000, ...options };
  }

  start(): void {
    if (this.stopPoll) return;
    this.stopPoll = every(this.options.pollMs, () => this.tick(), (error) =>
      this.options.log.warn({ err: error instanceof Error ? error.message : String(error) }, 'import runner: polling failed'),
    );
  }

  /** New import jobs were enqueued: run them now. */
  async kick(): Promise<void> {
    this.idleSince = 0;
    await this.ensureRunning();
    this.service?.workers.wake();
  }

  private async openJobs(): Promise<number> {
    const row = (await this.options
      .db()
      .knex('ingest_jobs')
      .where({ source: 'import' })
      .whereNotIn('state', ['done', 'quarantined'])
      .count({ n: '*' })
      .first()) as { n: number | string } | undefined;
    return Number(row?.n ?? 0);
  }

  private async tick(): Promise<void> {
    const open = await this.openJobs();
    if (open > 0) {
      this.idleSince = 0;
      await this.ensureRunning();
      return;
    }
    if (!this.service) return;
    const now = Date.now();
    if (!this.idleSince) this.idleSince = now;
    else if (now - this.idleSince >= this.options.idleStopMs) await this.stopService();
  }

  private async ensureRunning(): Promise<void> {
    if (this.service) return;
    this.starting ??= (async () => {
      const db = this.options.db();
      const practiceId = await resolvePracticeId(db);
      const pool = new DerivePool({ threads: this.options.threads });
      const preset = practicePresetLoader(db.knex, practiceId);
      const service = new IngestService({
        db,
        store: this.options.store(),
        // The practice's compression preset (Settings → Compression), as every other ingest uses.
        derive: async (bytes, expect) => pool.derive(bytes, await preset(), expect),
        practiceId,
        log: this.options.log.child({ component: 'import' }),
        source: 'import',
        workerIdleMs: 250,
        concurrency: jobsToKeepBusy(pool.threads),
        onImage: (event) => void this.cleanUp(event.jobId),
      });
      service.start();
      this.pool = pool;
      this.service = service;
    })().finally(() => {
      this.starting = null;
    });
    await this.starting;
  }

  /** An uploaded file whose job is done (filed, inbox or duplicate) is not needed any more. */
  private async cleanUp(jobId: string): Promise<void> {
    try {
      const row = (await this.options.db().knex('ingest_jobs').where({ id: jobId }).first('source_path')) as { source_path: string | null } | undefined;
      const path = row?.source_path;
      if (path && isUploadedFile(this.options.dataDir, path)) await rm(dirname(path), { recursive: true, force: true });
    } catch (error) {
      this.options.log.warn({ jobId, err: error instanceof Error ? error.message : String(error) }, 'import runner: an uploaded file could not be removed');
    }
  }

  private async stopService(): Promise<void> {
    const service = this.service;
    const pool = this.pool;
    this.service = null;
    this.pool = null;
    this.idleSince = 0;
    await service?.stop();
    await pool?.close();
  }

  async close(): Promise<void> {
    this.stopPoll?.();
    this.stopPoll = null;
    await this.starting?.catch(() => undefined);
    await this.stopService();
  }
}
