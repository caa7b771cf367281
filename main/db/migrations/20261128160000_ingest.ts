import type { Knex } from 'knex';

/**
 * The durable ingest queue (issue 5; code in main/ingest/).
 *
 * - `ingest_jobs`: one row per image to ingest, from Orthanc's change feed (one per change:
 *   unique Orthanc id + change sequence; a rescan adds none for an instance that has a job) or
 *   from `cusp import`. A job moves
 *   queued → fetched → derived → stored → indexed → done; `failed` waits for `run_after`;
 *   `quarantined` is final and says why. A worker holds a job through a lease
 *   (`lease_owner`, `lease_expires_at`); a lease that expires (crashed worker) makes the job
 *   claimable again. Unmatched images stay here as the imaging inbox (`outcome = 'inbox'`) with
 *   what indexing needs (`index_data`, `thumb200`) until someone assigns them.
 * - `ingest_images`: one row per SOP Instance UID Cusp has accepted, with the sha256 of the file
 *   it came from — the idempotency registry. Inserted in the same transaction as the index rows,
 *   so two workers racing on the same image cannot both index it.
 * - `ingest_cursor`: where the follower is in each source's change log, committed with the jobs.
 */

const states = ['queued', 'fetched', 'derived', 'stored', 'indexed', 'done', 'failed', 'quarantined'];
const outcomes = ['indexed', 'inbox', 'duplicate', 'assigned'];
const inList = (column: string, values: readonly string[]) => `${column} in (${values.map((v) => `'${v}'`).join(', ')})`;

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('ingest_jobs', (t) => {
    t.string('id', 36).primary();
    t.text('source').notNullable();
    /**
     * Orthanc's instance id (source orthanc). Not unique: Orthanc derives it from the UIDs, so the
     * same image sent again after a purge comes back under the same id (and becomes a duplicate).
     */
    t.text('orthanc_id');
    /** Orthanc change sequence number, null when found by a rescan. One job per change. */
    t.bigInteger('orthanc_seq');
    /** The file to read (source import). */
    t.text('source_path');
    /** AE title of the modality that sent it (for the operatory of the appointment link). */
    t.text('remote_aet');
    t.text('state').notNullable().defaultTo('queued');
    t.integer('attempts').notNullable().defaultTo(0);
    t.text('run_after').notNullable();
    t.text('lease_owner');
    t.text('lease_expires_at');
    t.text('sop_instance_uid');
    t.text('sha256');
    /** The image uuid chosen at the first fetch: object keys use it, so a retried store overwrites, never orphans. */
    t.string('image_id', 36);
    /** A patient chosen up front (import of photos) or by the inbox assignment. */
    t.string('patient_id', 36);
    t.text('outcome');
    /** Why the job is quarantined, or the last transient error. */
    t.text('reason');
    /** JSON: header facts and stored objects, written when the objects are verified. */
    t.text('index_data');
    t.binary('thumb200');
    t.text('thumb200_type');
    t.text('enqueued_at').notNullable();
    t.text('updated_at').notNullable();
    t.text('finished_at');
    t.unique(['orthanc_id', 'orthanc_seq']);
    t.index(['state', 'run_after']);
    t.index(['sop_instance_uid']);
    t.index(['outcome', 'state']);
    t.check(inList('state', states));
    t.check(`outcome is null or ${inList('outcome', outcomes)}`);
    t.check(inList('source', ['orthanc', 'import']));
  });

  await knex.schema.createTable('ingest_images', (t) => {
    t.text('sop_instance_uid').primary();
    t.text('sha256').notNullable();
    t.string('image_id', 36).notNullable();
    t.string('job_id', 36).notNullable();
    t.text('created_at').notNullable();
  });

  await knex.schema.createTable('ingest_cursor', (t) => {
    t.text('source').primary();
    t.bigInteger('seq').notNullable();
    t.text('identity').notNullable();
    t.text('updated_at').notNullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  for (const table of ['ingest_cursor', 'ingest_images', 'ingest_jobs']) await knex.schema.dropTableIfExists(table);
}
