import type { Knex } from 'knex';
import type {
  Appointment, AppointmentCreate, AppointmentList, AppointmentMove, AppointmentStatus, Operatory, Provider,
} from '../../../contract/index.js';
import { AppError } from '../../app/errors.js';
import type { Database } from '../database.js';
import { bool, guarded, json, newId, nowIso, num, updateVersioned } from '../rows.js';

/**
 * Providers, operatories (chairs) and appointments. No double booking is the database's job:
 * PostgreSQL refuses overlapping live appointments in one operatory with an exclusion
 * constraint, SQLite with a trigger under its single writer lock. Both become CONFLICT here.
 */

type Row = Record<string, unknown>;

export async function listProviders(knex: Knex, practiceId: string): Promise<Provider[]> {
  const rows = await knex('providers').where({ practice_id: practiceId }).orderBy('display_name');
  return rows.map((r) => ({
    id: r.id,
    displayName: r.display_name,
    kind: r.kind,
    color: r.color ?? null,
    userId: r.user_id ?? null,
    active: bool(r.active),
  }));
}

export async function listOperatories(knex: Knex, practiceId: string): Promise<Operatory[]> {
  const rows = await knex('operatories').where({ practice_id: practiceId }).orderBy('name');
  return rows.map((r) => ({ id: r.id, name: r.name, aeTitles: json<string[]>(r.ae_titles, []), active: bool(r.active) }));
}

export async function createProvider(
  db: Database,
  practiceId: string,
  input: { displayName: string; kind: Provider['kind']; color?: string | null; userId?: string | null },
): Promise<string> {
  const now = nowIso();
  const id = newId();
  await guarded('The provider', () =>
    db.knex('providers').insert({
      id, practice_id: practiceId, display_name: input.displayName, kind: input.kind, color: input.color ?? null,
      user_id: input.userId ?? null, active: true, created_at: now, updated_at: now, version: 1,
    }),
  );
  return id;
}

export async function createOperatory(db: Database, practiceId: string, input: { name: string; aeTitles?: string[] }): Promise<string> {
  const now = nowIso();
  const id = newId();
  await guarded('The operatory', () =>
    db.knex('operatories').insert({
      id, practice_id: practiceId, name: input.name, ae_titles: JSON.stringify(input.aeTitles ?? []), active: true,
      created_at: now, updated_at: now, version: 1,
    }),
  );
  return id;
}

const appointmentColumns = [
  'a.id', 'a.patient_id', 'a.provider_id', 'a.operatory_id', 'a.starts_at', 'a.ends_at', 'a.status', 'a.reason', 'a.version',
  'p.family_name', 'p.given_name', 'p.chart_number',
];

function appointmentsQuery(knex: Knex, practiceId: string) {
  return knex('appointments as a').join('patients as p', 'p.id', 'a.patient_id').where('a.practice_id', practiceId).select(appointmentColumns);
}

async function withProcedures(knex: Knex, rows: Row[]): Promise<Appointment[]> {
  const byAppointment = new Map<string, string[]>();
  const ids = rows.map((r) => r.id as string);
  for (let i = 0; i < ids.length; i += 500) {
    const links = await knex('appointment_procedures').whereIn('appointment_id', ids.slice(i, i + 500)).orderBy('procedure_id');
    for (const link of links) {
      const list = byAppointment.get(link.appointment_id) ?? [];
      list.push(link.procedure_id);
      byAppointment.set(link.appointment_id, list);
    }
  }
  return rows.map((r) => ({
    id: r.id as string,
    patientId: r.patient_id as string,
    providerId: r.provider_id as string,
    operatoryId: r.operatory_id as string,
    startsAt: r.starts_at as string,
    endsAt: r.ends_at as string,
    status: r.status as AppointmentStatus,
    reason: (r.reason as string | null) ?? null,
    procedureIds: byAppointment.get(r.id as string) ?? [],
    patient: { familyName: r.family_name as string, givenName: r.given_name as string, chartNumber: r.chart_number as string },
    version: num(r.version),
  }));
}

export async function getAppointment(knex: Knex, practiceId: string, id: string): Promise<Appointment> {
  const row = await appointmentsQuery(knex, practiceId).andWhere('a.id', id).first();
  if (!row) throw new AppError('NOT_FOUND', 'The appointment was not found');
  return (await withProcedures(knex, [row]))[0]!;
}

