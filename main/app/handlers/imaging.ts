import * as imaging from '../../db/repositories/imaging.js';
import type { Handlers } from '../dispatcher.js';
import type { Services } from '../services.js';
import { audit, userOf } from './audit-support.js';

type ImagingHandlers = Pick<
  Handlers,
  'imaging.forPatient' | 'imaging.latestForPatients' | 'imaging.forAppointment' | 'imaging.linkAppointment' | 'imaging.linkProcedure' | 'imaging.calibrate'
>;

export function imagingHandlers(services: Services): ImagingHandlers {
  const db = () => services.database();
  return {
    'imaging.forPatient': async ({ patientId, limit }, ctx) => {
      const images = await imaging.imagesForPatient(db().knex, userOf(ctx).practiceId, patientId, limit);
      await audit(services, ctx, 'images.list', { patientId, detail: { count: images.length } });
      return { images };
    },
    'imaging.latestForPatients': async ({ patientIds, perPatient }, ctx) => {
      const images = await imaging.latestImagesForPatients(db().knex, userOf(ctx).practiceId, [...new Set(patientIds)], perPatient);
      // One record per patient whose thumbnails are shown: the access log is searched by patient.
      const shown = new Map<string, number>();
      for (const image of images) shown.set(image.patientId, (shown.get(image.patientId) ?? 0) + 1);
      for (const [patientId, count] of shown) await audit(services, ctx, 'images.list', { patientId, detail: { count, list: 'latest' } });
      return { images };
    },
    'imaging.forAppointment': async ({ appointmentId }, ctx) => {
      const images = await imaging.imagesForAppointment(db().knex, userOf(ctx).practiceId, appointmentId);
      await audit(services, ctx, 'images.list', { patientId: images[0]?.patientId ?? null, detail: { appointmentId, count: images.length } });
      return { images };
    },
    'imaging.linkAppointment': async ({ imageId, appointmentId, linked }, ctx) => {
      const { patientId } = await imaging.linkImage(db(), userOf(ctx).practiceId, imageId, { appointmentId }, linked);
      await audit(services, ctx, linked ? 'image.link' : 'image.unlink', { patientId, imageId, detail: { appointmentId } });
      return { ok: true as const };
    },
    'imaging.linkProcedure': async ({ imageId, procedureId, linked }, ctx) => {
      const { patientId } = await imaging.linkImage(db(), userOf(ctx).practiceId, imageId, { procedureId }, linked);
      await audit(services, ctx, linked ? 'image.link' : 'image.unlink', { patientId, imageId, detail: { procedureId } });
      return { ok: true as const };
    },
    'imaging.calibrate': async ({ id, version, mmPerPx }, ctx) => {
      const image = await imaging.calibrateImage(db(), userOf(ctx).practiceId, id, version, mmPerPx);
      await audit(services, ctx, 'image.calibrate', { patientId: image.patientId, imageId: id });
      return image;
    },
  };
}
