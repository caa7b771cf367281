import type { Knex } from 'knex';
import { procedureCode } from '../../../contract/cdt.js';
import {
  fdiToUniversal, initialProcedureStatuses, isFdiTooth, procedureTransitions, removableProcedureStatuses,
  type PlanCreate, type Procedure, type ProcedureInput, type ProcedureStatus, type Totals, type TreatmentPlan,
} from '../../../contract/index.js';
import { AppError } from '../../app/errors.js';
import type { Database } from '../database.js';
import { guarded, newId, nowIso, num, numOrNull, updateVersioned } from '../rows.js';

/** Treatment plans → phases → procedures, and progress checkpoints with their images. */

type Row = Record<string, unknown>;

/** Fee totals along the status flow (see totalsSchema): proposed ⊇ accepted ⊇ completed; declined apart. */
export function totalsOf(procedures: ReadonlyArray<Pick<Procedure, 'status' | 'feeCents'>>): Totals {
  const totals: Totals = { proposedCents: 0, acceptedCents: 0, completedCents: 0, declinedCents: 0 };
  for (const { status, feeCents } of procedures) {
    if (status === 'declined') {
      totals.declinedCents += feeCents;
      continue;
    }
    totals.proposedCents += feeCents;
    if (status !== 'proposed') totals.acceptedCents += feeCents;
    if (status === 'completed') totals.completedCents += feeCents;
  }
  return totals;
}

async function loadPlans(knex: Knex, planRows: Row[]): Promise<TreatmentPlan[]> {
  if (!planRows.length) return [];
  const planIds = planRows.map((p) => p.id as string);
  const phases = await knex('treatment_phases').whereIn('plan_id', planIds).orderBy('position');
  const phaseIds = phases.map((p) => p.id as string);
  const procedures = phaseIds.length ? await knex('procedures').whereIn('phase_id', phaseIds).orderBy('position').orderBy('id') : [];
  const checkpoints = await knex('progress_checkpoints').whereIn('plan_id', planIds).orderBy('taken_on').orderBy('created_at');
  const checkpointIds = checkpoints.map((c) => c.id as string);
  const links = checkpointIds.length ? await knex('checkpoint_images').whereIn('checkpoint_id', checkpointIds).orderBy('image_id') : [];
  const procedureIds = procedures.map((p) => p.id as string);
  const imageLinks = procedureIds.length ? await knex('image_procedures').whereIn('procedure_id', procedureIds).orderBy('image_id') : [];
  const phasesOf = (planId: unknown) =>
    phases
      .filter((ph) => ph.plan_id === planId)
      .map((ph) => {
        const own: Procedure[] = procedures
          .filter((pr) => pr.phase_id === ph.id)
          .map((pr) => {
            const tooth = numOrNull(pr.tooth);
            return {
              id: pr.id,
              cdtCode: pr.cdt_code,
              description: pr.description ?? null,
              tooth,
              toothUniversal: tooth === null ? null : fdiToUniversal(tooth),
              surfaces: pr.surfaces ?? null,
              status: pr.status,
              feeCents: num(pr.fee_cents),
              version: num(pr.version),
              imageIds: imageLinks.filter((l) => l.procedure_id === pr.id).map((l) => l.image_id as string),
            };
          });
        return { id: ph.id as string, position: num(ph.position), title: ph.title as string, procedures: own, totals: totalsOf(own) };
      });
  return planRows.map((plan) => {
    const planPhases = phasesOf(plan.id);
    return {
      id: plan.id as string,
      patientId: plan.patient_id as string,
      title: plan.title as string,
      status: plan.status as TreatmentPlan['status'],
      createdBy: plan.created_by as string,
      createdAt: plan.created_at as string,
      updatedAt: plan.updated_at as string,
      version: num(plan.version),
      phases: planPhases,
      totals: totalsOf(planPhases.flatMap((ph) => ph.procedures)),
      checkpoints: checkpoints
        .filter((c) => c.plan_id === plan.id)
        .map((c) => ({
          id: c.id,
          takenOn: c.taken_on,
          note: c.note ?? null,
          createdBy: c.created_by,
          imageIds: links.filter((l) => l.checkpoint_id === c.id).map((l) => l.image_id as string),
        })),
    };
  });
}

