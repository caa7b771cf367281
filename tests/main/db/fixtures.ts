import type { Database } from '../../../main/db/database.js';
import { createPatient } from '../../../main/db/repositories/patients.js';
import { createPractice } from '../../../main/db/repositories/practices.js';
import { createOperatory, createProvider } from '../../../main/db/repositories/schedule.js';
import { createUser } from '../../../main/db/repositories/users.js';
import { patientCreateSchema, type PatientCreate } from '../../../contract/index.js';

/** A small practice to test against: one dentist user, one provider, two chairs. */
export async function seedPractice(db: Database) {
  const practice = await createPractice(db, { name: 'Clinique Test' });
  const dentist = await createUser(db, practice.id, { username: 'dr.roy', displayName: 'Dr Roy', role: 'dentist', password: 'correct horse battery' });
  const providerId = await createProvider(db, practice.id, { displayName: 'Dr Roy', kind: 'dentist', userId: dentist.id });
  const chair1 = await createOperatory(db, practice.id, { name: 'Chair 1', aeTitles: ['SENSOR1'] });
  const chair2 = await createOperatory(db, practice.id, { name: 'Chair 2' });
  return { practice, dentist, providerId, chair1, chair2 };
}

export function patientInput(fields: Partial<Record<keyof PatientCreate, unknown>>): PatientCreate {
  return patientCreateSchema.parse(fields);
}

export async function addPatient(db: Database, practiceId: string, fields: Partial<Record<keyof PatientCreate, unknown>>) {
  return createPatient(db, practiceId, patientInput(fields));
}

/** 2026-12-01 at hh:mm UTC. */
export const at = (hhmm: string, day = '2026-12-01') => new Date(`${day}T${hhmm}:00.000Z`).toISOString();
