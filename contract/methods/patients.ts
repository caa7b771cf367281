import { z } from 'zod';
import { dateSchema, idSchema, instantSchema, versionSchema } from '../common.js';
import { defineMethods } from '../define.js';

export const sexSchema = z.enum(['F', 'M', 'O', 'U']);
export const consentSchema = z.object({
  id: idSchema,
  /** What the patient agreed to: treatment, imaging, photos, data-sharing, … */
  scope: z.string().min(1).max(60),
  grantedOn: dateSchema,
  expiresOn: dateSchema.nullable(),
  note: z.string().nullable(),
  recordedBy: idSchema,
});
export type Consent = z.infer<typeof consentSchema>;

const patientFields = {
  familyName: z.string().trim().min(1).max(120),
  givenName: z.string().trim().min(1).max(120),
  birthDate: dateSchema.nullable(),
  sex: sexSchema,
  phone: z.string().trim().max(40).nullable(),
  email: z.email().nullable(),
  address: z.string().max(500).nullable(),
  language: z.enum(['fr', 'en']),
  /** Patient IDs (0010,0020) the practice's modalities use for this patient. */
  dicomPatientIds: z.array(z.string().min(1).max(64)).max(20),
};

export const patientSchema = z.object({
  id: idSchema,
  chartNumber: z.string(),
  ...patientFields,
  archived: z.boolean(),
  createdAt: instantSchema,
  updatedAt: instantSchema,
  version: versionSchema,
});
export type Patient = z.infer<typeof patientSchema>;

export const patientDetailSchema = patientSchema.extend({ consents: z.array(consentSchema) });
export type PatientDetail = z.infer<typeof patientDetailSchema>;

export const patientSummarySchema = patientSchema.pick({
  id: true, chartNumber: true, familyName: true, givenName: true, birthDate: true, phone: true, archived: true,
});
export type PatientSummary = z.infer<typeof patientSummarySchema>;

export const patientCreateSchema = z.object({
  /** Omitted: the next free number of the practice. */
  chartNumber: z.string().trim().min(1).max(20).optional(),
  familyName: patientFields.familyName,
  givenName: patientFields.givenName,
  birthDate: patientFields.birthDate.default(null),
  sex: patientFields.sex.default('U'),
  phone: patientFields.phone.default(null),
  email: patientFields.email.default(null),
  address: patientFields.address.default(null),
  language: patientFields.language.default('fr'),
  dicomPatientIds: patientFields.dicomPatientIds.default([]),
}).strict();
export type PatientCreate = z.output<typeof patientCreateSchema>;

export const patientChangesSchema = z.object({ chartNumber: z.string().trim().min(1).max(20), ...patientFields }).partial().strict();
export type PatientChanges = z.output<typeof patientChangesSchema>;

export const patientSearchSchema = z.object({
  /** Words in any order, each a prefix of a name word (accents and case ignored), a chart number, phone digits, or a birth date YYYY-MM-DD. */
  query: z.string().max(100).default(''),
  birthDate: dateSchema.optional(),
  includeArchived: z.boolean().default(false),
  limit: z.number().int().min(1).max(200).default(50),
}).strict();
export type PatientSearch = z.output<typeof patientSearchSchema>;

export const consentCreateSchema = z.object({
  patientId: idSchema,
  scope: consentSchema.shape.scope,
  grantedOn: dateSchema,
  expiresOn: dateSchema.nullable().default(null),
  note: z.string().max(1000).nullable().default(null),
}).strict();
export type ConsentCreate = z.output<typeof consentCreateSchema>;

export const patientMethods = defineMethods({
  'patients.search': { input: patientSearchSchema, output: z.object({ patients: z.array(patientSummarySchema) }), access: 'demographics' },
  'patients.get': { input: z.object({ id: idSchema }).strict(), output: patientDetailSchema, access: 'demographics' },
  'patients.create': { input: patientCreateSchema, output: patientSchema, access: 'demographics' },
  'patients.update': {
    input: z.object({ id: idSchema, version: versionSchema, changes: patientChangesSchema }).strict(),
    output: patientSchema,
    access: 'demographics',
  },
  /** Archive (or restore) a patient: hidden from search, never deleted. */
  'patients.archive': {
    input: z.object({ id: idSchema, version: versionSchema, archived: z.boolean().default(true) }).strict(),
    output: patientSchema,
    access: 'demographics',
  },
  'patients.addConsent': { input: consentCreateSchema, output: consentSchema, access: 'demographics' },
});