/** Appointments starting in [from, to), by start then operatory. */
export async function listAppointments(knex: Knex, practiceId: string, range: AppointmentList): Promise<Appointment[]> {
  const query = appointmentsQuery(knex, practiceId).andWhere('a.starts_at', '>=', range.from).andWhere('a.starts_at', '<', range.to);
  if (range.operatoryIds) query.whereIn('a.operatory_id', range.operatoryIds);
  if (!range.includeCancelled) query.whereNotIn('a.status', ['cancelled']);
  return withProcedures(knex, await query.orderBy('a.starts_at').orderBy('a.operatory_id'));
}

export async function appointmentsForPatient(knex: Knex, practiceId: string, patientId: string): Promise<Appointment[]> {
  const rows = await appointmentsQuery(knex, practiceId).andWhere('a.patient_id', patientId).orderBy('a.starts_at', 'desc');
  return withProcedures(knex, rows);
}

/** Checks that the patient, provider and operatory all belong to the practice. */
async function assertParties(trx: Knex, practiceId: string, parts: { patientId?: string; providerId?: string; operatoryId?: string }) {
  const checks: Array<[string, string | undefined, string]> = [
    ['patients', parts.patientId, 'The patient'],
    ['providers', parts.providerId, 'The provider'],
    ['operatories', parts.operatoryId, 'The operatory'],
  ];
  for (const [table, id, what] of checks) {
    if (id === undefined) continue;
    const row = await trx(table).where({ id, practice_id: practiceId }).first('id');
    if (!row) throw new AppError('NOT_FOUND', `${what} was not found`);
  }
}

/** Books a slot. CONFLICT when the operatory is taken then, including by a concurrent booking. */
export async function createAppointment(db: Database, practiceId: string, input: AppointmentCreate): Promise<Appointment> {
  return guarded('The appointment', () =>
    db.write(async (trx) => {
      await assertParties(trx, practiceId, input);
      const now = nowIso();
      const id = newId();
      await trx('appointments').insert({
        id, practice_id: practiceId, patient_id: input.patientId, provider_id: input.providerId, operatory_id: input.operatoryId,
        starts_at: input.startsAt, ends_at: input.endsAt, status: input.status, reason: input.reason,
        created_at: now, updated_at: now, version: 1,
      });
      await linkProcedures(trx, id, input.patientId, input.procedureIds);
      return getAppointment(trx, practiceId, id);
    }),
  );
}

async function linkProcedures(trx: Knex, appointmentId: string, patientId: string, procedureIds: string[]) {
  const unique = [...new Set(procedureIds)];
  if (!unique.length) return;
  const found = await trx('procedures').whereIn('id', unique).andWhere('patient_id', patientId).select('id');
  if (found.length !== unique.length) throw new AppError('INVALID_INPUT', "A planned procedure is not in this patient's treatment plans");
  await trx('appointment_procedures').insert(unique.map((procedure_id) => ({ appointment_id: appointmentId, procedure_id })));
}

export async function moveAppointment(db: Database, practiceId: string, move: AppointmentMove): Promise<Appointment> {
  return guarded('The appointment', () =>
    db.write(async (trx) => {
      await assertParties(trx, practiceId, { providerId: move.providerId, operatoryId: move.operatoryId });
      const patch: Row = { starts_at: move.startsAt, ends_at: move.endsAt };
      if (move.operatoryId) patch.operatory_id = move.operatoryId;
      if (move.providerId) patch.provider_id = move.providerId;
      await updateVersioned(trx, 'appointments', { id: move.id, practice_id: practiceId }, move.version, patch, 'The appointment');
      return getAppointment(trx, practiceId, move.id);
    }),
  );
}

/** Any status change, including back from cancelled (which books the chair again: CONFLICT if taken since). */
export async function setAppointmentStatus(db: Database, practiceId: string, id: string, version: number, status: AppointmentStatus): Promise<Appointment> {
  return guarded('The appointment', () =>
    db.write(async (trx) => {
      await updateVersioned(trx, 'appointments', { id, practice_id: practiceId }, version, { status }, 'The appointment');
      return getAppointment(trx, practiceId, id);
    }),
  );
}
