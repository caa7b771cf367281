import { readdir, rm, stat } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { every } from '../app/every.js';
import type { Logger } from '../app/log.js';
import { practicePresetLoader } from '../app/compression.js';
import type { Database } from '../db/database.js';
import { DerivePool } from '../imaging/pool.js';
import type { IngestStore } from './pipeline.js';
import { JobQueue } from './queue.js';
import { IngestService, resolvePracticeId } from './service.js';
import { jobsToKeepBusy } from './workers.js';

/**
 * Files dropped in the app (`POST /upload`, main/server/upload.ts) are imported exactly like
 * `cusp import` files: each is written to `<data>/uploads/<batch>/<file-id>/<name>` and becomes an
 * import job in the same durable queue; the same pipeline files it (or sends it to the inbox or
 * the quarantine). The file stays on disk until its job is done — it is the original while the
 * store is unreachable, and a quarantined file is kept for `ingest.retry` (`ingest.discard`
 * deletes it). What a crash leaves between writing a file and enqueueing it is picked up when the
 * runner starts (`ImportRunner.recoverUploads`).
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
  /**
   * An uploaded file without a job is taken for a crash's leftover only when older than this
   * (a younger one may be between its rename and its enqueue). Default 5 minutes.
   */
  orphanAgeMs?: number;
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
    this.options = { threads: 1, pollMs: 2000, idleStopMs: 20_000, orphanAgeMs: 5 * 60_000, ...options };
  }

  start(): void {
    if (this.stopPoll) return;
    void this.recoverUploads().catch((error: unknown) =>
      this.options.log.warn({ err: error instanceof Error ? error.message : String(error) }, 'import runner: leftover uploads not checked'),
    );
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

  /**
   * What a crash can leave in `<data>/uploads`: a complete file with no job (the crash came
   * between its rename and its enqueue) is queued now, so no image is lost (the pipeline knows an
   * image it already has, so a sender who uploaded it again gets no duplicate); a `.part` (an
   * upload cut off, which its sender was told failed) is removed. Only files older than
   * `orphanAgeMs` are touched.
   */
  async recoverUploads(now = Date.now()): Promise<{ queued: number; removed: number }> {
    const root = uploadsDirOf(this.options.dataDir);
    const found: Array<{ path: string; partial: boolean }> = [];
    for (const batch of await readdir(root).catch(() => [] as string[])) {
      for (const fileId of await readdir(join(root, batch)).catch(() => [] as string[])) {
        for (const name of await readdir(join(root, batch, fileId)).catch(() => [] as string[])) {
          const path = join(root, batch, fileId, name);
          const stats = await stat(path).catch(() => null);
          if (stats?.isFile() && now - stats.mtimeMs >= this.options.orphanAgeMs) found.push({ path, partial: name.endsWith('.part') });
        }
      }
    }
    if (!found.length) return { queued: 0, removed: 0 };
    const db = this.options.db();
    const known = new Set<string>();
    // In slices: SQLite takes at most 999 values in one statement.
    for (let i = 0; i < found.length; i += 500) {
      const rows = (await db.knex('ingest_jobs').whereIn('source_path', found.slice(i, i + 500).map((f) => f.path)).select('source_path')) as Array<{ source_path: string }>;
      for (const row of rows) known.add(row.source_path);
    }
    const orphans = found.filter((f) => !f.partial && !known.has(f.path)).map((f) => f.path);
    const cutOff = found.filter((f) => f.partial);
    for (const f of cutOff) await rm(dirname(f.path), { recursive: true, force: true });
    if (orphans.length) await new JobQueue(db).enqueueFiles(orphans);
    if (orphans.length || cutOff.length) this.options.log.info({ queued: orphans.length, removed: cutOff.length }, 'import runner: uploads left by a crash recovered');
    if (orphans.length) await this.kick();
    return { queued: orphans.length, removed: cutOff.length };
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
