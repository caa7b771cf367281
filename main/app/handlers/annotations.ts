import * as annotations from '../../db/repositories/annotations.js';
import * as imaging from '../../db/repositories/imaging.js';
import type { Handlers } from '../dispatcher.js';
import type { Services } from '../services.js';
import { audit, userOf } from './audit-support.js';

type AnnotationHandlers = Pick<Handlers, 'annotations.list' | 'annotations.save' | 'annotations.delete' | 'annotations.history'>;

export function annotationHandlers(services: Services): AnnotationHandlers {
  const db = () => services.database();
  return {
    'annotations.list': async ({ imageId }, ctx) => ({ annotations: await annotations.listAnnotations(db().knex, userOf(ctx).practiceId, imageId) }),
    'annotations.save': async (input, ctx) => {
      const user = userOf(ctx);
      const saved = await annotations.saveAnnotation(db(), user.practiceId, user.id, input);
      const image = await imaging.getImage(db().knex, user.practiceId, input.imageId);
      await audit(services, ctx, 'annotation.save', { patientId: image.patientId, imageId: input.imageId, detail: { annotationId: saved.id, version: saved.version } });
      return saved;
    },
    'annotations.delete': async ({ id, version }, ctx) => {
      const user = userOf(ctx);
      const { imageId } = await annotations.deleteAnnotation(db(), user.practiceId, user.id, id, version);
      const image = await imaging.getImage(db().knex, user.practiceId, imageId);
      await audit(services, ctx, 'annotation.delete', { patientId: image.patientId, imageId, detail: { annotationId: id } });
      return { deleted: true as const };
    },
    'annotations.history': async ({ id }, ctx) => ({ versions: await annotations.annotationHistory(db().knex, userOf(ctx).practiceId, id) }),
  };
}
