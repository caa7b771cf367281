import { z } from 'zod';
import { dateSchema, idSchema, instantSchema, versionSchema } from '../common.js';
import { defineMethods } from '../define.js';
import { isFdiTooth } from '../teeth.js';

export const procedureStatusSchema = z.enum(['proposed', 'accepted', 'scheduled', 'completed', 'declined']);
export type ProcedureStatus = z.infer<typeof procedureStatusSchema>;

/**
 * The procedure status flow main enforces: proposed → accepted → scheduled → completed, and a
 * proposed or accepted procedure can be declined. Completed and declined are final.
 */
export const procedureTransitions: Record<ProcedureStatus, readonly ProcedureStatus[]> = {
  proposed: ['accepted', 'declined'],
  accepted: ['scheduled', 'declined'],
  scheduled: ['completed'],
  completed: [],
  declined: [],
};
/** The statuses in which a procedure may still be removed from its plan (before it is scheduled or decided). */
export const removableProcedureStatuses: readonly ProcedureStatus[] = ['proposed', 'accepted'];
/** The statuses a procedure may be created in. */
export const initialProcedureStatuses: readonly ProcedureStatus[] = ['proposed', 'accepted'];

export const planStatusSchema = z.enum(['draft', 'presented', 'accepted', 'completed', 'cancelled']);
export const cdtCodeSchema = z.string().regex(/^D\d{4}$/, 'must be a CDT code like D2391');
export const toothSchema = z.number().int().refine(isFdiTooth, 'must be an FDI tooth number (11–48, 51–85)');
/** Any of M O D B L I F, each at most once. */
export const surfacesSchema = z.string().regex(/^(?!.*(.).*\1)[MODBLIF]{1,5}$/, 'must be surfaces among M O D B L I F, each once');

export const procedureSchema = z.object({
  id: idSchema,
  cdtCode: cdtCodeSchema,
  description: z.string().nullable(),
  tooth: toothSchema.nullable(),
  /** The same tooth in the Universal system, for practices that chart in it. */
  toothUniversal: z.string().nullable(),
  surfaces: z.string().nullable(),
  status: procedureStatusSchema,
  feeCents: z.number().int().nonnegative(),
  version: versionSchema,
  /** Images linked to the procedure (imaging.linkProcedure). */
  imageIds: z.array(idSchema),
});
export type Procedure = z.infer<typeof procedureSchema>;

/**
 * Fees in cents, cumulative along the flow: proposed = everything not declined (the plan as
 * presented), accepted = accepted + scheduled + completed, completed = completed; declined apart.
 */
export const totalsSchema = z.object({
  proposedCents: z.number().int().nonnegative(),
  acceptedCents: z.number().int().nonnegative(),
  completedCents: z.number().int().nonnegative(),
  declinedCents: z.number().int().nonnegative(),
});
export type Totals = z.infer<typeof totalsSchema>;

export const phaseSchema = z.object({
  id: idSchema,
  position: z.number().int(),
  title: z.string(),
  procedures: z.array(procedureSchema),
  totals: totalsSchema,
});
export const checkpointSchema = z.object({
  id: idSchema,
  takenOn: dateSchema,
  note: z.string().nullable(),
  imageIds: z.array(idSchema),
  createdBy: idSchema,
});
export const planSchema = z.object({
  id: idSchema,
  patientId: idSchema,
  title: z.string(),
  status: planStatusSchema,
  createdBy: idSchema,
  createdAt: instantSchema,
  updatedAt: instantSchema,
  version: versionSchema,
  phases: z.array(phaseSchema),
  checkpoints: z.array(checkpointSchema),
  totals: totalsSchema,
});
export type TreatmentPlan = z.infer<typeof planSchema>;

const procedureFields = {
  cdtCode: cdtCodeSchema,
  description: z.string().max(300).nullable(),
  tooth: toothSchema.nullable(),
  surfaces: surfacesSchema.nullable(),
  status: procedureStatusSchema,
  feeCents: z.number().int().nonnegative().max(100_000_000),
};

export const procedureInputSchema = z
  .object({
    ...procedureFields,
    description: procedureFields.description.default(null),
    tooth: procedureFields.tooth.default(null),
    surfaces: procedureFields.surfaces.default(null),
    status: procedureFields.status.default('proposed'),
    feeCents: procedureFields.feeCents.default(0),
  })
  .strict();
/**
 * An edit names only what changes. (Not procedureInputSchema.partial(): zod applies defaults
 * inside optional fields, so a status change would also have reset the tooth, surfaces and fee.)
 */
export const procedureChangesSchema = z.object(procedureFields).partial().strict();
export type ProcedureInput = z.output<typeof procedureInputSchema>;

export const planCreateSchema = z
  .object({
    patientId: idSchema,
    title: z.string().trim().min(1).max(200),
    phases: z
      .array(z.object({ title: z.string().trim().min(1).max(200), procedures: z.array(procedureInputSchema).max(100).default([]) }).strict())
      .max(20)
      .default([]),
  })
  .strict();
export type PlanCreate = z.output<typeof planCreateSchema>;

const byId = z.object({ id: idSchema }).strict();

export const treatmentMethods = defineMethods({
  'treatment.plans': { input: z.object({ patientId: idSchema }).strict(), output: z.object({ plans: z.array(planSchema) }), access: 'clinical' },
  'treatment.getPlan': { input: byId, output: planSchema, access: 'clinical' },
  'treatment.createPlan': { input: planCreateSchema, output: planSchema, access: 'clinical' },
  'treatment.updatePlan': {
    input: z.object({ id: idSchema, version: versionSchema, title: z.string().trim().min(1).max(200).optional(), status: planStatusSchema.optional() }).strict(),
    output: planSchema,
    access: 'clinical',
  },
  'treatment.deletePlan': { input: z.object({ id: idSchema, version: versionSchema }).strict(), output: z.object({ deleted: z.literal(true) }), access: 'clinical' },
  'treatment.addPhase': { input: z.object({ planId: idSchema, title: z.string().trim().min(1).max(200) }).strict(), output: planSchema, access: 'clinical' },
  'treatment.addProcedure': { input: z.object({ phaseId: idSchema, procedure: procedureInputSchema }).strict(), output: planSchema, access: 'clinical' },
  'treatment.updateProcedure': {
    input: z.object({ id: idSchema, version: versionSchema, changes: procedureChangesSchema }).strict(),
    output: planSchema,
    access: 'clinical',
  },
  /**
   * Removes a procedure entered by mistake, while it is proposed or accepted; a scheduled,
   * completed or declined one is part of the patient's record (decline it instead).
   */
  'treatment.removeProcedure': { input: z.object({ id: idSchema, version: versionSchema }).strict(), output: planSchema, access: 'clinical' },
  /** Removes a phase with its procedures, when each of them could be removed on its own. */
  'treatment.removePhase': { input: z.object({ id: idSchema }).strict(), output: planSchema, access: 'clinical' },
  'treatment.addCheckpoint': {
    input: z.object({ planId: idSchema, takenOn: dateSchema, note: z.string().max(2000).nullable().default(null), imageIds: z.array(idSchema).max(50).default([]) }).strict(),
    output: planSchema,
    access: 'clinical',
  },
});
