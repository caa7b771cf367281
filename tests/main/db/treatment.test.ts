// Pins down treatment plans on SQLite and PostgreSQL alike: the procedure status flow main
// enforces (proposed → accepted → scheduled → completed; proposed/accepted → declined; nothing
// else, refused in words), fee totals per phase and plan, what the procedure-code catalogue
// requires (surfaces for a filling), versions on every edit, images linked to procedures and
// checkpoints, and the catalogue's accent-insensitive search.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { foldText, procedureCode, procedureCodes, searchProcedureCodes } from '../../../contract/cdt.js';
import { methods, planCreateSchema, procedureInputSchema, type TreatmentPlan } from '../../../contract/index.js';
import { AppError } from '../../../main/app/errors.js';
import * as imaging from '../../../main/db/repositories/imaging.js';
import * as treatment from '../../../main/db/repositories/treatment.js';
import { databases, freshDatabase, type TestDatabase } from '../../support/databases.js';
import { addPatient, at, seedPractice } from './fixtures.js';

const failure = async (promise: Promise<unknown>): Promise<AppError> => {
  const error = await promise.then(() => null, (e: unknown) => e);
  expect(error).toBeInstanceOf(AppError);
  return error as AppError;
};

describe('the procedure-code catalogue', () => {
  it('holds about eighty unique codes, each with its own French and English description', () => {
    expect(procedureCodes.length).toBeGreaterThanOrEqual(80);
    expect(new Set(procedureCodes.map((c) => c.code)).size).toBe(procedureCodes.length);
    for (const c of procedureCodes) {
      expect(c.code).toMatch(/^D\d{4}$/);
      expect(c.system).toBe('CDT');
      expect(c.en.trim()).not.toBe('');
      expect(c.fr.trim()).not.toBe('');
      expect(c.fr).not.toBe(c.en);
    }
    expect(new Set(procedureCodes.map((c) => c.category))).toEqual(
      new Set(['diagnostic', 'preventive', 'restorative', 'endodontics', 'periodontics', 'prosthodontics', 'implants', 'surgery', 'orthodontics', 'other']),
    );
  });

  it('searches code and both descriptions without regard to accents or case', () => {
    expect(foldText('Résine Élevée')).toBe('resine elevee');
    const resine = searchProcedureCodes('resine');
    expect(resine.length).toBeGreaterThanOrEqual(8);
    expect(resine.every((c) => foldText(c.fr).includes('resine'))).toBe(true);
    expect(searchProcedureCodes('RÉSINE posterieure deux').map((c) => c.code)).toEqual(['D2392']);
    expect(searchProcedureCodes('molar canal').map((c) => c.code)).toEqual(['D3330', 'D3348']);
    expect(searchProcedureCodes('d27').map((c) => c.code)).toEqual(['D2740', 'D2750', 'D2790']);
    expect(searchProcedureCodes('2391')[0]!.code).toBe('D2391');
    expect(searchProcedureCodes('zzz')).toEqual([]);
    expect(procedureCode('d2391')).toMatchObject({ surfaces: true, area: 'tooth' });
  });
});

describe('treatment.updateProcedure input', () => {
  it('carries only the fields named: a status change does not reset the tooth, surfaces or fee to defaults', () => {
    const id = '00000000-0000-4000-8000-000000000001';
    expect(methods['treatment.updateProcedure'].input.parse({ id, version: 3, changes: { status: 'accepted' } })).toEqual({ id, version: 3, changes: { status: 'accepted' } });
    expect(methods['treatment.updateProcedure'].input.safeParse({ id, version: 3, changes: { colour: 'red' } }).success).toBe(false);
  });
});

