import type { Database } from '../db/database.js';
import type { EventBus } from '../app/events.js';
import { every } from '../app/every.js';
import type { Logger } from '../app/log.js';
import { JobQueue } from './queue.js';

/**
 * Turns what ingest commits to the database into UI events: `ingest.queue` when the counts change
 * and `image.new` for each image filed under a patient. The database is the channel, so images
 * ingested by a `cusp agent` on the imaging PC reach the charts open on every workstation that
 * shares the practice database, with no connection between the processes.
 * (Inbox assignments are pushed by the `ingest.assign` handler itself.)
 * Returns a function that stops the polling.
 */
export function publishIngestEvents(db: Database, bus: EventBus, options: { intervalMs?: number; log?: Logger } = {}): () => void {
  const queue = new JobQueue(db);
  let lastCounts = '';
  // Only what finishes from now on: a workstation starting up does not replay history.
  let watermark = new Date().toISOString();
  let seenAtWatermark = new Set<string>();
  let started = false;

  const poll = async () => {
    if (!started) {
      // Jobs that finished in the very millisecond the watermark was taken are history too.
      const atStart = (await db.knex('ingest_jobs').where({ finished_at: watermark }).pluck('id')) as string[];
      seenAtWatermark = new Set(atStart);
      started = true;
    }
    const counts = await queue.counts();
    const key = JSON.stringify(counts);
    if (key !== lastCounts) {
      lastCounts = key;
      bus.emit('ingest.queue', { counts });
    }
    const rows = (await db
      .knex('ingest_jobs')
      .where('finished_at', '>=', watermark)
      .andWhere({ state: 'done' })
      .andWhere({ outcome: 'indexed' })
      .whereNotNull('patient_id')
      .orderBy('finished_at')
      .limit(500)
      .select('id', 'image_id', 'patient_id', 'finished_at')) as Array<{ id: string; image_id: string; patient_id: string; finished_at: string }>;
    for (const row of rows) {
      if (row.finished_at === watermark && seenAtWatermark.has(row.id)) continue;
      if (row.finished_at !== watermark) {
        watermark = row.finished_at;
        seenAtWatermark = new Set();
      }
      seenAtWatermark.add(row.id);
      const link = (await db.knex('image_appointments').where({ image_id: row.image_id }).first('appointment_id')) as { appointment_id: string } | undefined;
      bus.emit('image.new', { imageId: row.image_id, patientId: row.patient_id, appointmentId: link?.appointment_id ?? null });
    }
  };
  return every(options.intervalMs ?? 1000, poll, (error) =>
    options.log?.warn({ err: error instanceof Error ? error.message : String(error) }, 'ingest events: polling failed'),
  );
}
