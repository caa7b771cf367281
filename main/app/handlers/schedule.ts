import * as schedule from '../../db/repositories/schedule.js';
import type { Handlers } from '../dispatcher.js';
import type { Services } from '../services.js';
import { audit, userOf } from './audit-support.js';

type ScheduleHandlers = Pick<
  Handlers,
  | 'schedule.providers' | 'schedule.operatories' | 'appointments.list' | 'appointments.forPatient' | 'appointments.get'
  | 'appointments.create' | 'appointments.move' | 'appointments.setStatus' | 'appointments.cancel'
>;

export function scheduleHandlers(services: Services): ScheduleHandlers {
  const db = () => services.database();
  return {
    'schedule.providers': async (_input, ctx) => ({ providers: await schedule.listProviders(db().knex, userOf(ctx).practiceId) }),
    'schedule.operatories': async (_input, ctx) => ({ operatories: await schedule.listOperatories(db().knex, userOf(ctx).practiceId) }),
    'appointments.list': async (input, ctx) => ({ appointments: await schedule.listAppointments(db().knex, userOf(ctx).practiceId, input) }),
    'appointments.forPatient': async ({ patientId }, ctx) => ({
      appointments: await schedule.appointmentsForPatient(db().knex, userOf(ctx).practiceId, patientId),
    }),
    'appointments.get': async ({ id }, ctx) => schedule.getAppointment(db().knex, userOf(ctx).practiceId, id),
    'appointments.create': async (input, ctx) => {
      const appointment = await schedule.createAppointment(db(), userOf(ctx).practiceId, input);
      await audit(services, ctx, 'appointment.create', { patientId: appointment.patientId, detail: { appointmentId: appointment.id } });
      return appointment;
    },
    'appointments.move': async (input, ctx) => {
      const appointment = await schedule.moveAppointment(db(), userOf(ctx).practiceId, input);
      await audit(services, ctx, 'appointment.move', { patientId: appointment.patientId, detail: { appointmentId: appointment.id } });
      return appointment;
    },
    'appointments.setStatus': async ({ id, version, status }, ctx) => {
      const appointment = await schedule.setAppointmentStatus(db(), userOf(ctx).practiceId, id, version, status);
      await audit(services, ctx, 'appointment.status', { patientId: appointment.patientId, detail: { appointmentId: id, status } });
      return appointment;
    },
    'appointments.cancel': async ({ id, version }, ctx) => {
      const appointment = await schedule.setAppointmentStatus(db(), userOf(ctx).practiceId, id, version, 'cancelled');
      await audit(services, ctx, 'appointment.cancel', { patientId: appointment.patientId, detail: { appointmentId: id } });
      return appointment;
    },
  };
}
