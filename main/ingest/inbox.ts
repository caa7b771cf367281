import { basename } from 'node:path';
import type { IngestCounts, InboxItem } from '../../contract/index.js';
import { AppError } from '../app/errors.js';
import type { Database } from '../db/database.js';
import { indexImage, type IndexData } from './indexer.js';
import { JobQueue } from './queue.js';

/**
 * The imaging inbox: images ingest could not match to a patient with confidence. They are fully
 * stored and verified; their job keeps what indexing needs, so assigning one is a single
 * transaction that files it under the patient chosen.
 */

type Row = Record<string, unknown>;

const dataUrl = (bytes: unknown, type: unknown) =>
  bytes ? `data:${typeof type === 'string' ? type : 'image/jpeg'};base64,${Buffer.from(bytes as Uint8Array).toString('base64')}` : null;

export async function listInbox(db: Database, limit: number): Promise<InboxItem[]> {
  const rows = (await db
    .knex('ingest_jobs')
    .where({ outcome: 'inbox', state: 'done' })
    .orderBy('enqueued_at')
    .limit(limit)
    .select('id', 'enqueued_at', 'index_data', 'remote_aet', 'thumb200', 'thumb200_type')) as Row[];
  return rows.map((row) => {
    const data = JSON.parse(String(row.index_data)) as IndexData;
    return {
      jobId: String(row.id),
      receivedAt: String(row.enqueued_at),
      modality: data.modality ?? null,
      dicomPatientId: data.patient.id ?? null,
      dicomPatientName: data.patient.name ?? null,
      dicomBirthDate: data.patient.birthDate ?? null,
      sentBy: (row.remote_aet as string | null) ?? null,
      thumb200: dataUrl(row.thumb200, row.thumb200_type),
    };
  });
}

/** Files an inbox image under a patient of the practice. */
export async function assignInbox(
  db: Database,
  practiceId: string,
  jobId: string,
  patientId: string,
): Promise<{ imageId: string; appointmentId: string | null }> {
  return db.write(async (trx) => {
    const job = (await trx('ingest_jobs').where({ id: jobId }).first()) as Row | undefined;
    if (!job) throw new AppError('NOT_FOUND', 'The inbox image was not found');
    if (job.outcome !== 'inbox' || job.state !== 'done') throw new AppError('CONFLICT', 'This image is no longer in the inbox');
    const patient = await trx('patients').where({ id: patientId, practice_id: practiceId, archived: false }).first('id');
    if (!patient) throw new AppError('NOT_FOUND', 'The patient was not found');
    const now = new Date().toISOString();
    const imageId = String(job.image_id);
    const { appointmentId } = await indexImage(trx, {
      practiceId,
      patientId,
      imageId,
      data: JSON.parse(String(job.index_data)) as IndexData,
      thumb200: job.thumb200 ? Buffer.from(job.thumb200 as Uint8Array) : null,
      thumbType: (job.thumb200_type as string | null) ?? null,
      remoteAet: null,
      now,
    });
    await trx('ingest_jobs').where({ id: jobId }).update({ outcome: 'assigned', patient_id: patientId, updated_at: now });
    return { imageId, appointmentId };
  });
}

/** Queue counts and the latest problems, for `ingest.status`, `cusp status` and the health probe. */
export async function ingestStatus(db: Database, problems: number): Promise<{
  counts: IngestCounts;
  problems: Array<{ jobId: string; state: 'failed' | 'quarantined'; source: 'orthanc' | 'import'; file: string | null; reason: string; updatedAt: string }>;
}> {
  const queue = new JobQueue(db);
  const jobs = problems > 0 ? await queue.problems(problems) : [];
  return {
    counts: await queue.counts(),
    problems: jobs.map((job) => ({
      jobId: job.id,
      state: job.state as 'failed' | 'quarantined',
      source: job.source,
      file: job.sourcePath ? basename(job.sourcePath) : null,
      reason: job.reason ?? 'unknown',
      updatedAt: job.updatedAt,
    })),
  };
}
