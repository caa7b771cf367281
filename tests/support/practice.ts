import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';

/** A minimal practice for ingest tests: one practice, its dentist, one chair, and the patients given. */
export async function seedPractice(
  knex: Knex,
  options: {
    patients?: Array<{ chartNumber: string; familyName: string; givenName: string; birthDate?: string; dicomIds?: string[] }>;
    operatoryAeTitles?: string[];
  } = {},
): Promise<{ practiceId: string; providerId: string; operatoryId: string; patientIds: string[] }> {
  const now = new Date().toISOString();
  const stamps = { created_at: now, updated_at: now };
  const practiceId = randomUUID();
  const providerId = randomUUID();
  const operatoryId = randomUUID();
  await knex('practices').insert({ id: practiceId, name: 'Clinique test', ...stamps });
  await knex('providers').insert({ id: providerId, practice_id: practiceId, display_name: 'Dr Test', kind: 'dentist', ...stamps });
  await knex('operatories').insert({ id: operatoryId, practice_id: practiceId, name: 'Chair 1', ae_titles: JSON.stringify(options.operatoryAeTitles ?? []), ...stamps });
  const patientIds: string[] = [];
  for (const p of options.patients ?? []) {
    const id = randomUUID();
    patientIds.push(id);
    await knex('patients').insert({
      id,
      practice_id: practiceId,
      chart_number: p.chartNumber,
      family_name: p.familyName,
      given_name: p.givenName,
      birth_date: p.birthDate ?? null,
      ...stamps,
    });
    for (const dicomId of p.dicomIds ?? []) await knex('patient_dicom_ids').insert({ patient_id: id, dicom_patient_id: dicomId });
  }
  return { practiceId, providerId, operatoryId, patientIds };
}

/** An appointment holding the chair now (started 10 minutes ago, ends in 30). */
export async function appointmentNow(
  knex: Knex,
  ids: { practiceId: string; providerId: string; operatoryId: string; patientId: string },
): Promise<string> {
  const id = randomUUID();
  const now = Date.now();
  const stamp = new Date(now).toISOString();
  await knex('appointments').insert({
    id,
    practice_id: ids.practiceId,
    patient_id: ids.patientId,
    provider_id: ids.providerId,
    operatory_id: ids.operatoryId,
    starts_at: new Date(now - 10 * 60_000).toISOString(),
    ends_at: new Date(now + 30 * 60_000).toISOString(),
    status: 'in_chair',
    created_at: stamp,
    updated_at: stamp,
  });
  return id;
}
