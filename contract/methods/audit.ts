import { z } from 'zod';
import { idSchema, instantSchema } from '../common.js';
import { defineMethods } from '../define.js';

export const auditEntrySchema = z.object({
  seq: z.number().int().positive(),
  at: instantSchema,
  userId: idSchema.nullable(),
  /** e.g. patient.open, patient.update, appointment.create, images.list, annotation.save, access.refused */
  action: z.string(),
  patientId: idSchema.nullable(),
  imageId: idSchema.nullable(),
  workstation: z.string(),
  /** Ids and codes only. */
  detail: z.record(z.string(), z.json()).nullable(),
});
export type AuditEntry = z.infer<typeof auditEntrySchema>;

export const auditQuerySchema = z
  .object({
    patientId: idSchema.optional(),
    userId: idSchema.optional(),
    action: z.string().max(60).optional(),
    from: instantSchema.optional(),
    to: instantSchema.optional(),
    /** Entries older than this sequence number (paging backwards). */
    before: z.number().int().positive().optional(),
    limit: z.number().int().min(1).max(1000).default(100),
  })
  .strict();
export type AuditQuery = z.output<typeof auditQuerySchema>;

export const auditMethods = defineMethods({
  /** Newest first. The log is append-only: nothing in Cusp can change or remove an entry. */
  'audit.query': { input: auditQuerySchema, output: z.object({ entries: z.array(auditEntrySchema) }), access: 'admin' },
});
