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
});

/** Pushed when the queue changes (jobs added, finished, failed). */
export const ingestQueueEventSchema = z.object({ counts: ingestCountsSchema });
/** Pushed when an image was filed under a patient (ingest or inbox assignment): an open chart shows it. */
export const imageNewEventSchema = z.object({ imageId: idSchema, patientId: idSchema, appointmentId: idSchema.nullable() });
