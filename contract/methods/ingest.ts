import { z } from 'zod';
import { idSchema, instantSchema } from '../common.js';
import { defineMethods } from '../define.js';

/** The states of an ingest job (see main/ingest/queue.ts). */
export const ingestStates = ['queued', 'fetched', 'derived', 'stored', 'indexed', 'done', 'failed', 'quarantined'] as const;
export const ingestCountsSchema = z.object(Object.fromEntries(ingestStates.map((s) => [s, z.number().int().nonnegative()])) as Record<(typeof ingestStates)[number], z.ZodNumber>);
export type IngestCounts = z.infer<typeof ingestCountsSchema>;

/**
 * An image no patient could be matched to with confidence. The DICOM patient fields are shown to
 * staff so they can choose the patient; they are never logged.
 */
export const inboxItemSchema = z.object({
  jobId: idSchema,
  receivedAt: instantSchema,
  modality: z.string().nullable(),
  /** As the modality wrote them (PatientID, PatientName with ^ separators, birth date YYYYMMDD). */
  dicomPatientId: z.string().nullable(),
  dicomPatientName: z.string().nullable(),
  dicomBirthDate: z.string().nullable(),
  /** The AE title of the sensor that sent it (which room). */
  sentBy: z.string().nullable(),
  /** The study date as the modality wrote it (YYYYMMDD), or null. */
  studyDate: z.string().nullable(),
  /** data: URL of the thumbnail. */
  thumb200: z.string().nullable(),
});
export type InboxItem = z.infer<typeof inboxItemSchema>;

/** A job that did not make it: quarantined (final) or failed (waiting to retry). */
export const ingestProblemSchema = z.object({
  jobId: idSchema,
  state: z.enum(['failed', 'quarantined']),
  source: z.enum(['orthanc', 'import']),
  /** The file name for imports (no folder), null for Orthanc. */
  file: z.string().nullable(),
  reason: z.string(),
  updatedAt: instantSchema,
});

/** One import job as the import screen follows it. */
export const importJobSchema = z.object({
  jobId: idSchema,
  state: z.enum(ingestStates),
  /** indexed (filed under a patient), inbox, duplicate (already known), assigned (from the inbox); null while running. */
  outcome: z.enum(['indexed', 'inbox', 'duplicate', 'assigned']).nullable(),
  /** The quarantine (or last failure) reason. */
  reason: z.string().nullable(),
  file: z.string().nullable(),
  patientId: idSchema.nullable(),
  dicomPatientId: z.string().nullable(),
});
export type ImportJob = z.infer<typeof importJobSchema>;

export const ingestMethods = defineMethods({
  /** Queue counts per state and the latest problems, newest first. */
  'ingest.status': {
    input: z.object({ problems: z.number().int().min(0).max(200).default(20) }).strict(),
    output: z.object({ counts: ingestCountsSchema, problems: z.array(ingestProblemSchema) }),
    access: 'imaging.view',
  },
  /** Images waiting for someone to say whose they are, oldest first. */
  'ingest.inbox': {
    input: z.object({ limit: z.number().int().min(1).max(500).default(100) }).strict(),
    output: z.object({ items: z.array(inboxItemSchema) }),
    access: 'clinical',
  },
  /**
   * Files an inbox image under a patient (audited). CONFLICT when it is no longer in the inbox
   * (someone else assigned it); NOT_FOUND for an unknown job or patient.
   */
  'ingest.assign': {
    input: z.object({ jobId: idSchema, patientId: idSchema }).strict(),
    output: z.object({ imageId: idSchema, appointmentId: idSchema.nullable() }),
    access: 'clinical',
  },
  /**
   * Files several inbox images under one patient in one transaction (a group, a selection split
   * off a group, or two groups merged), each audited as `image.assign`. With `rememberDicomId`,
   * the DICOM patient id the images carry (they must all carry the same one) is added to the
   * patient's known ids, so future images with it match automatically. CONFLICT when one of them
   * left the inbox meanwhile (nothing is filed then); NOT_FOUND for an unknown job or patient.
   */
  'ingest.assignMany': {
    input: z.object({ jobIds: z.array(idSchema).min(1).max(500), patientId: idSchema, rememberDicomId: z.boolean().default(false) }).strict(),
    output: z.object({ images: z.array(z.object({ jobId: idSchema, imageId: idSchema, appointmentId: idSchema.nullable() })), remembered: z.string().nullable() }),
    access: 'clinical',
  },
  /**
   * Queues a quarantined job again (its attempts start over). It ends like any job: filed if the
   * cause is gone (file readable again, store back, conflict resolved), otherwise quarantined
   * again with the reason. CONFLICT when the job is not quarantined.
   */
  'ingest.retry': {
    input: z.object({ jobId: idSchema }).strict(),
    output: z.object({ jobId: idSchema }),
    access: 'clinical',
  },
  /**
   * Removes a quarantined job for good (admin): the job row goes (its reason and file name are
   * kept in the audit entry `ingest.discard`) and a file uploaded through the app is deleted.
   * CONFLICT when the job is not quarantined.
   */
  'ingest.discard': {
    input: z.object({ jobId: idSchema }).strict(),
    output: z.object({ jobId: idSchema }),
    access: 'admin',
  },
  /** Where the import jobs of an upload stand (the import screen's progress and summary). */
  'ingest.jobs': {
    input: z.object({ jobIds: z.array(idSchema).min(1).max(1000) }).strict(),
    output: z.object({ jobs: z.array(importJobSchema) }),
    access: 'clinical',
  },
});

/** What `POST /upload/<batch>` answers: the import job made for the file, or why it was refused. */
export const uploadResultSchema = z.union([
  z.object({ ok: z.literal(true), jobId: idSchema }),
  z.object({ ok: z.literal(false), error: z.object({ code: z.enum(['NOT_DICOM', 'TOO_LARGE', 'FORBIDDEN', 'INVALID_INPUT', 'UNAVAILABLE']), message: z.string() }) }),
]);
export type UploadResult = z.infer<typeof uploadResultSchema>;

/** Pushed when the queue changes (jobs added, finished, failed). */
export const ingestQueueEventSchema = z.object({ counts: ingestCountsSchema });
/** Pushed when an image was filed under a patient (ingest or inbox assignment): an open chart shows it. */
export const imageNewEventSchema = z.object({ imageId: idSchema, patientId: idSchema, appointmentId: idSchema.nullable() });