/** Plan rows joined to the practice through the patient. */
const planRows = (knex: Knex, practiceId: string) =>
  knex('treatment_plans as t').join('patients as p', 'p.id', 't.patient_id').where('p.practice_id', practiceId).select('t.*');

export async function getPlan(knex: Knex, practiceId: string, id: string): Promise<TreatmentPlan> {
  const row = await planRows(knex, practiceId).andWhere('t.id', id).first();
  if (!row) throw new AppError('NOT_FOUND', 'The treatment plan was not found');
  return (await loadPlans(knex, [row]))[0]!;
}

export async function plansForPatient(knex: Knex, practiceId: string, patientId: string): Promise<TreatmentPlan[]> {
  return loadPlans(knex, await planRows(knex, practiceId).andWhere('t.patient_id', patientId).orderBy('t.created_at'));
}

function procedureRow(input: Partial<ProcedureInput>): Row {
  // The database only checks the range; the repository checks the tooth exists.
  if (input.tooth !== undefined && input.tooth !== null && !isFdiTooth(input.tooth)) {
    throw new AppError('INVALID_INPUT', `Expected an FDI tooth number (11–48, 51–85) but received ${input.tooth}`);
  }
  const row: Row = {};
  if (input.cdtCode !== undefined) row.cdt_code = input.cdtCode;
  if (input.description !== undefined) row.description = input.description;
  if (input.tooth !== undefined) row.tooth = input.tooth;
  if (input.surfaces !== undefined) row.surfaces = input.surfaces;
  if (input.status !== undefined) row.status = input.status;
  if (input.feeCents !== undefined) row.fee_cents = input.feeCents;
  return row;
}

/** What a procedure code in the catalogue needs: a tooth and the surfaces for a filling, for example. */
function checkCodeNeeds(procedure: Pick<ProcedureInput, 'cdtCode' | 'tooth' | 'surfaces'>): void {
  const code = procedureCode(procedure.cdtCode);
  if (!code?.surfaces) return;
  if (procedure.tooth === null) throw new AppError('INVALID_INPUT', `tooth: code ${code.code} is charted on a tooth; choose the tooth`);
  if (!procedure.surfaces) throw new AppError('INVALID_INPUT', `surfaces: code ${code.code} needs the surfaces treated (M O D B/F L/P I)`);
}

const statusList = (statuses: readonly ProcedureStatus[]) => (statuses.length ? statuses.join(' or ') : 'nothing: it is final');

/** The status flow (procedureTransitions): anything else is refused in words. */
export function checkTransition(from: ProcedureStatus, to: ProcedureStatus): void {
  if (from === to || procedureTransitions[from].includes(to)) return;
  throw new AppError('CONFLICT', `A procedure cannot go from ${from} to ${to}; from ${from} it can go to ${statusList(procedureTransitions[from])}`);
}

async function insertProcedure(trx: Knex, phaseId: string, patientId: string, procedure: ProcedureInput): Promise<void> {
  if (!initialProcedureStatuses.includes(procedure.status)) {
    throw new AppError('INVALID_INPUT', `status: a new procedure is ${statusList(initialProcedureStatuses)}, not ${procedure.status}`);
  }
  checkCodeNeeds(procedure);
  const now = nowIso();
  const top = await trx('procedures').where({ phase_id: phaseId }).max({ top: 'position' }).first();
  await trx('procedures').insert({
    id: newId(), phase_id: phaseId, patient_id: patientId, position: numOrNull(top?.top) === null ? 0 : num(top!.top) + 1,
    ...procedureRow(procedure), created_at: now, updated_at: now, version: 1,
  });
}

async function insertPhase(trx: Knex, planId: string, title: string): Promise<string> {
  const top = await trx('treatment_phases').where({ plan_id: planId }).max({ top: 'position' }).first();
  const id = newId();
  await trx('treatment_phases').insert({ id, plan_id: planId, title, position: numOrNull(top?.top) === null ? 0 : num(top!.top) + 1 });
  return id;
}

