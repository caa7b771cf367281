import type { Logger } from '../app/log.js';
import type { Database } from '../db/database.js';
import type { OrthancClient } from '../orthanc/client.js';
import { ChangeFollower, type FollowerOptions } from '../orthanc/follower.js';
import { OrthancPurger } from './purge.js';
import { IngestPipeline, type Derive, type ImageEvent, type IngestStore } from './pipeline.js';
import { JobQueue, type JobSource, type JobState, type QueueOptions } from './queue.js';
import { IngestWorkers } from './workers.js';

/**
 * Ingest as one service: the durable queue, the Orthanc follower feeding it, and the workers
 * running the pipeline. `cusp agent` runs it headless; the desktop app runs the same in its main
 * process when an Orthanc is configured; `cusp import` uses it without a follower.
 */
export interface IngestServiceOptions {
  db: Database;
  store: IngestStore;
  derive: Derive;
  practiceId: string;
  log: Logger;
  orthanc?: OrthancClient;
  /** Delete from Orthanc as soon as an image is indexed. */
  purgeFromOrthanc?: boolean;
  /** Delete from Orthanc this long after an image is indexed (swept every `purgeSweepMs`, default 60 s). */
  purgeAfterMs?: number;
  purgeSweepMs?: number;
  concurrency?: number;
  queue?: QueueOptions;
  follower?: Omit<FollowerOptions, 'client' | 'sink' | 'log' | 'onEnqueued'>;
  workerIdleMs?: number;
  /** Longest pause of a worker after a dependency was unreachable (default 30 s). */
  workerMaxPauseMs?: number;
  /** Run only jobs of this source (`cusp import`). */
  source?: JobSource;
  onImage?: (event: ImageEvent) => void;
  onQueueChange?: () => void;
}

export class IngestService {
  readonly queue: JobQueue;
  readonly pipeline: IngestPipeline;
  readonly workers: IngestWorkers;
  readonly follower: ChangeFollower | null;
  readonly purger: OrthancPurger | null;
  private readonly purgeSweepMs: number;
  private stopPurger: (() => void) | null = null;

  constructor(options: IngestServiceOptions) {
    this.queue = new JobQueue(options.db, options.queue);
    this.pipeline = new IngestPipeline({
      queue: this.queue,
      derive: options.derive,
      store: options.store,
      practiceId: options.practiceId,
      log: options.log,
      ...(options.orthanc ? { orthanc: options.orthanc } : {}),
      ...(options.purgeFromOrthanc ? { purgeFromOrthanc: true } : {}),
      ...(options.onImage ? { onImage: options.onImage } : {}),
    });
    this.workers = new IngestWorkers({
      queue: this.queue,
      pipeline: this.pipeline,
      log: options.log,
      ...(options.concurrency ? { concurrency: options.concurrency } : {}),
      ...(options.workerIdleMs ? { idleMs: options.workerIdleMs } : {}),
      ...(options.workerMaxPauseMs ? { maxPauseMs: options.workerMaxPauseMs } : {}),
      ...(options.source ? { source: options.source } : {}),
      ...(options.onQueueChange ? { onRun: () => options.onQueueChange?.() } : {}),
    });
    this.follower = options.orthanc
      ? new ChangeFollower({
          ...options.follower,
          client: options.orthanc,
          sink: this.queue.sink('orthanc'),
          log: options.log,
          onEnqueued: () => {
            this.workers.wake();
            options.onQueueChange?.();
          },
        })
      : null;
    this.purger =
      options.orthanc && options.purgeAfterMs !== undefined ? new OrthancPurger(options.db, options.orthanc, options.purgeAfterMs, options.log) : null;
    this.purgeSweepMs = options.purgeSweepMs ?? 60_000;
  }

  start(): void {
    this.follower?.start();
    this.workers.start();
    if (this.purger && !this.stopPurger) this.stopPurger = this.purger.start(this.purgeSweepMs);
  }

  /** Stops following, then the workers (in-flight jobs finish within `graceMs` or are released). */
  async stop(graceMs?: number): Promise<void> {
    this.stopPurger?.();
    this.stopPurger = null;
    await this.follower?.stop();
    await this.workers.stop(graceMs);
  }

  counts(): Promise<Record<JobState, number>> {
    return this.queue.counts();
  }
}

/** The practice new images belong to: the configured one, or the only one in the database. */
export async function resolvePracticeId(db: Database, configured?: string): Promise<string> {
  if (configured) return configured;
  const rows = (await db.knex('practices').select('id').limit(2)) as Array<{ id: string }>;
  if (rows.length === 1) return rows[0]!.id;
  throw new Error(
    rows.length === 0
      ? 'the database has no practice yet: create it in the app (or `cusp demo`) before running ingest'
      : 'the database holds several practices: say which one with --practice ID',
  );
}
