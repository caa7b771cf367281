import * as patients from '../../db/repositories/patients.js';
import type { Handlers } from '../dispatcher.js';
import type { Services } from '../services.js';
import { audit, userOf } from './audit-support.js';

type PatientHandlers = Pick<Handlers, 'patients.search' | 'patients.get' | 'patients.create' | 'patients.update' | 'patients.archive' | 'patients.addConsent'>;

export function patientHandlers(services: Services): PatientHandlers {
  const db = () => services.database();
  return {
    // Not audited: search runs as the front desk types and shows only a list; opening a chart is.
    'patients.search': async (input, ctx) => ({ patients: await patients.searchPatients(db().knex, userOf(ctx).practiceId, input) }),
    'patients.get': async ({ id }, ctx) => {
      const patient = await patients.getPatient(db().knex, userOf(ctx).practiceId, id);
      await audit(services, ctx, 'patient.open', { patientId: id });
      return patient;
    },
    'patients.create': async (input, ctx) => {
      const patient = await patients.createPatient(db(), userOf(ctx).practiceId, input);
      await audit(services, ctx, 'patient.create', { patientId: patient.id });
      return patient;
    },
    'patients.update': async ({ id, version, changes }, ctx) => {
      const patient = await patients.updatePatient(db(), userOf(ctx).practiceId, id, version, changes);
      await audit(services, ctx, 'patient.update', { patientId: id, detail: { fields: Object.keys(changes).sort() } });
      return patient;
    },
    'patients.archive': async ({ id, version, archived }, ctx) => {
      const patient = await patients.archivePatient(db(), userOf(ctx).practiceId, id, version, archived);
      await audit(services, ctx, archived ? 'patient.archive' : 'patient.restore', { patientId: id });
      return patient;
    },
    'patients.addConsent': async (input, ctx) => {
      const user = userOf(ctx);
      const consent = await patients.addConsent(db(), user.practiceId, user.id, input);
      await audit(services, ctx, 'consent.add', { patientId: input.patientId, detail: { consentId: consent.id } });
      return consent;
    },
  };
}
