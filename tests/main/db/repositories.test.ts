// Pins down the practice repositories on SQLite and PostgreSQL alike: what a front desk and
// a clinician do (patients, schedule, plans, images, annotations, users), optimistic
// concurrency on every edit, the integrity the database itself enforces, and the
// append-only audit log.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../../main/app/errors.js';
import * as annotations from '../../../main/db/repositories/annotations.js';
import { appendAudit, queryAudit } from '../../../main/db/repositories/audit.js';
import * as imaging from '../../../main/db/repositories/imaging.js';
import * as patients from '../../../main/db/repositories/patients.js';
import * as schedule from '../../../main/db/repositories/schedule.js';
import * as treatment from '../../../main/db/repositories/treatment.js';
import * as users from '../../../main/db/repositories/users.js';
import { createPractice } from '../../../main/db/repositories/practices.js';
import { appointmentCreateSchema, planCreateSchema, annotationSaveSchema, type PatientSearch } from '../../../contract/index.js';
import { databases, freshDatabase, type TestDatabase } from '../../support/databases.js';
import { addPatient, at, seedPractice } from './fixtures.js';

const rejects = async (promise: Promise<unknown>, code: AppError['code']) => {
  const error = await promise.then(() => null, (e: unknown) => e);
  expect(error, `expected ${code}`).toBeInstanceOf(AppError);
  expect((error as AppError).code).toBe(code);
};
const search = (query: string, extra: Partial<PatientSearch> = {}): PatientSearch => ({ query, includeArchived: false, limit: 50, ...extra });

