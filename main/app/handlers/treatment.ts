import * as treatment from '../../db/repositories/treatment.js';
import type { Handlers } from '../dispatcher.js';
import type { Services } from '../services.js';
import { audit, userOf } from './audit-support.js';

type TreatmentHandlers = Pick<
  Handlers,
  | 'treatment.plans' | 'treatment.getPlan' | 'treatment.createPlan' | 'treatment.updatePlan' | 'treatment.deletePlan'
  | 'treatment.addPhase' | 'treatment.addProcedure' | 'treatment.updateProcedure' | 'treatment.addCheckpoint'
  | 'treatment.removeProcedure' | 'treatment.removePhase'
>;

export function treatmentHandlers(services: Services): TreatmentHandlers {
  const db = () => services.database();
  /** Every change to a plan is audited against the plan's patient. */
  const changed = async (
    ctx: Parameters<TreatmentHandlers['treatment.getPlan']>[1],
    action: string,
    plan: { id: string; patientId: string },
    extra: Record<string, unknown> = {},
  ) => {
    await audit(services, ctx, action, { patientId: plan.patientId, detail: { planId: plan.id, ...extra } });
    return plan;
  };
  return {
    'treatment.plans': async ({ patientId }, ctx) => {
      const plans = await treatment.plansForPatient(db().knex, userOf(ctx).practiceId, patientId);
      await audit(services, ctx, 'treatment.view', { patientId });
      return { plans };
    },
    'treatment.getPlan': async ({ id }, ctx) => {
      const plan = await treatment.getPlan(db().knex, userOf(ctx).practiceId, id);
      await audit(services, ctx, 'treatment.view', { patientId: plan.patientId, detail: { planId: id } });
      return plan;
    },
    'treatment.createPlan': async (input, ctx) => {
      const user = userOf(ctx);
      const plan = await treatment.createPlan(db(), user.practiceId, user.id, input);
      await changed(ctx, 'treatment.create', plan);
      return plan;
    },
    'treatment.updatePlan': async ({ id, version, ...changes }, ctx) => {
      const plan = await treatment.updatePlan(db(), userOf(ctx).practiceId, id, version, changes);
      await changed(ctx, 'treatment.update', plan);
      return plan;
    },
    'treatment.deletePlan': async ({ id, version }, ctx) => {
      const plan = await treatment.getPlan(db().knex, userOf(ctx).practiceId, id);
      await treatment.deletePlan(db(), userOf(ctx).practiceId, id, version);
      await changed(ctx, 'treatment.delete', plan);
      return { deleted: true as const };
    },
    'treatment.addPhase': async ({ planId, title }, ctx) => {
      const plan = await treatment.addPhase(db(), userOf(ctx).practiceId, planId, title);
      await changed(ctx, 'treatment.update', plan);
      return plan;
    },
    'treatment.addProcedure': async ({ phaseId, procedure }, ctx) => {
      const plan = await treatment.addProcedure(db(), userOf(ctx).practiceId, phaseId, procedure);
      await changed(ctx, 'treatment.update', plan);
      return plan;
    },
    'treatment.updateProcedure': async ({ id, version, changes }, ctx) => {
      const plan = await treatment.updateProcedure(db(), userOf(ctx).practiceId, id, version, changes);
      // Ids, field names and the status only: never free text.
      await changed(ctx, 'treatment.update', plan, { procedureId: id, fields: Object.keys(changes), ...(changes.status ? { status: changes.status } : {}) });
      return plan;
    },
    'treatment.removeProcedure': async ({ id, version }, ctx) => {
      const plan = await treatment.removeProcedure(db(), userOf(ctx).practiceId, id, version);
      await changed(ctx, 'treatment.update', plan, { procedureId: id, removed: true });
      return plan;
    },
    'treatment.removePhase': async ({ id }, ctx) => {
      const plan = await treatment.removePhase(db(), userOf(ctx).practiceId, id);
      await changed(ctx, 'treatment.update', plan, { phaseId: id, removed: true });
      return plan;
    },
    'treatment.addCheckpoint': async (input, ctx) => {
      const user = userOf(ctx);
      const plan = await treatment.addCheckpoint(db(), user.practiceId, user.id, input);
      await changed(ctx, 'treatment.checkpoint', plan);
      return plan;
    },
  };
}