describe.each(databases)('treatment plans on %s', (client) => {
  let t: TestDatabase;
  let practiceId: string;
  let dentistId: string;
  let patientId: string;
  beforeAll(async () => {
    t = await freshDatabase(client);
    const seed = await seedPractice(t.db);
    practiceId = seed.practice.id;
    dentistId = seed.dentist.id;
    patientId = (await addPatient(t.db, practiceId, { familyName: 'Plan', givenName: 'Flow' })).id;
  });
  afterAll(async () => t?.close());

  const newPlan = () =>
    treatment.createPlan(t.db, practiceId, dentistId, planCreateSchema.parse({
      patientId,
      title: 'Restorations',
      phases: [
        { title: 'Urgent', procedures: [{ cdtCode: 'D2392', tooth: 36, surfaces: 'MO', feeCents: 20000 }, { cdtCode: 'D3330', tooth: 46, feeCents: 100000 }] },
        { title: 'Later', procedures: [{ cdtCode: 'D2740', tooth: 46, feeCents: 130000 }, { cdtCode: 'D1110', feeCents: 9000 }] },
      ],
    }));
  const procedureIn = (plan: TreatmentPlan, code: string) => plan.phases.flatMap((ph) => ph.procedures).find((p) => p.cdtCode === code)!;
  const setStatus = (plan: TreatmentPlan, code: string, status: 'proposed' | 'accepted' | 'scheduled' | 'completed' | 'declined') => {
    const p = procedureIn(plan, code);
    return treatment.updateProcedure(t.db, practiceId, p.id, p.version, { status });
  };

  it('takes a procedure through proposed → accepted → scheduled → completed, then keeps it as a record', async () => {
    let plan = await newPlan();
    expect(procedureIn(plan, 'D2392').status).toBe('proposed');
    plan = await setStatus(plan, 'D2392', 'accepted');
    plan = await setStatus(plan, 'D2392', 'scheduled');
    plan = await setStatus(plan, 'D2392', 'completed');
    const done = procedureIn(plan, 'D2392');
    expect(done).toMatchObject({ status: 'completed', version: 4 });
    // Going back, or editing what was done, is refused with the reason.
    const back = await failure(setStatus(plan, 'D2392', 'proposed'));
    expect(back.code).toBe('CONFLICT');
    expect(back.message).toBe('A procedure cannot go from completed to proposed; from completed it can go to nothing: it is final');
    const fee = await failure(treatment.updateProcedure(t.db, practiceId, done.id, done.version, { feeCents: 1 }));
    expect(fee.code).toBe('CONFLICT');
    expect(fee.message).toMatch(/completed procedure is a record: its feeCents cannot change/);
    // Setting the same status again changes nothing of meaning and is allowed.
    const same = await setStatus(plan, 'D2392', 'completed');
    expect(procedureIn(same, 'D2392').status).toBe('completed');
  });

  it('refuses skipping steps and reviving a declined procedure, and lets proposed or accepted be declined', async () => {
    let plan = await newPlan();
    const skip = await failure(setStatus(plan, 'D3330', 'completed'));
    expect(skip.code).toBe('CONFLICT');
    expect(skip.message).toBe('A procedure cannot go from proposed to completed; from proposed it can go to accepted or declined');
    expect((await failure(setStatus(plan, 'D3330', 'scheduled'))).code).toBe('CONFLICT');
    plan = await setStatus(plan, 'D3330', 'declined');
    expect((await failure(setStatus(plan, 'D3330', 'accepted'))).message).toMatch(/from declined to accepted/);
    plan = await setStatus(plan, 'D2740', 'accepted');
    plan = await setStatus(plan, 'D2740', 'declined');
    expect(procedureIn(plan, 'D2740').status).toBe('declined');
    plan = await setStatus(plan, 'D1110', 'accepted');
    plan = await setStatus(plan, 'D1110', 'scheduled');
    expect((await failure(setStatus(plan, 'D1110', 'declined'))).message).toBe(
      'A procedure cannot go from scheduled to declined; from scheduled it can go to completed',
    );
    // A stale version is a version conflict, not a transition problem.
    const stale = procedureIn(plan, 'D2392');
    await treatment.updateProcedure(t.db, practiceId, stale.id, stale.version, { feeCents: 21000 });
    expect((await failure(treatment.updateProcedure(t.db, practiceId, stale.id, stale.version, { status: 'accepted' }))).message).toMatch(/changed by someone else/);
  });

  it('removes a proposed or accepted procedure, and a phase whose procedures all could be; a decided one stays as the record', async () => {
    let plan = await newPlan();
    plan = await setStatus(plan, 'D2392', 'accepted');
    const accepted = procedureIn(plan, 'D2392');
    const before = plan.version;
    plan = await treatment.removeProcedure(t.db, practiceId, accepted.id, accepted.version);
    expect(plan.phases.find((ph) => ph.title === 'Urgent')!.procedures.map((p) => p.cdtCode)).toEqual(['D3330']);
    expect(plan.version).toBeGreaterThan(before);
    expect(await t.db.knex('procedures').where({ id: accepted.id }).first()).toBeUndefined();
    // A stale version is a conflict.
    const stale = procedureIn(plan, 'D3330');
    plan = await treatment.updateProcedure(t.db, practiceId, stale.id, stale.version, { feeCents: 5 });
    expect((await failure(treatment.removeProcedure(t.db, practiceId, stale.id, stale.version))).message).toMatch(/changed by someone else/);
    // A declined procedure is part of the record: neither it nor its phase can be removed.
    plan = await setStatus(plan, 'D2740', 'declined');
    const declined = procedureIn(plan, 'D2740');
    expect(await failure(treatment.removeProcedure(t.db, practiceId, declined.id, declined.version))).toMatchObject({
      code: 'CONFLICT',
      message: 'A declined procedure is part of the record and cannot be removed; only proposed or accepted ones can',
    });
    const later = plan.phases.find((ph) => ph.title === 'Later')!;
    expect((await failure(treatment.removePhase(t.db, practiceId, later.id))).code).toBe('CONFLICT');
    // The urgent phase holds only a proposed procedure now: it goes, with it.
    const urgent = plan.phases.find((ph) => ph.title === 'Urgent')!;
    plan = await treatment.removePhase(t.db, practiceId, urgent.id);
    expect(plan.phases.map((ph) => ph.title)).toEqual(['Later']);
    expect(await t.db.knex('procedures').where({ phase_id: urgent.id }).first()).toBeUndefined();
    expect((await failure(treatment.removePhase(t.db, practiceId, urgent.id))).code).toBe('NOT_FOUND');
  });

  it('creates procedures only as proposed or accepted, with the surfaces a filling needs', async () => {
    const plan = await newPlan();
    const phaseId = plan.phases[0]!.id;
    const input = (fields: Record<string, unknown>) => procedureInputSchema.parse(fields);
    const completed = await failure(treatment.addProcedure(t.db, practiceId, phaseId, input({ cdtCode: 'D0120', status: 'completed' })));
    expect(completed.code).toBe('INVALID_INPUT');
    expect(completed.message).toBe('status: a new procedure is proposed or accepted, not completed');
    const noSurfaces = await failure(treatment.addProcedure(t.db, practiceId, phaseId, input({ cdtCode: 'D2391', tooth: 16 })));
    expect(noSurfaces).toMatchObject({ code: 'INVALID_INPUT', message: 'surfaces: code D2391 needs the surfaces treated (M O D B/F L/P I)' });
    expect((await failure(treatment.addProcedure(t.db, practiceId, phaseId, input({ cdtCode: 'D2391', surfaces: 'O' })))).message).toMatch(/^tooth:/);
    const added = await treatment.addProcedure(t.db, practiceId, phaseId, input({ cdtCode: 'D2391', tooth: 16, surfaces: 'O', status: 'accepted', feeCents: 15000 }));
    expect(procedureIn(added, 'D2391')).toMatchObject({ tooth: 16, toothUniversal: '3', surfaces: 'O', status: 'accepted', imageIds: [] });
    // Codes outside the catalogue are accepted as written.
    const other = await treatment.addProcedure(t.db, practiceId, phaseId, input({ cdtCode: 'D9999', description: 'Custom', feeCents: 100 }));
    expect(procedureIn(other, 'D9999')).toMatchObject({ description: 'Custom', tooth: null });
    // Taking the surfaces off a filling is refused like leaving them out.
    const filling = procedureIn(other, 'D2392');
    expect((await failure(treatment.updateProcedure(t.db, practiceId, filling.id, filling.version, { surfaces: null }))).code).toBe('INVALID_INPUT');
  });

  it('totals fees per phase and plan along the flow: proposed ⊇ accepted ⊇ completed, declined apart', async () => {
    let plan = await newPlan();
    expect(plan.phases.map((ph) => ph.totals)).toEqual([
      { proposedCents: 120000, acceptedCents: 0, completedCents: 0, declinedCents: 0 },
      { proposedCents: 139000, acceptedCents: 0, completedCents: 0, declinedCents: 0 },
    ]);
    plan = await setStatus(plan, 'D2392', 'accepted');
    plan = await setStatus(plan, 'D2392', 'scheduled');
    plan = await setStatus(plan, 'D2392', 'completed');
    plan = await setStatus(plan, 'D3330', 'accepted');
    plan = await setStatus(plan, 'D2740', 'declined');
    expect(plan.phases.map((ph) => ph.totals)).toEqual([
      { proposedCents: 120000, acceptedCents: 120000, completedCents: 20000, declinedCents: 0 },
      { proposedCents: 9000, acceptedCents: 0, completedCents: 0, declinedCents: 130000 },
    ]);
    expect(plan.totals).toEqual({ proposedCents: 129000, acceptedCents: 120000, completedCents: 20000, declinedCents: 130000 });
    // What is read back is what was returned.
    expect((await treatment.getPlan(t.db.knex, practiceId, plan.id)).totals).toEqual(plan.totals);
  });

  it('shows images linked to a procedure and to a checkpoint, only the patient’s own', async () => {
    const uid = (n: string) => `1.2.826.0.1.3680043.10.998.${client}.${n}`;
    const indexed = async (n: string, owner: string) =>
      (await imaging.indexImage(t.db, practiceId, {
        patientId: owner,
        study: { studyInstanceUid: uid(`${n}`) },
        series: { seriesInstanceUid: uid(`${n}.1`), modality: 'IO' },
        image: { sopInstanceUid: uid(`${n}.1.1`), modality: 'IO', acquiredAt: at('09:05'), teeth: [36], rows: 10, columns: 10, bitsStored: 8, photometric: 'MONOCHROME2' },
      })).imageId;
    const mine = await indexed('1', patientId);
    const stranger = (await addPatient(t.db, practiceId, { familyName: 'Autre', givenName: 'Image' })).id;
    const theirs = await indexed('2', stranger);
    const plan = await newPlan();
    const filling = procedureIn(plan, 'D2392');
    await imaging.linkImage(t.db, practiceId, mine, { procedureId: filling.id }, true);
    await expect(imaging.linkImage(t.db, practiceId, theirs, { procedureId: filling.id }, true)).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    expect(procedureIn(await treatment.getPlan(t.db.knex, practiceId, plan.id), 'D2392').imageIds).toEqual([mine]);
    const withCheckpoint = await treatment.addCheckpoint(t.db, practiceId, dentistId, { planId: plan.id, takenOn: '2026-12-01', note: 'Before', imageIds: [mine] });
    expect(withCheckpoint.checkpoints).toEqual([expect.objectContaining({ takenOn: '2026-12-01', note: 'Before', imageIds: [mine], createdBy: dentistId })]);
    await expect(treatment.addCheckpoint(t.db, practiceId, dentistId, { planId: plan.id, takenOn: '2026-12-02', note: null, imageIds: [theirs] })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    await imaging.linkImage(t.db, practiceId, mine, { procedureId: filling.id }, false);
    expect(procedureIn(await treatment.getPlan(t.db.knex, practiceId, plan.id), 'D2392').imageIds).toEqual([]);
  });
});
