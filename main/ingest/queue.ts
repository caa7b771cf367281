import { randomBytes } from 'node:crypto';
import type { Knex } from 'knex';
import type { Database } from '../db/database.js';
import { isPostgres } from '../db/dialect.js';
import type { FollowerCursor, InstanceChange, JobSink } from '../orthanc/follower.js';

/**
 * The durable ingest queue: one database row per image (tables in
 * main/db/migrations/20261128160000_ingest.ts).
 *
 * Claiming: a job is claimable when it is not finished (done, quarantined), its `run_after` has
 * come and nobody holds an unexpired lease on it. The claim is one write transaction — on SQLite
 * `BEGIN IMMEDIATE` serialises it against every other writer, on PostgreSQL `FOR UPDATE SKIP
 * LOCKED` lets several agents claim different jobs at once. Every later transition is guarded by
 * the lease owner: a worker whose lease expired and was taken over cannot move the job any more
 * (`LeaseLostError`).
 *
 * Attempts: each claim counts one. A job whose lease keeps expiring (it crashes its worker) is
 * quarantined after `maxAttempts` claims; an ordinary failure waits with exponential backoff and
 * is quarantined after `maxAttempts`; a transient failure (Orthanc or the store unreachable)
 * does not count — the job waits and the worker pauses, for as long as the outage lasts.
 */

export const jobStates = ['queued', 'fetched', 'derived', 'stored', 'indexed', 'done', 'failed', 'quarantined'] as const;
export type JobState = (typeof jobStates)[number];
export type JobOutcome = 'indexed' | 'inbox' | 'duplicate' | 'assigned';
export type JobSource = 'orthanc' | 'import';

export interface IngestJob {
  id: string;
  source: JobSource;
  orthancId: string | null;
  sourcePath: string | null;
  remoteAet: string | null;
  state: JobState;
  attempts: number;
  runAfter: string;
  leaseOwner: string | null;
  leaseExpiresAt: string | null;
  sopInstanceUid: string | null;
  sha256: string | null;
  imageId: string | null;
  patientId: string | null;
  outcome: JobOutcome | null;
  reason: string | null;
  indexData: string | null;
  enqueuedAt: string;
  updatedAt: string;
  finishedAt: string | null;
}

/** A transition asked of a job whose lease this worker no longer holds. */
export class LeaseLostError extends Error {
  constructor(jobId: string) {
    super(`The lease on ingest job ${jobId} was lost (it expired and another worker took the job)`);
    this.name = 'LeaseLostError';
  }
}

export interface QueueOptions {
  /** How long a claim holds a job before another worker may take it. Default 60 s; workers renew. */
  leaseMs?: number;
  /** Claims (or ordinary failures) before a job is quarantined. Default 8. */
  maxAttempts?: number;
  /** Backoff after an ordinary failure: baseMs·2^(attempts-1), at most maxMs. Defaults 2 s, 10 min. */
  backoff?: { baseMs?: number; maxMs?: number };
  /** Wait before a job that failed transiently is offered again. Default 5 s. */
  transientDelayMs?: number;
  now?: () => Date;
}

type Row = Record<string, unknown>;

let lastMs = 0;
let counter = 0;
/**
 * A UUIDv7 (RFC 9562): time-ordered, with a counter in the 12 `rand_a` bits so ids made in the
 * same millisecond by this process still sort in creation order — the queue's FIFO tie-break.
 */
