import { z } from 'zod';
import { idSchema, instantSchema, versionSchema } from '../common.js';
import { defineMethods } from '../define.js';

export const modalitySchema = z.enum(['IO', 'PX', 'DX', 'CT', 'XC', 'OT']);
export const variantSchema = z.enum(['thumb50', 'thumb200', 'preview', 'view', 'master']);

export const imageSchema = z.object({
  id: idSchema,
  patientId: idSchema,
  studyId: idSchema,
  seriesId: idSchema,
  sopInstanceUid: z.string(),
  modality: modalitySchema,
  acquiredAt: instantSchema.nullable(),
  /** FDI tooth numbers shown on the image. */
  teeth: z.array(z.number().int()),
  rows: z.number().int().positive(),
  columns: z.number().int().positive(),
  bitsStored: z.number().int().positive(),
  photometric: z.string(),
  /** mm per pixel (row, column) and where it came from; null when unknown. */
  pixelSpacing: z.object({ row: z.number(), column: z.number(), source: z.enum(['pixel_spacing', 'imager_pixel_spacing', 'calibration']) }).nullable(),
  calibrationMmPerPx: z.number().positive().nullable(),
  /** Estimated radiographic magnification (0018,1114) for detector spacing: mm at the patient = spacing ÷ this. */
  magnification: z.number().positive().nullable().optional(),
  window: z.object({ center: z.number(), width: z.number() }).nullable(),
  /** True when the only master is lossy: "not for diagnosis". */
  lossy: z.boolean(),
  /** The chart thumbnail inline, as a data: URL (no round trip per image). */
  thumb200: z.string().nullable(),
  /** Variants stored so far (the viewer asks for them by URL). */
  variants: z.array(variantSchema),
  version: versionSchema,
});
export type ImageRecord = z.infer<typeof imageSchema>;

export const imagingMethods = defineMethods({
  /** Newest first. */
  'imaging.forPatient': {
    input: z.object({ patientId: idSchema, limit: z.number().int().min(1).max(2000).default(500) }).strict(),
    output: z.object({ images: z.array(imageSchema) }),
    access: 'imaging.view',
  },
  /** The newest images of each patient (e.g. those on today's schedule), newest first per patient. */
  'imaging.latestForPatients': {
    input: z.object({ patientIds: z.array(idSchema).max(300), perPatient: z.number().int().min(1).max(12).default(3) }).strict(),
    output: z.object({ images: z.array(imageSchema) }),
    access: 'imaging.view',
  },
  'imaging.forAppointment': { input: z.object({ appointmentId: idSchema }).strict(), output: z.object({ images: z.array(imageSchema) }), access: 'imaging.view' },
  'imaging.linkAppointment': {
    input: z.object({ imageId: idSchema, appointmentId: idSchema, linked: z.boolean().default(true) }).strict(),
    output: z.object({ ok: z.literal(true) }),
    access: 'clinical',
  },
  'imaging.linkProcedure': {
    input: z.object({ imageId: idSchema, procedureId: idSchema, linked: z.boolean().default(true) }).strict(),
    output: z.object({ ok: z.literal(true) }),
    access: 'clinical',
  },
  /** Manual calibration from a known length; null removes it. */
  'imaging.calibrate': {
    input: z.object({ id: idSchema, version: versionSchema, mmPerPx: z.number().positive().max(10).nullable() }).strict(),
    output: imageSchema,
    access: 'clinical',
  },
});
