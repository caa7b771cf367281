import { every } from '../app/every.js';
import type { Logger } from '../app/log.js';
import type { Database } from '../db/database.js';
import type { OrthancClient } from '../orthanc/client.js';

/**
 * Purge after a retention period: deletes from Orthanc the instances of jobs that finished (every
 * object verified and indexed, or recognised as a duplicate) more than `retentionMs` ago. Jobs in
 * the inbox count as finished — their objects are stored; quarantined jobs are never purged
 * (staff may need the original). An instance with another open job is left alone.
 *
 * Progress is a watermark (the `finished_at` reached) kept in `ingest_cursor` under the source
 * `orthanc-purge`, so each sweep looks only at newly due jobs. Deleting is idempotent, so a crash
 * between a delete and the watermark update only repeats a few deletes.
 */
export class OrthancPurger {
  private static readonly source = 'orthanc-purge';

  constructor(
    private readonly db: Database,
    private readonly orthanc: Pick<OrthancClient, 'deleteInstance'>,
    private readonly retentionMs: number,
    private readonly log?: Logger,
  ) {}

  /** Deletes what is due; returns how many instances were deleted (or already gone). */
  async sweep(now = new Date()): Promise<number> {
    const cutoff = new Date(now.getTime() - this.retentionMs).toISOString();
    const mark = (await this.db.knex('ingest_cursor').where({ source: OrthancPurger.source }).first('identity')) as { identity: string } | undefined;
    let watermark = mark?.identity ?? '';
    let purged = 0;
    for (;;) {
      const due = (await this.db
        .knex('ingest_jobs as j')
        .where({ 'j.source': 'orthanc', 'j.state': 'done' })
        .whereNotNull('j.orthanc_id')
        .andWhere('j.finished_at', '>=', watermark)
        .andWhere('j.finished_at', '<', cutoff)
        .whereNotExists((q) => q.select('o.id').from('ingest_jobs as o').whereRaw('o.orthanc_id = j.orthanc_id').whereNotIn('o.state', ['done', 'quarantined']))
        .orderBy('j.finished_at')
        .limit(200)
        .select('j.orthanc_id', 'j.finished_at')) as Array<{ orthanc_id: string; finished_at: string }>;
      const fresh = due.filter((d) => d.finished_at > watermark);
      if (fresh.length === 0) break;
      for (const job of fresh) {
        await this.orthanc.deleteInstance(job.orthanc_id);
        purged += 1;
      }
      watermark = fresh.at(-1)!.finished_at;
      await this.db.write((trx) =>
        trx('ingest_cursor')
          .insert({ source: OrthancPurger.source, seq: 0, identity: watermark, updated_at: now.toISOString() })
          .onConflict('source')
          .merge(['identity', 'updated_at']),
      );
      if (due.length < 200) break;
    }
    if (purged > 0) this.log?.info({ purged, retentionMs: this.retentionMs }, 'purged from Orthanc after retention');
    return purged;
  }

  /** Sweeps now and every `intervalMs`; returns a stop function. */
  start(intervalMs = 60_000): () => void {
    return every(intervalMs, () => this.sweep().then(() => undefined), (error) =>
      this.log?.warn({ err: error instanceof Error ? error.message : String(error) }, 'purge sweep failed; will retry'),
    );
  }
}
