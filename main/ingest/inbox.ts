import { basename } from 'node:path';
import type { Knex } from 'knex';
import type { ImportJob, IngestCounts, InboxItem } from '../../contract/index.js';
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
      studyDate: data.studyDate ?? null,
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
    await livePatient(trx, practiceId, patientId);
    return assignInTransaction(trx, practiceId, jobId, patientId, new Date().toISOString());
  });
}

async function livePatient(trx: Knex.Transaction, practiceId: string, patientId: string): Promise<void> {
  const patient = await trx('patients').where({ id: patientId, practice_id: practiceId, archived: false }).first('id');
  if (!patient) throw new AppError('NOT_FOUND', 'The patient was not found');
}

async function assignInTransaction(
  trx: Knex.Transaction,
  practiceId: string,
  jobId: string,
  patientId: string,
  now: string,
): Promise<{ imageId: string; appointmentId: string | null }> {
  const job = (await trx('ingest_jobs').where({ id: jobId }).first()) as Row | undefined;
  if (!job) throw new AppError('NOT_FOUND', 'The inbox image was not found');
  if (job.outcome !== 'inbox' || job.state !== 'done') throw new AppError('CONFLICT', 'This image is no longer in the inbox');
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
}

/**
 * Files several inbox images under one patient, all or none (one transaction): a group, part of
 * a group (split), or several groups (merge). With `rememberDicomId`, the one DICOM patient id
 * the images carry becomes a known id of the patient, so the next exposures match by themselves.
 * It must not be known for another patient already (that would make matching ambiguous).
 */
export async function assignMany(
  db: Database,
  practiceId: string,
  jobIds: string[],
  patientId: string,
  rememberDicomId: boolean,
): Promise<{ images: Array<{ jobId: string; imageId: string; appointmentId: string | null }>; remembered: string | null }> {
  const unique = [...new Set(jobIds)];
  return db.write(async (trx) => {
    await livePatient(trx, practiceId, patientId);
    let remembered: string | null = null;
    if (rememberDicomId) {
      const rows = (await trx('ingest_jobs').whereIn('id', unique).select('index_data')) as Row[];
      const ids = new Set(rows.map((row) => (row.index_data ? (JSON.parse(String(row.index_data)) as IndexData).patient.id?.trim() : undefined) || ''));
      ids.delete('');
      if (ids.size !== 1) throw new AppError('INVALID_INPUT', 'Expected images that all carry the same DICOM patient id to remember it');
      remembered = [...ids][0]!;
      const others = await trx('patient_dicom_ids as d')
        .join('patients as p', 'p.id', 'd.patient_id')
        .where({ 'p.practice_id': practiceId, 'd.dicom_patient_id': remembered })
        .whereNot('p.id', patientId)
        .first('p.id');
      if (others) throw new AppError('CONFLICT', 'This DICOM patient id is already known for another patient: images are filed without remembering it');
      await trx('patient_dicom_ids').insert({ patient_id: patientId, dicom_patient_id: remembered, issuer: '' }).onConflict(['patient_id', 'dicom_patient_id', 'issuer']).ignore();
    }
    const now = new Date().toISOString();
    const images: Array<{ jobId: string; imageId: string; appointmentId: string | null }> = [];
    for (const jobId of unique) images.push({ jobId, ...(await assignInTransaction(trx, practiceId, jobId, patientId, now)) });
    return { images, remembered };
  });
}

/**
 * Queues a quarantined job again with its attempts reset. Nothing else changes: the image uuid
 * and whatever a previous attempt verified stay on the job, so the pipeline's crash-safety
 * (object keys under the job's image uuid, the registry in the index transaction) holds as for
 * any other run. Returns the job's source and file for the audit entry.
 */
export async function retryQuarantined(db: Database, jobId: string): Promise<{ source: string; file: string | null; reason: string | null }> {
  return db.write(async (trx) => {
    const job = (await trx('ingest_jobs').where({ id: jobId }).first('state', 'source', 'source_path', 'reason')) as Row | undefined;
    if (!job) throw new AppError('NOT_FOUND', 'The job was not found');
    if (job.state !== 'quarantined') throw new AppError('CONFLICT', 'Only a quarantined job can be retried');
    const now = new Date().toISOString();
    // From `queued` the pipeline fetches again (Orthanc or the file) and redoes every step.
    await trx('ingest_jobs')
      .where({ id: jobId, state: 'quarantined' })
      .update({ state: 'queued', attempts: 0, run_after: now, lease_owner: null, lease_expires_at: null, finished_at: null, updated_at: now });
    return { source: String(job.source), file: job.source_path ? basename(String(job.source_path)) : null, reason: (job.reason as string | null) ?? null };
  });
}

/** Deletes a quarantined job; returns what the audit entry keeps and the file it pointed at. */
export async function discardQuarantined(db: Database, jobId: string): Promise<{ source: string; path: string | null; reason: string | null }> {
  return db.write(async (trx) => {
    const job = (await trx('ingest_jobs').where({ id: jobId }).first('state', 'source', 'source_path', 'reason')) as Row | undefined;
    if (!job) throw new AppError('NOT_FOUND', 'The job was not found');
    if (job.state !== 'quarantined') throw new AppError('CONFLICT', 'Only a quarantined job can be discarded');
    await trx('ingest_jobs').where({ id: jobId, state: 'quarantined' }).delete();
    return { source: String(job.source), path: (job.source_path as string | null) ?? null, reason: (job.reason as string | null) ?? null };
  });
}

/** Where some import jobs stand (the import screen's progress). Unknown ids are left out. */
export async function importJobs(db: Database, jobIds: string[]): Promise<ImportJob[]> {
  const rows = (await db
    .knex('ingest_jobs')
    .whereIn('id', [...new Set(jobIds)])
    .where({ source: 'import' })
    .select('id', 'state', 'outcome', 'reason', 'source_path', 'patient_id', 'index_data')) as Row[];
  const byId = new Map(rows.map((row) => [String(row.id), row]));
  return jobIds.flatMap((id) => {
    const row = byId.get(id);
    if (!row) return [];
    const data = row.index_data ? (JSON.parse(String(row.index_data)) as IndexData) : null;
    const finished = row.state === 'done' || row.state === 'quarantined';
    return [
      {
        jobId: id,
        state: row.state as ImportJob['state'],
        outcome: finished && row.state === 'done' ? ((row.outcome as ImportJob['outcome']) ?? null) : null,
        reason: row.state === 'done' ? null : ((row.reason as string | null) ?? null),
        file: row.source_path ? basename(String(row.source_path)) : null,
        patientId: (row.patient_id as string | null) ?? null,
        dicomPatientId: data?.patient.id ?? null,
      },
    ];
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
