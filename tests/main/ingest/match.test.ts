/**
 * Patient matching and the appointment link of ingest, on SQLite and PostgreSQL: a DICOM Patient
 * ID known for the patient, then the chart number, then family name + given name + birth date
 * (accents and case ignored); ambiguity, archived patients and half-matches go to the inbox.
 * An image taken during an appointment links to it, preferring the chair whose sensor sent it.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appointmentInProgress, dicomDateTime, matchPatient, normalizeName } from '../../../main/ingest/indexer.js';
import { databases, freshDatabase, type TestDatabase } from '../../support/databases.js';
import { appointmentNow, seedPractice } from '../../support/practice.js';

describe('name and DICOM date helpers', () => {
  it('compares names without accents, case or punctuation, and reads DICOM date-times as UTC instants', () => {
    expect(normalizeName('  Hélène-Marie  ')).toBe('helene marie');
    expect(normalizeName("D'ASTOUS")).toBe('d astous');
    expect(dicomDateTime('20240514')).toBe('2024-05-14T00:00:00.000Z');
    expect(dicomDateTime('20240514093015.25')).toBe('2024-05-14T09:30:15.250Z');
    expect(dicomDateTime('2024051')).toBeUndefined();
    expect(dicomDateTime('20241340')).toBeUndefined();
  });
});

describe.each(databases)('patient matching on %s', (client) => {
  let t: TestDatabase;
  let practiceId: string;
  let ids: string[];
  let seeded: Awaited<ReturnType<typeof seedPractice>>;

  beforeAll(async () => {
    t = await freshDatabase(client);
    seeded = await seedPractice(t.db.knex, {
      operatoryAeTitles: ['S1'],
      patients: [
        { chartNumber: 'A-1', familyName: 'Tremblay', givenName: 'Hélène', birthDate: '1980-02-03', dicomIds: ['X-1'] },
        { chartNumber: 'A-2', familyName: 'Tremblay', givenName: 'Marc', birthDate: '1980-02-03' },
        { chartNumber: 'C-9', familyName: 'Archivé', givenName: 'Paul' },
        { chartNumber: 'C-10', familyName: 'Roy', givenName: 'Anne', dicomIds: ['DUP'] },
        { chartNumber: 'C-11', familyName: 'Roy', givenName: 'Luc', dicomIds: ['DUP'] },
      ],
    });
    ({ practiceId, patientIds: ids } = seeded);
    await t.db.knex('patients').where({ id: ids[2] }).update({ archived: true });
  });
  afterAll(async () => t?.close());

  it('matches by DICOM id, then chart number, then name and birth date; anything unsure is no match', async () => {
    const match = (patient: Parameters<typeof matchPatient>[2]) => matchPatient(t.db.knex, practiceId, patient);
    expect(await match({ id: 'X-1', name: 'NOBODY^ELSE' })).toEqual({ patientId: ids[0], by: 'dicom-id' });
    expect(await match({ id: 'C-10' })).toEqual({ patientId: ids[3], by: 'chart-number' });
    expect(await match({ id: 'unknown', name: 'TREMBLAY^HELENE', birthDate: '19800203' })).toEqual({ patientId: ids[0], by: 'name-and-birth-date' });
    expect(await match({ name: 'tremblay^hélène^^^', birthDate: '19800203' })).toEqual({ patientId: ids[0], by: 'name-and-birth-date' });
    expect(await match({ name: 'TREMBLAY^HELENE', birthDate: '19800204' }), 'another birth date').toBeNull();
    expect(await match({ name: 'TREMBLAY^HELENE' }), 'no birth date').toBeNull();
    expect(await match({ name: 'TREMBLAY', birthDate: '19800203' }), 'two Tremblays born that day').toBeNull();
    expect(await match({ id: 'DUP' }), 'a DICOM id known for two patients').toBeNull();
    expect(await match({ id: 'C-9' }), 'archived').toBeNull();
    expect(await match({}), 'nothing to go on').toBeNull();
    expect(await matchPatient(t.db.knex, randomUUID(), { id: 'X-1' }), 'another practice').toBeNull();
  });

  it("links to the appointment in progress, preferring the chair whose sensor sent the image", async () => {
    const now = new Date().toISOString();
    const patientId = ids[1]!;
    expect(await appointmentInProgress(t.db.knex, patientId, now, 'S1')).toBeNull();
    const stamp = { created_at: now, updated_at: now };
    const room2 = randomUUID();
    await t.db.knex('operatories').insert({ id: room2, practice_id: practiceId, name: 'Chair 2', ae_titles: JSON.stringify(['S2']), ...stamp });
    const inRoom1 = await appointmentNow(t.db.knex, { ...seeded, patientId });
    const inRoom2 = await appointmentNow(t.db.knex, { ...seeded, operatoryId: room2, patientId });
    expect(await appointmentInProgress(t.db.knex, patientId, now, 'S2')).toBe(inRoom2);
    expect(await appointmentInProgress(t.db.knex, patientId, now, 'S1')).toBe(inRoom1);
    await t.db.knex('appointments').where({ id: inRoom2 }).update({ status: 'cancelled' });
    expect(await appointmentInProgress(t.db.knex, patientId, now, 'S2'), 'a cancelled appointment holds no chair').toBe(inRoom1);
    const tomorrow = new Date(Date.now() + 86_400_000).toISOString();
    expect(await appointmentInProgress(t.db.knex, patientId, tomorrow, 'S1')).toBeNull();
    // Running late: three hours after its end, the visit is only found once the patient is seated.
    const late = new Date(Date.now() + 4 * 3_600_000).toISOString();
    await t.db.knex('appointments').where({ id: inRoom1 }).update({ status: 'booked' });
    expect(await appointmentInProgress(t.db.knex, patientId, late, null)).toBeNull();
    await t.db.knex('appointments').where({ id: inRoom1 }).update({ status: 'in_chair' });
    expect(await appointmentInProgress(t.db.knex, patientId, late, null)).toBe(inRoom1);
    expect(await appointmentInProgress(t.db.knex, patientId, tomorrow, null), 'not the next day').toBeNull();
  });
});