/** Bumps the plan's version: any change inside a plan is a change of the plan. */
async function touchPlan(trx: Knex, planId: string): Promise<void> {
  await trx('treatment_plans').where({ id: planId }).update({ version: trx.raw('version + 1'), updated_at: nowIso() });
}

export async function createPlan(db: Database, practiceId: string, userId: string, input: PlanCreate): Promise<TreatmentPlan> {
  return guarded('The treatment plan', () =>
    db.write(async (trx) => {
      const patient = await trx('patients').where({ id: input.patientId, practice_id: practiceId }).first('id');
      if (!patient) throw new AppError('NOT_FOUND', 'The patient was not found');
      const now = nowIso();
      const id = newId();
      await trx('treatment_plans').insert({
        id, patient_id: input.patientId, title: input.title, status: 'draft', created_by: userId, created_at: now, updated_at: now, version: 1,
      });
      for (const phase of input.phases) {
        const phaseId = await insertPhase(trx, id, phase.title);
        for (const procedure of phase.procedures) await insertProcedure(trx, phaseId, input.patientId, procedure);
      }
      return getPlan(trx, practiceId, id);
    }),
  );
}

export async function updatePlan(
  db: Database,
  practiceId: string,
  id: string,
  version: number,
  changes: { title?: string; status?: TreatmentPlan['status'] },
): Promise<TreatmentPlan> {
  return guarded('The treatment plan', () =>
    db.write(async (trx) => {
      await getPlan(trx, practiceId, id);
      const patch: Row = {};
      if (changes.title !== undefined) patch.title = changes.title;
      if (changes.status !== undefined) patch.status = changes.status;
      await updateVersioned(trx, 'treatment_plans', { id }, version, patch, 'The treatment plan');
      return getPlan(trx, practiceId, id);
    }),
  );
}

export async function deletePlan(db: Database, practiceId: string, id: string, version: number): Promise<void> {
  await guarded('The treatment plan', () =>
    db.write(async (trx) => {
      const plan = await getPlan(trx, practiceId, id);
      if (plan.version !== version) throw new AppError('CONFLICT', 'The treatment plan was changed by someone else; reload and try again');
      await trx('treatment_plans').where({ id, version }).delete();
    }),
  );
}

export async function addPhase(db: Database, practiceId: string, planId: string, title: string): Promise<TreatmentPlan> {
  return guarded('The phase', () =>
    db.write(async (trx) => {
      await getPlan(trx, practiceId, planId);
      await insertPhase(trx, planId, title);
      await touchPlan(trx, planId);
      return getPlan(trx, practiceId, planId);
    }),
  );
}

async function phaseOwner(trx: Knex, practiceId: string, phaseId: string): Promise<{ planId: string; patientId: string }> {
  const row = await trx('treatment_phases as ph')
    .join('treatment_plans as t', 't.id', 'ph.plan_id')
    .join('patients as p', 'p.id', 't.patient_id')
    .where({ 'ph.id': phaseId, 'p.practice_id': practiceId })
    .first('t.id as plan_id', 't.patient_id');
  if (!row) throw new AppError('NOT_FOUND', 'The treatment phase was not found');
  return { planId: row.plan_id, patientId: row.patient_id };
}

export async function addProcedure(db: Database, practiceId: string, phaseId: string, procedure: ProcedureInput): Promise<TreatmentPlan> {
  return guarded('The procedure', () =>
    db.write(async (trx) => {
      const { planId, patientId } = await phaseOwner(trx, practiceId, phaseId);
      await insertProcedure(trx, phaseId, patientId, procedure);
      await touchPlan(trx, planId);
      return getPlan(trx, practiceId, planId);
    }),
  );
}

/** A procedure of this practice at the caller's version, and its plan; NOT_FOUND or CONFLICT otherwise. */
async function procedureAt(trx: Knex, practiceId: string, id: string, version: number): Promise<{ row: Row; planId: string }> {
  const row = await trx('procedures').where({ id }).first();
  if (!row) throw new AppError('NOT_FOUND', 'The procedure was not found');
  const { planId } = await phaseOwner(trx, practiceId, row.phase_id);
  // A stale version is a conflict whatever else is wrong: the caller's picture is out of date.
  if (num(row.version) !== version) {
    throw new AppError('CONFLICT', `The procedure was changed by someone else (version ${num(row.version)}, yours ${version}); reload and try again`);
  }
  return { row, planId };
}