export function orderedId(now = Date.now()): string {
  if (now <= lastMs) {
    counter += 1;
    if (counter > 0xfff) {
      lastMs += 1;
      counter = 0;
    }
  } else {
    lastMs = now;
    counter = 0;
  }
  const bytes = randomBytes(16);
  bytes.writeUIntBE(lastMs, 0, 6);
  bytes[6] = 0x70 | (counter >> 8);
  bytes[7] = counter & 0xff;
  bytes[8] = 0x80 | (bytes[8]! & 0x3f);
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

const finished: JobState[] = ['done', 'quarantined'];

function toJob(row: Row): IngestJob {
  const str = (key: string) => (row[key] === null || row[key] === undefined ? null : String(row[key]));
  return {
    id: String(row.id),
    source: row.source as JobSource,
    orthancId: str('orthanc_id'),
    sourcePath: str('source_path'),
    remoteAet: str('remote_aet'),
    state: row.state as JobState,
    attempts: Number(row.attempts),
    runAfter: String(row.run_after),
    leaseOwner: str('lease_owner'),
    leaseExpiresAt: str('lease_expires_at'),
    sopInstanceUid: str('sop_instance_uid'),
    sha256: str('sha256'),
    imageId: str('image_id'),
    patientId: str('patient_id'),
    outcome: str('outcome') as JobOutcome | null,
    reason: str('reason'),
    indexData: str('index_data'),
    enqueuedAt: String(row.enqueued_at),
    updatedAt: String(row.updated_at),
    finishedAt: str('finished_at'),
  };
}

export class JobQueue {
  readonly db: Database;
  readonly leaseMs: number;
  readonly maxAttempts: number;
  private readonly baseMs: number;
  private readonly maxMs: number;
  private readonly transientDelayMs: number;
  private readonly now: () => Date;

  constructor(db: Database, options: QueueOptions = {}) {
    this.db = db;
    this.leaseMs = options.leaseMs ?? 60_000;
    this.maxAttempts = options.maxAttempts ?? 8;
    this.baseMs = options.backoff?.baseMs ?? 2000;
    this.maxMs = options.backoff?.maxMs ?? 600_000;
    this.transientDelayMs = options.transientDelayMs ?? 5000;
    this.now = options.now ?? (() => new Date());
  }

  private iso(offsetMs = 0): string {
    return new Date(this.now().getTime() + offsetMs).toISOString();
  }

  /** Adds import jobs (one per file); returns their ids. */
  async enqueueFiles(paths: string[], options: { patientId?: string } = {}): Promise<string[]> {
    const now = this.iso();
    const rows = paths.map((path) => ({
      id: orderedId(),
      source: 'import',
      source_path: path,
      patient_id: options.patientId ?? null,
      state: 'queued',
      run_after: now,
      enqueued_at: now,
      updated_at: now,
    }));
    await this.db.write(async (trx) => {
      for (let i = 0; i < rows.length; i += 100) await trx('ingest_jobs').insert(rows.slice(i, i + 100));
    });
    return rows.map((r) => r.id);
  }

  /**
   * Takes the next claimable job for `owner` (a worker id), or null when none is due.
   * Jobs whose lease expired `maxAttempts` times are quarantined here instead of handed out.
   * `source` limits the claim to one kind (`cusp import` runs only its own jobs).
   */
  async claim(owner: string, options: { source?: JobSource } = {}): Promise<IngestJob | null> {
    return this.db.write(async (trx) => {
      for (;;) {
        const now = this.iso();
        let query = trx('ingest_jobs')
          .select('*')
          .where(options.source ? { source: options.source } : {})
          .whereNotIn('state', finished)
          .andWhere('run_after', '<=', now)
          .andWhere((w) => w.whereNull('lease_expires_at').orWhere('lease_expires_at', '<', now))
          .orderBy([{ column: 'run_after' }, { column: 'enqueued_at' }, { column: 'id' }])
          .first();
        if (isPostgres(trx)) query = query.forUpdate().skipLocked();
        const row = (await query) as Row | undefined;
        if (!row) return null;
        const job = toJob(row);
        if (job.state !== 'failed' && job.attempts >= this.maxAttempts) {
          await trx('ingest_jobs').where({ id: job.id }).update({
            state: 'quarantined',
            reason: `gave up after ${job.attempts} attempts that never finished (the worker crashed or hung each time)`,
            lease_owner: null,
            lease_expires_at: null,
            updated_at: now,
            finished_at: now,
          });
          continue;
        }
        const lease = { lease_owner: owner, lease_expires_at: this.iso(this.leaseMs), attempts: job.attempts + 1, updated_at: now };
        await trx('ingest_jobs').where({ id: job.id }).update(lease);
        return { ...job, leaseOwner: owner, leaseExpiresAt: lease.lease_expires_at, attempts: lease.attempts };
      }
    });
  }

  /** Extends the lease of a job in progress; false when it was lost. */
  async renew(jobId: string, owner: string): Promise<boolean> {
    const changed = await this.db.write((trx) =>
      trx('ingest_jobs')
        .where({ id: jobId, lease_owner: owner })
        .whereNotIn('state', finished)
        .update({ lease_expires_at: this.iso(this.leaseMs) }),
    );
    return changed === 1;
  }

  /**
   * Moves a job this worker holds: to a later in-progress state (lease kept) or to `done`
   * (lease cleared). Runs inside `trx` when given, so index rows and the state commit together.
   */
  async advance(
    jobId: string,
    owner: string,
    state: Exclude<JobState, 'failed' | 'quarantined'>,
    fields: Partial<Record<'sop_instance_uid' | 'sha256' | 'image_id' | 'patient_id' | 'remote_aet' | 'outcome' | 'index_data' | 'thumb200' | 'thumb200_type' | 'reason', unknown>> = {},
    trx?: Knex.Transaction,
  ): Promise<void> {
    const now = this.iso();
    const update = async (t: Knex | Knex.Transaction) => {
      const changed = await t('ingest_jobs')
        .where({ id: jobId, lease_owner: owner })
        .whereNotIn('state', finished)
        .update({
          ...fields,
          state,
          updated_at: now,
          ...(state === 'done' ? { lease_owner: null, lease_expires_at: null, finished_at: now } : {}),
        });
      if (changed !== 1) throw new LeaseLostError(jobId);
    };
    if (trx) await update(trx);
    else await this.db.write(update);
  }

  /**
   * Records a failure. Transient failures (a dependency unreachable) are not counted and the job
   * is offered again after `transientDelayMs`; others wait with exponential backoff and are
   * quarantined once `maxAttempts` is reached.
   */
  async fail(job: IngestJob, owner: string, message: string, options: { transient: boolean }): Promise<'failed' | 'quarantined'> {
    const now = this.iso();
    const reason = message.slice(0, 1000);
    let update: Row;
    let result: 'failed' | 'quarantined';
    if (options.transient) {
      const delay = Math.round(this.transientDelayMs * (0.5 + Math.random() / 2));
      update = { state: 'failed', attempts: Math.max(0, job.attempts - 1), run_after: this.iso(delay), reason };
      result = 'failed';
    } else if (job.attempts >= this.maxAttempts) {
      update = { state: 'quarantined', reason: `gave up after ${job.attempts} attempts: ${reason}`, finished_at: now };
      result = 'quarantined';
    } else {
      const cap = Math.min(this.maxMs, this.baseMs * 2 ** Math.max(0, job.attempts - 1));
      update = { state: 'failed', run_after: this.iso(Math.round(cap / 2 + (Math.random() * cap) / 2)), reason };
      result = 'failed';
    }
    await this.releaseWith(job.id, owner, update);
    return result;
  }

  /** Sets a job aside for good, with the reason a person will read (malformed file, UID conflict). */
  async quarantine(jobId: string, owner: string, reason: string): Promise<void> {
    const now = this.iso();
    await this.releaseWith(jobId, owner, { state: 'quarantined', reason: reason.slice(0, 1000), finished_at: now });
  }

  /** Gives a job back untouched (shutdown): not counted as an attempt, claimable at once. */
  async release(job: IngestJob, owner: string): Promise<void> {
    await this.releaseWith(job.id, owner, { attempts: Math.max(0, job.attempts - 1) });
  }

  private async releaseWith(jobId: string, owner: string, update: Row): Promise<void> {
    const changed = await this.db.write((trx) =>
      trx('ingest_jobs')
        .where({ id: jobId, lease_owner: owner })
        .whereNotIn('state', finished)
        .update({ ...update, lease_owner: null, lease_expires_at: null, updated_at: this.iso() }),
    );
    if (changed !== 1) throw new LeaseLostError(jobId);
  }

  async get(jobId: string): Promise<IngestJob | null> {
    const row = (await this.db.knex('ingest_jobs').where({ id: jobId }).first()) as Row | undefined;
    return row ? toJob(row) : null;
  }

  /** Jobs per state (every state present, zero when empty). */
  async counts(): Promise<Record<JobState, number>> {
    const rows = (await this.db.knex('ingest_jobs').select('state').count({ n: '*' }).groupBy('state')) as Array<{ state: string; n: number | string }>;
    const counts = Object.fromEntries(jobStates.map((s) => [s, 0])) as Record<JobState, number>;
    for (const row of rows) counts[row.state as JobState] = Number(row.n);
    return counts;
  }

  /** The most recent quarantine or failure reasons, newest first (for status and the contract). */
  async problems(limit = 20): Promise<IngestJob[]> {
    const rows = (await this.db
      .knex('ingest_jobs')
      .whereIn('state', ['failed', 'quarantined'])
      .orderBy('updated_at', 'desc')
      .limit(limit)) as Row[];
    return rows.map(toJob);
  }

  /** The follower's sink over this queue's tables. */
  sink(source: JobSource = 'orthanc'): JobSink {
    return new KnexJobSink(this.db, source, () => this.iso());
  }
}

/**
 * The change feed's sink: jobs for new Orthanc instances and the follower's cursor, in one
 * transaction. A change already enqueued (same instance and sequence number) is skipped, and so
 * is any instance that has an unfinished job. The same instance under a new sequence number
 * after its job finished (sent again after a purge) is a new job, which ends as a duplicate.
 */
export class KnexJobSink implements JobSink {
  constructor(
    private readonly db: Database,
    private readonly source: JobSource,
    private readonly nowIso: () => string,
  ) {}

  async cursor(): Promise<FollowerCursor | null> {
    const row = (await this.db.knex('ingest_cursor').where({ source: this.source }).first()) as Row | undefined;
    return row ? { seq: Number(row.seq), orthanc: String(row.identity) } : null;
  }

  async enqueue(instances: InstanceChange[], cursor: FollowerCursor): Promise<void> {
    const now = this.nowIso();
    await this.db.write(async (trx) => {
      // A change is enqueued once per sequence number, and no instance gets a second job while
      // one is open (a rescan and the feed may both report it; Orthanc holds one copy per UID).
      // An instance whose jobs are finished gets a new one: it may be the same image sent again
      // after a purge (Orthanc gives it the same id), and only the registry can tell (duplicate).
      const open = new Set<string>();
      for (let i = 0; i < instances.length; i += 500) {
        const ids = instances.slice(i, i + 500).map((r) => r.orthancId);
        const rows = trx('ingest_jobs').whereIn('orthanc_id', ids).whereNotIn('state', finished).distinct('orthanc_id');
        for (const row of (await rows) as Array<{ orthanc_id: string }>) open.add(row.orthanc_id);
      }
      const fresh = instances.filter((r) => {
        if (open.has(r.orthancId)) return false;
        open.add(r.orthancId);
        return true;
      });
      for (let i = 0; i < fresh.length; i += 100) {
        const rows = fresh.slice(i, i + 100).map((instance) => ({
          id: orderedId(),
          source: 'orthanc',
          orthanc_id: instance.orthancId,
          orthanc_seq: instance.seq,
          state: 'queued',
          run_after: now,
          enqueued_at: now,
          updated_at: now,
        }));
        await trx('ingest_jobs').insert(rows).onConflict(['orthanc_id', 'orthanc_seq']).ignore();
      }
      await trx('ingest_cursor')
        .insert({ source: this.source, seq: cursor.seq, identity: cursor.orthanc, updated_at: now })
        .onConflict('source')
        .merge(['seq', 'identity', 'updated_at']);
    });
  }
}