describe.each(databases)('repositories on %s', (client) => {
  let t: TestDatabase;
  let seed: Awaited<ReturnType<typeof seedPractice>>;
  let practiceId: string;
  beforeAll(async () => {
    t = await freshDatabase(client);
    seed = await seedPractice(t.db);
    practiceId = seed.practice.id;
  });
  afterAll(async () => t?.close());

  describe('patients', () => {
    it('creates a patient with the next chart number and reads it back', async () => {
      const a = await addPatient(t.db, practiceId, { familyName: 'Gagnon', givenName: 'Luc', birthDate: '1980-02-03', phone: '(514) 555-0101', dicomPatientIds: ['P-1', 'P-1', 'X9'] });
      const b = await addPatient(t.db, practiceId, { familyName: 'Roy', givenName: 'Anne' });
      expect(Number(b.chartNumber)).toBe(Number(a.chartNumber) + 1);
      const read = await patients.getPatient(t.db.knex, practiceId, a.id);
      expect(read).toMatchObject({ familyName: 'Gagnon', birthDate: '1980-02-03', dicomPatientIds: ['P-1', 'X9'], archived: false, version: 1, consents: [] });
      expect(await patients.patientsByDicomId(t.db.knex, practiceId, 'X9')).toEqual([expect.objectContaining({ id: a.id })]);
    });

    it('refuses a chart number already used in the practice (CONFLICT), allows it in another practice', async () => {
      await addPatient(t.db, practiceId, { chartNumber: 'A-77', familyName: 'Un', givenName: 'Patient' });
      await rejects(addPatient(t.db, practiceId, { chartNumber: 'A-77', familyName: 'Deux', givenName: 'Patient' }), 'CONFLICT');
      const other = await createPractice(t.db, { name: 'Other' });
      await expect(addPatient(t.db, other.id, { chartNumber: 'A-77', familyName: 'Trois', givenName: 'Patient' })).resolves.toMatchObject({ chartNumber: 'A-77' });
      await rejects(patients.getPatient(t.db.knex, other.id, (await patients.searchPatients(t.db.knex, practiceId, search('un')))[0]!.id), 'NOT_FOUND');
    });

    it('applies an edit made on the current version and refuses a stale one (CONFLICT, nothing overwritten)', async () => {
      const p = await addPatient(t.db, practiceId, { familyName: 'Stale', givenName: 'Edit' });
      const first = await patients.updatePatient(t.db, practiceId, p.id, 1, { phone: '450 555 0000' });
      expect(first.version).toBe(2);
      await rejects(patients.updatePatient(t.db, practiceId, p.id, 1, { phone: '999' }), 'CONFLICT');
      expect((await patients.getPatient(t.db.knex, practiceId, p.id)).phone).toBe('450 555 0000');
      await rejects(patients.updatePatient(t.db, practiceId, '00000000-0000-4000-8000-000000000000', 1, { phone: '1' }), 'NOT_FOUND');
    });

    it('finds by name prefix in any order, accent- and case-insensitive', async () => {
      const helene = await addPatient(t.db, practiceId, { familyName: 'Tremblay-Côté', givenName: 'Hélène', birthDate: '1975-06-30', phone: '514-555-0199' });
      const other = await addPatient(t.db, practiceId, { familyName: 'Tremblay', givenName: 'Marc' });
      const ids = async (q: string, extra?: Partial<PatientSearch>) => (await patients.searchPatients(t.db.knex, practiceId, search(q, extra))).map((p) => p.id);
      expect(await ids('Helene')).toEqual([helene.id]);
      expect(await ids('HÉL trem')).toEqual([helene.id]);
      expect(await ids('cote hel')).toEqual([helene.id]);
      expect((await ids('trem')).sort()).toEqual([helene.id, other.id].sort());
      expect(await ids('tremblaycote')).toEqual([helene.id]);
      expect(await ids('marc hel')).toEqual([]);
      expect(await ids('lene')).toEqual([]); // a prefix, not a substring
      expect(await ids('5145550199')).toEqual([helene.id]);
      expect(await ids('514 555')).toEqual([]); // digits words must each match: 514 matches, 555 alone is not a prefix
      expect(await ids('1975-06-30')).toEqual([helene.id]);
      expect(await ids('trem', { birthDate: '1975-06-30' })).toEqual([helene.id]);
      expect(await ids(helene.chartNumber)).toContain(helene.id);
      expect(await ids('')).toEqual([]);
    });

    it('hides archived patients from search unless asked, and restores them', async () => {
      const p = await addPatient(t.db, practiceId, { familyName: 'Archivé', givenName: 'Zoé' });
      const archived = await patients.archivePatient(t.db, practiceId, p.id, 1, true);
      expect(archived).toMatchObject({ archived: true, version: 2 });
      expect(await patients.searchPatients(t.db.knex, practiceId, search('archive zoe'))).toEqual([]);
      expect(await patients.searchPatients(t.db.knex, practiceId, search('archive zoe', { includeArchived: true }))).toHaveLength(1);
      await patients.archivePatient(t.db, practiceId, p.id, 2, false);
      expect(await patients.searchPatients(t.db.knex, practiceId, search('zoe archive'))).toHaveLength(1);
    });

    it('keeps search tokens in step with renames', async () => {
      const p = await addPatient(t.db, practiceId, { familyName: 'Ancien', givenName: 'Nom' });
      await patients.updatePatient(t.db, practiceId, p.id, 1, { familyName: 'Nouveau' });
      expect(await patients.searchPatients(t.db.knex, practiceId, search('ancien'))).toEqual([]);
      expect(await patients.searchPatients(t.db.knex, practiceId, search('nouveau nom'))).toEqual([expect.objectContaining({ id: p.id })]);
    });

    it('records consents with date and scope', async () => {
      const p = await addPatient(t.db, practiceId, { familyName: 'Consent', givenName: 'Ida' });
      await patients.addConsent(t.db, practiceId, seed.dentist.id, { patientId: p.id, scope: 'imaging', grantedOn: '2026-11-01', expiresOn: null, note: null });
      expect((await patients.getPatient(t.db.knex, practiceId, p.id)).consents).toEqual([
        expect.objectContaining({ scope: 'imaging', grantedOn: '2026-11-01', recordedBy: seed.dentist.id }),
      ]);
    });
  });

  describe('schedule', () => {
    const book = (fields: Record<string, unknown>) => appointmentCreateSchema.parse(fields);

    it('books, lists by day and operatory, moves and cancels', async () => {
      const p = await addPatient(t.db, practiceId, { familyName: 'Horaire', givenName: 'Léa' });
      const a = await schedule.createAppointment(t.db, practiceId, book({ patientId: p.id, providerId: seed.providerId, operatoryId: seed.chair1, startsAt: at('09:00'), endsAt: at('09:30'), reason: 'Exam' }));
      const b = await schedule.createAppointment(t.db, practiceId, book({ patientId: p.id, providerId: seed.providerId, operatoryId: seed.chair2, startsAt: at('09:00'), endsAt: at('10:00') }));
      expect(a).toMatchObject({ status: 'booked', patient: { familyName: 'Horaire' }, version: 1 });
      const day = { from: at('00:00'), to: at('00:00', '2026-12-02'), includeCancelled: false };
      expect((await schedule.listAppointments(t.db.knex, practiceId, day)).map((x) => x.id)).toEqual(expect.arrayContaining([a.id, b.id]));
      expect((await schedule.listAppointments(t.db.knex, practiceId, { ...day, operatoryIds: [seed.chair2] })).map((x) => x.id)).toEqual([b.id]);
      const moved = await schedule.moveAppointment(t.db, practiceId, { id: a.id, version: 1, startsAt: at('11:00'), endsAt: at('11:30') });
      expect(moved).toMatchObject({ startsAt: at('11:00'), version: 2 });
      await rejects(schedule.moveAppointment(t.db, practiceId, { id: a.id, version: 1, startsAt: at('12:00'), endsAt: at('12:30') }), 'CONFLICT');
      const cancelled = await schedule.setAppointmentStatus(t.db, practiceId, a.id, 2, 'cancelled');
      expect(cancelled.status).toBe('cancelled');
      expect((await schedule.listAppointments(t.db.knex, practiceId, day)).map((x) => x.id)).not.toContain(a.id);
      expect((await schedule.appointmentsForPatient(t.db.knex, practiceId, p.id)).map((x) => x.id).sort()).toEqual([a.id, b.id].sort());
    });

    it('refuses an overlapping booking in the same chair, allows touching slots, other chairs and cancelled slots', async () => {
      const p = await addPatient(t.db, practiceId, { familyName: 'Overlap', givenName: 'Max' });
      const base = { patientId: p.id, providerId: seed.providerId, operatoryId: seed.chair1 };
      const day = '2026-12-03';
      const first = await schedule.createAppointment(t.db, practiceId, book({ ...base, startsAt: at('10:00', day), endsAt: at('11:00', day) }));
      await rejects(schedule.createAppointment(t.db, practiceId, book({ ...base, startsAt: at('10:30', day), endsAt: at('11:30', day) })), 'CONFLICT');
      await rejects(schedule.createAppointment(t.db, practiceId, book({ ...base, startsAt: at('09:00', day), endsAt: at('12:00', day) })), 'CONFLICT');
      await expect(schedule.createAppointment(t.db, practiceId, book({ ...base, startsAt: at('11:00', day), endsAt: at('11:30', day) }))).resolves.toBeTruthy();
      await expect(schedule.createAppointment(t.db, practiceId, book({ ...base, operatoryId: seed.chair2, startsAt: at('10:30', day), endsAt: at('11:30', day) }))).resolves.toBeTruthy();
      // Moving another appointment onto the slot is refused too.
      const later = await schedule.createAppointment(t.db, practiceId, book({ ...base, startsAt: at('14:00', day), endsAt: at('15:00', day) }));
      await rejects(schedule.moveAppointment(t.db, practiceId, { id: later.id, version: 1, startsAt: at('10:15', day), endsAt: at('10:45', day) }), 'CONFLICT');
      // A cancelled slot is free again; un-cancelling it then conflicts.
      await schedule.setAppointmentStatus(t.db, practiceId, first.id, 1, 'cancelled');
      await schedule.createAppointment(t.db, practiceId, book({ ...base, startsAt: at('10:00', day), endsAt: at('10:45', day) }));
      await rejects(schedule.setAppointmentStatus(t.db, practiceId, first.id, 2, 'booked'), 'CONFLICT');
    });

    it('refuses unknown patients, providers and chairs, and malformed instants at the database', async () => {
      const p = await addPatient(t.db, practiceId, { familyName: 'Refus', givenName: 'Ana' });
      await rejects(schedule.createAppointment(t.db, practiceId, book({ patientId: p.id, providerId: seed.providerId, operatoryId: '00000000-0000-4000-8000-000000000000', startsAt: at('08:00'), endsAt: at('08:30') })), 'NOT_FOUND');
      const now = new Date().toISOString();
      const raw = { id: '00000000-0000-4000-8000-00000000aaaa', practice_id: practiceId, patient_id: p.id, provider_id: seed.providerId, operatory_id: seed.chair1, status: 'booked', created_at: now, updated_at: now, version: 1 };
      await expect(t.db.knex('appointments').insert({ ...raw, starts_at: '2026-12-09 08:00', ends_at: '2026-12-09 09:00' })).rejects.toThrow();
      await expect(t.db.knex('appointments').insert({ ...raw, starts_at: at('09:00', '2026-12-09'), ends_at: at('08:00', '2026-12-09') })).rejects.toThrow();
      await expect(t.db.knex('appointments').insert({ ...raw, status: 'maybe', starts_at: at('09:00', '2026-12-09'), ends_at: at('10:00', '2026-12-09') })).rejects.toThrow();
    });

    it('lists providers and operatories with their sensors', async () => {
      expect(await schedule.listOperatories(t.db.knex, practiceId)).toEqual([
        { id: seed.chair1, name: 'Chair 1', aeTitles: ['SENSOR1'], active: true },
        { id: seed.chair2, name: 'Chair 2', aeTitles: [], active: true },
      ]);
      expect(await schedule.listProviders(t.db.knex, practiceId)).toEqual([expect.objectContaining({ id: seed.providerId, kind: 'dentist', userId: seed.dentist.id })]);
    });
  });

  describe('treatment plans', () => {
    it('creates a plan with phases and procedures, edits with versions, shows Universal numbering', async () => {
      const p = await addPatient(t.db, practiceId, { familyName: 'Plan', givenName: 'Eve' });
      const plan = await treatment.createPlan(t.db, practiceId, seed.dentist.id, planCreateSchema.parse({
        patientId: p.id,
        title: 'Restorations',
        phases: [{ title: 'Urgent', procedures: [{ cdtCode: 'D2391', tooth: 36, surfaces: 'MO', feeCents: 18500 }, { cdtCode: 'D0220' }] }],
      }));
      expect(plan.phases[0]!.procedures[0]).toMatchObject({ cdtCode: 'D2391', tooth: 36, toothUniversal: '19', surfaces: 'MO', feeCents: 18500, status: 'proposed' });
      const withPhase = await treatment.addPhase(t.db, practiceId, plan.id, 'Later');
      expect(withPhase.phases.map((ph) => ph.position)).toEqual([0, 1]);
      expect(withPhase.version).toBe(2);
      const proc = plan.phases[0]!.procedures[0]!;
      const updated = await treatment.updateProcedure(t.db, practiceId, proc.id, proc.version, { status: 'accepted' });
      expect(updated.phases[0]!.procedures[0]!.status).toBe('accepted');
      await rejects(treatment.updateProcedure(t.db, practiceId, proc.id, proc.version, { status: 'declined' }), 'CONFLICT');
      await rejects(treatment.updatePlan(t.db, practiceId, plan.id, 1, { status: 'presented' }), 'CONFLICT');
      const presented = await treatment.updatePlan(t.db, practiceId, plan.id, updated.version, { status: 'presented' });
      expect(presented.status).toBe('presented');
      expect((await treatment.plansForPatient(t.db.knex, practiceId, p.id)).map((x) => x.id)).toEqual([plan.id]);
      // The database checks what the contract checks too.
      const phaseId = plan.phases[0]!.id;
      await rejects(treatment.addProcedure(t.db, practiceId, phaseId, { cdtCode: 'D2391', description: null, tooth: 19, surfaces: null, status: 'proposed', feeCents: 0 }), 'INVALID_INPUT');
      await rejects(treatment.deletePlan(t.db, practiceId, plan.id, 1), 'CONFLICT');
      await treatment.deletePlan(t.db, practiceId, plan.id, presented.version);
      await rejects(treatment.getPlan(t.db.knex, practiceId, plan.id), 'NOT_FOUND');
    });
  });

  describe('imaging and annotations', () => {
    const uid = (n: string) => `1.2.826.0.1.3680043.10.999.${n}`;
    it('lists the newest images of each patient of a day in one query, newest first, undated last', async () => {
      const [a, b, c] = [
        await addPatient(t.db, practiceId, { familyName: 'Latest', givenName: 'Ann' }),
        await addPatient(t.db, practiceId, { familyName: 'Latest', givenName: 'Bob' }),
        await addPatient(t.db, practiceId, { familyName: 'Latest', givenName: 'Cy' }),
      ];
      const add = async (patientId: string, n: string, acquiredAt: string | null) =>
        (await imaging.indexImage(t.db, practiceId, {
          patientId,
          study: { studyInstanceUid: uid(`7.${n}`) },
          series: { seriesInstanceUid: uid(`7.${n}.1`), modality: 'IO' as const },
          image: { sopInstanceUid: uid(`7.${n}.1.1`), modality: 'IO' as const, acquiredAt, teeth: [], rows: 10, columns: 10, bitsStored: 8, photometric: 'MONOCHROME2' },
        })).imageId;
      const aOld = await add(a.id, '1', at('08:00', '2025-01-10'));
      const aNew = await add(a.id, '2', at('08:00', '2026-11-01'));
      const aMid = await add(a.id, '3', at('08:00', '2026-02-01'));
      await add(a.id, '4', null);
      const bOnly = await add(b.id, '5', at('09:00', '2026-03-03'));
      const latest = await imaging.latestImagesForPatients(t.db.knex, practiceId, [a.id, b.id, c.id], 2);
      expect(latest.filter((i) => i.patientId === a.id).map((i) => i.id)).toEqual([aNew, aMid]);
      expect(latest.filter((i) => i.patientId === b.id).map((i) => i.id)).toEqual([bOnly]);
      expect(latest.some((i) => i.patientId === c.id)).toBe(false);
      expect((await imaging.latestImagesForPatients(t.db.knex, practiceId, [a.id], 12)).map((i) => i.id).slice(0, 3)).toEqual([aNew, aMid, aOld]);
      expect(await imaging.latestImagesForPatients(t.db.knex, practiceId, [], 3)).toEqual([]);
      // Another practice's patient id lists nothing.
      expect(await imaging.latestImagesForPatients(t.db.knex, '00000000-0000-4000-8000-000000000000', [a.id], 3)).toEqual([]);
    });

    it('indexes an image idempotently, lists it for the patient and the appointment with its thumbnail', async () => {
      const p = await addPatient(t.db, practiceId, { familyName: 'Image', givenName: 'Ray' });
      const input = {
        patientId: p.id,
        study: { studyInstanceUid: uid('1') },
        series: { seriesInstanceUid: uid('1.1'), modality: 'IO' as const },
        image: {
          sopInstanceUid: uid('1.1.1'), modality: 'IO' as const, acquiredAt: at('09:05'), teeth: [36, 37], rows: 1000, columns: 1500, bitsStored: 12,
          photometric: 'MONOCHROME2', pixelSpacing: { row: 0.02, column: 0.02, source: 'imager_pixel_spacing' as const },
          window: { center: 2048, width: 4096 }, thumb200: { bytes: Buffer.from([0xff, 0xd8, 0xff, 0xd9]), type: 'image/jpeg' },
        },
      };
      const first = await imaging.indexImage(t.db, practiceId, input);
      expect(first.created).toBe(true);
      expect(await imaging.indexImage(t.db, practiceId, input)).toEqual({ imageId: first.imageId, created: false });
      const stranger = await addPatient(t.db, practiceId, { familyName: 'Autre', givenName: 'Pat' });
      await rejects(imaging.indexImage(t.db, practiceId, { ...input, patientId: stranger.id }), 'CONFLICT');
      await imaging.putStoredObject(t.db, { imageId: first.imageId, variant: 'master', backend: 'file', key: `${practiceId}/${first.imageId}/master`, bytes: 3_000_000_000, sha256: 'a'.repeat(64) });
      const again = await imaging.putStoredObject(t.db, { imageId: first.imageId, variant: 'master', backend: 'file', key: `${practiceId}/${first.imageId}/master`, bytes: 3_000_000_001, sha256: 'b'.repeat(64), verifiedAt: at('10:00') });
      expect(again).toMatchObject({ bytes: 3_000_000_001, sha256: 'b'.repeat(64), tier: 'hot', verifiedAt: at('10:00') });
      expect(await imaging.storedObjects(t.db.knex, first.imageId)).toHaveLength(1);
      const [image] = await imaging.imagesForPatient(t.db.knex, practiceId, p.id, 500);
      expect(image).toMatchObject({
        id: first.imageId, teeth: [36, 37], bitsStored: 12, pixelSpacing: { row: 0.02, column: 0.02, source: 'imager_pixel_spacing' },
        window: { center: 2048, width: 4096 }, lossy: false, thumb200: 'data:image/jpeg;base64,/9j/2Q==', variants: ['master'],
      });
      expect(image!.studyId).toBe((await t.db.knex('studies').where({ study_instance_uid: uid('1') }).first('id')).id);
      const appointment = await schedule.createAppointment(t.db, practiceId, appointmentCreateSchema.parse({ patientId: p.id, providerId: seed.providerId, operatoryId: seed.chair2, startsAt: at('09:00', '2026-12-20'), endsAt: at('09:30', '2026-12-20') }));
      await imaging.linkImage(t.db, practiceId, first.imageId, { appointmentId: appointment.id }, true);
      await imaging.linkImage(t.db, practiceId, first.imageId, { appointmentId: appointment.id }, true);
      expect((await imaging.imagesForAppointment(t.db.knex, practiceId, appointment.id)).map((i) => i.id)).toEqual([first.imageId]);
      const strangerVisit = await schedule.createAppointment(t.db, practiceId, appointmentCreateSchema.parse({ patientId: stranger.id, providerId: seed.providerId, operatoryId: seed.chair2, startsAt: at('10:00', '2026-12-20'), endsAt: at('10:30', '2026-12-20') }));
      await rejects(imaging.linkImage(t.db, practiceId, first.imageId, { appointmentId: strangerVisit.id }, true), 'INVALID_INPUT');
      const calibrated = await imaging.calibrateImage(t.db, practiceId, first.imageId, 1, 0.021);
      expect(calibrated).toMatchObject({ calibrationMmPerPx: 0.021, version: 2 });
      await rejects(imaging.calibrateImage(t.db, practiceId, first.imageId, 1, 0.03), 'CONFLICT');

      // Annotations: versions kept, stale edits refused, soft delete.
      const save = (fields: Record<string, unknown>) => annotationSaveSchema.parse({ imageId: first.imageId, tool: 'Length', ...fields });
      const a1 = await annotations.saveAnnotation(t.db, practiceId, seed.dentist.id, save({ geometry: { points: [[1, 2], [30, 40]] }, label: '12.3 mm' }));
      const a2 = await annotations.saveAnnotation(t.db, practiceId, seed.dentist.id, save({ id: a1.id, version: 1, geometry: { points: [[1, 2], [31, 41]] }, label: '12.9 mm' }));
      expect(a2).toMatchObject({ version: 2, geometry: { points: [[1, 2], [31, 41]] } });
      await rejects(annotations.saveAnnotation(t.db, practiceId, seed.dentist.id, save({ id: a1.id, version: 1, geometry: {} })), 'CONFLICT');
      expect(await annotations.listAnnotations(t.db.knex, practiceId, first.imageId)).toEqual([a2]);
      await annotations.deleteAnnotation(t.db, practiceId, seed.dentist.id, a1.id, 2);
      expect(await annotations.listAnnotations(t.db.knex, practiceId, first.imageId)).toEqual([]);
      const history = await annotations.annotationHistory(t.db.knex, practiceId, a1.id);
      expect(history.map((h) => [h.version, h.label, h.deleted])).toEqual([[1, '12.3 mm', false], [2, '12.9 mm', false], [3, '12.9 mm', true]]);
    });
  });

  describe('users', () => {
    it('stores only a salted scrypt hash and verifies passwords', async () => {
      const u = await users.createUser(t.db, practiceId, { username: 'front', displayName: 'Front Desk', role: 'frontdesk', password: 'a long enough secret' });
      const row = await t.db.knex('users').where({ id: u.id }).first();
      expect(row.password_hash).toMatch(/^scrypt\$32768\$8\$1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
      expect(row.password_hash).not.toContain('secret');
      const other = await users.createUser(t.db, practiceId, { username: 'front2', displayName: 'Other', role: 'frontdesk', password: 'a long enough secret' });
      expect((await t.db.knex('users').where({ id: other.id }).first()).password_hash).not.toBe(row.password_hash);
      expect(await users.authenticate(t.db.knex, practiceId, 'FRONT', 'a long enough secret')).toMatchObject({ id: u.id, role: 'frontdesk' });
      expect(await users.authenticate(t.db.knex, practiceId, 'front', 'a long enough secreT')).toBeNull();
      expect(await users.authenticate(t.db.knex, practiceId, 'nobody', 'a long enough secret')).toBeNull();
      await rejects(users.createUser(t.db, practiceId, { username: 'front', displayName: 'Dup', role: 'admin', password: 'another secret!' }), 'CONFLICT');
      const inactive = await users.updateUser(t.db, practiceId, u.id, 1, { active: false });
      expect(inactive.active).toBe(false);
      expect(await users.authenticate(t.db.knex, practiceId, 'front', 'a long enough secret')).toBeNull();
      await users.setPassword(t.db, practiceId, other.id, 'a brand new secret');
      expect(await users.authenticate(t.db.knex, practiceId, 'front2', 'a brand new secret')).toMatchObject({ id: other.id });
    });
  });

  describe('audit log', () => {
    it('appends and queries newest first; the database refuses to update or delete an entry', async () => {
      for (const action of ['patient.open', 'images.list', 'patient.update']) {
        await appendAudit(t.db.knex, { practiceId, userId: seed.dentist.id, action, workstation: 'chair-1', patientId: seed.chair1 });
      }
      const entries = await queryAudit(t.db.knex, practiceId, { patientId: seed.chair1, limit: 10 });
      expect(entries.map((e) => e.action)).toEqual(['patient.update', 'images.list', 'patient.open']);
      expect(entries[0]).toMatchObject({ userId: seed.dentist.id, workstation: 'chair-1', imageId: null });
      expect(await queryAudit(t.db.knex, practiceId, { patientId: seed.chair1, before: entries[0]!.seq, limit: 1 })).toEqual([entries[1]]);
      await expect(t.db.knex('audit_log').update({ action: 'nothing' })).rejects.toThrow(/append-only/);
      await expect(t.db.knex('audit_log').delete()).rejects.toThrow(/append-only/);
      expect(await queryAudit(t.db.knex, practiceId, { patientId: seed.chair1, limit: 10 })).toEqual(entries);
    });
  });
});