export async function updateProcedure(
  db: Database,
  practiceId: string,
  id: string,
  version: number,
  changes: Partial<ProcedureInput>,
): Promise<TreatmentPlan> {
  return guarded('The procedure', () =>
    db.write(async (trx) => {
      const { row, planId } = await procedureAt(trx, practiceId, id, version);
      const from = row.status as ProcedureStatus;
      if (changes.status !== undefined) checkTransition(from, changes.status);
      const edits = Object.entries(changes).filter(([key, value]) => key !== 'status' && value !== undefined);
      if ((from === 'completed' || from === 'declined') && edits.length) {
        throw new AppError('CONFLICT', `A ${from} procedure is a record: its ${edits.map(([key]) => key).join(', ')} cannot change`);
      }
      checkCodeNeeds({
        cdtCode: changes.cdtCode ?? (row.cdt_code as string),
        tooth: changes.tooth !== undefined ? changes.tooth : numOrNull(row.tooth),
        surfaces: changes.surfaces !== undefined ? changes.surfaces : ((row.surfaces as string | null) ?? null),
      });
      await updateVersioned(trx, 'procedures', { id }, version, procedureRow(changes), 'The procedure');
      await touchPlan(trx, planId);
      return getPlan(trx, practiceId, planId);
    }),
  );
}

function checkRemovable(status: ProcedureStatus): void {
  if (removableProcedureStatuses.includes(status)) return;
  throw new AppError('CONFLICT', `A ${status} procedure is part of the record and cannot be removed; only ${removableProcedureStatuses.join(' or ')} ones can`);
}

export async function removeProcedure(db: Database, practiceId: string, id: string, version: number): Promise<TreatmentPlan> {
  return guarded('The procedure', () =>
    db.write(async (trx) => {
      const { row, planId } = await procedureAt(trx, practiceId, id, version);
      checkRemovable(row.status as ProcedureStatus);
      // Its image links go with it (image_procedures cascades); the images stay.
      await trx('procedures').where({ id, version }).delete();
      await touchPlan(trx, planId);
      return getPlan(trx, practiceId, planId);
    }),
  );
}

export async function removePhase(db: Database, practiceId: string, id: string): Promise<TreatmentPlan> {
  return guarded('The phase', () =>
    db.write(async (trx) => {
      const { planId } = await phaseOwner(trx, practiceId, id);
      const statuses = (await trx('procedures').where({ phase_id: id }).distinct('status')) as Array<{ status: ProcedureStatus }>;
      for (const { status } of statuses) checkRemovable(status);
      await trx('treatment_phases').where({ id }).delete();
      await touchPlan(trx, planId);
      return getPlan(trx, practiceId, planId);
    }),
  );
}

export async function addCheckpoint(
  db: Database,
  practiceId: string,
  userId: string,
  input: { planId: string; takenOn: string; note: string | null; imageIds: string[] },
): Promise<TreatmentPlan> {
  return guarded('The checkpoint', () =>
    db.write(async (trx) => {
      const plan = await getPlan(trx, practiceId, input.planId);
      const imageIds = [...new Set(input.imageIds)];
      if (imageIds.length) {
        const found = await trx('images').whereIn('id', imageIds).andWhere('patient_id', plan.patientId).select('id');
        if (found.length !== imageIds.length) throw new AppError('INVALID_INPUT', "An image is not one of this patient's");
      }
      const id = newId();
      await trx('progress_checkpoints').insert({
        id, plan_id: input.planId, taken_on: input.takenOn, note: input.note, created_by: userId, created_at: nowIso(),
      });
      if (imageIds.length) await trx('checkpoint_images').insert(imageIds.map((image_id) => ({ checkpoint_id: id, image_id })));
      await touchPlan(trx, input.planId);
      return getPlan(trx, practiceId, input.planId);
    }),
  );
}
