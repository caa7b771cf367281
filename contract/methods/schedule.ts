import { z } from 'zod';
import { idSchema, instantSchema, versionSchema } from '../common.js';
import { defineMethods } from '../define.js';

export const appointmentStatusSchema = z.enum(['booked', 'confirmed', 'arrived', 'in_chair', 'completed', 'no_show', 'cancelled']);
export type AppointmentStatus = z.infer<typeof appointmentStatusSchema>;

export const providerSchema = z.object({
  id: idSchema,
  displayName: z.string(),
  kind: z.enum(['dentist', 'orthodontist', 'hygienist', 'assistant']),
  color: z.string().nullable(),
  userId: idSchema.nullable(),
  active: z.boolean(),
});
export type Provider = z.infer<typeof providerSchema>;

export const operatorySchema = z.object({
  id: idSchema,
  name: z.string(),
  /** DICOM AE titles of the sensors in this room: an image from one links to this chair's appointment. */
  aeTitles: z.array(z.string()),
  active: z.boolean(),
});
export type Operatory = z.infer<typeof operatorySchema>;

export const appointmentSchema = z.object({
  id: idSchema,
  patientId: idSchema,
  providerId: idSchema,
  operatoryId: idSchema,
  startsAt: instantSchema,
  endsAt: instantSchema,
  status: appointmentStatusSchema,
  reason: z.string().nullable(),
  /** Procedures of a treatment plan planned for this visit. */
  procedureIds: z.array(idSchema),
  /** Who, for the schedule grid (the caller may see demographics). */
  patient: z.object({ familyName: z.string(), givenName: z.string(), chartNumber: z.string() }),
  version: versionSchema,
});
export type Appointment = z.infer<typeof appointmentSchema>;

export const appointmentCreateSchema = z
  .object({
    patientId: idSchema,
    providerId: idSchema,
    operatoryId: idSchema,
    startsAt: instantSchema,
    endsAt: instantSchema,
    status: z.enum(['booked', 'confirmed']).default('booked'),
    reason: z.string().max(500).nullable().default(null),
    procedureIds: z.array(idSchema).max(50).default([]),
  })
  .strict()
  .refine((s) => s.startsAt < s.endsAt, { message: 'must end after it starts', path: ['endsAt'] });
export type AppointmentCreate = z.output<typeof appointmentCreateSchema>;

export const appointmentMoveSchema = z
  .object({
    id: idSchema,
    version: versionSchema,
    startsAt: instantSchema,
    endsAt: instantSchema,
    operatoryId: idSchema.optional(),
    providerId: idSchema.optional(),
  })
  .strict()
  .refine((s) => s.startsAt < s.endsAt, { message: 'must end after it starts', path: ['endsAt'] });
export type AppointmentMove = z.output<typeof appointmentMoveSchema>;

export const appointmentListSchema = z
  .object({
    /** The caller's local day (or week) as UTC instants: [from, to). */
    from: instantSchema,
    to: instantSchema,
    operatoryIds: z.array(idSchema).max(50).optional(),
    includeCancelled: z.boolean().default(false),
  })
  .strict();
export type AppointmentList = z.output<typeof appointmentListSchema>;

const byId = z.object({ id: idSchema }).strict();

export const scheduleMethods = defineMethods({
  'schedule.providers': { input: z.object({}).strict(), output: z.object({ providers: z.array(providerSchema) }), access: 'schedule' },
  'schedule.operatories': { input: z.object({}).strict(), output: z.object({ operatories: z.array(operatorySchema) }), access: 'schedule' },
  /** Appointments starting in [from, to), by start time; overlapping slots are refused at booking. */
  'appointments.list': { input: appointmentListSchema, output: z.object({ appointments: z.array(appointmentSchema) }), access: 'schedule' },
  'appointments.forPatient': {
    input: z.object({ patientId: idSchema }).strict(),
    output: z.object({ appointments: z.array(appointmentSchema) }),
    access: 'schedule',
  },
  'appointments.get': { input: byId, output: appointmentSchema, access: 'schedule' },
  /** CONFLICT when the chair is taken at that time (even by a booking made a moment ago elsewhere). */
  'appointments.create': { input: appointmentCreateSchema, output: appointmentSchema, access: 'schedule' },
  /** CONFLICT when the new slot is taken, or the appointment changed since `version`. */
  'appointments.move': { input: appointmentMoveSchema, output: appointmentSchema, access: 'schedule' },
  'appointments.setStatus': {
    input: z.object({ id: idSchema, version: versionSchema, status: appointmentStatusSchema }).strict(),
    output: appointmentSchema,
    access: 'schedule',
  },
  'appointments.cancel': { input: z.object({ id: idSchema, version: versionSchema }).strict(), output: appointmentSchema, access: 'schedule' },
});

