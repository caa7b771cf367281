import type { Annotation, ListedAnnotation } from '../../../contract/index.js';
import * as annotations from '../../db/repositories/annotations.js';
import * as imaging from '../../db/repositories/imaging.js';
import type { CallContext, SessionUser } from '../context.js';
import { AppError } from '../errors.js';
import type { Handlers } from '../dispatcher.js';
import type { Services } from '../services.js';
import { audit, userOf } from './audit-support.js';

type AnnotationHandlers = Pick<Handlers, 'annotations.list' | 'annotations.save' | 'annotations.delete' | 'annotations.history'>;

/** Admins may edit and delete anyone's annotations; everyone else only their own. */
const editorOf = (user: SessionUser): annotations.Editor => ({ userId: user.id, editOthers: user.role === 'admin' });
const listed = (a: Annotation, user: SessionUser): ListedAnnotation => ({ ...a, editable: a.authorId === user.id || user.role === 'admin' });

export function annotationHandlers(services: Services): AnnotationHandlers {
  const db = () => services.database();

  /** A refused edit or delete of someone else's annotation is audited like a refused method. */
  const refusing = async <T>(ctx: CallContext, method: string, annotationId: string | undefined, run: () => Promise<T>): Promise<T> => {
    try {
      return await run();
    } catch (error) {
      if (error instanceof AppError && error.code === 'FORBIDDEN' && annotationId) {
        const user = userOf(ctx);
        const imageId = await annotations.annotationImageId(db().knex, user.practiceId, annotationId);
        const image = imageId ? await imaging.getImage(db().knex, user.practiceId, imageId).catch(() => null) : null;
        await audit(services, ctx, 'access.refused', {
          patientId: image?.patientId ?? null,
          imageId,
          detail: { method, role: user.role, annotationId, reason: 'not the author' },
        });
      }
      throw error;
    }
  };

  return {
    'annotations.list': async ({ imageId }, ctx) => {
      const user = userOf(ctx);
      return { annotations: (await annotations.listAnnotations(db().knex, user.practiceId, imageId)).map((a) => listed(a, user)) };
    },
    'annotations.save': async (input, ctx) =>
      refusing(ctx, 'annotations.save', input.id, async () => {
        const user = userOf(ctx);
        const saved = await annotations.saveAnnotation(db(), user.practiceId, editorOf(user), input);
        const image = await imaging.getImage(db().knex, user.practiceId, input.imageId);
        await audit(services, ctx, 'annotation.save', { patientId: image.patientId, imageId: input.imageId, detail: { annotationId: saved.id, version: saved.version } });
        return listed(saved, user);
      }),
    'annotations.delete': async ({ id, version }, ctx) =>
      refusing(ctx, 'annotations.delete', id, async () => {
        const user = userOf(ctx);
        const { imageId } = await annotations.deleteAnnotation(db(), user.practiceId, editorOf(user), id, version);
        const image = await imaging.getImage(db().knex, user.practiceId, imageId);
        await audit(services, ctx, 'annotation.delete', { patientId: image.patientId, imageId, detail: { annotationId: id } });
        return { deleted: true as const };
      }),
    'annotations.history': async ({ id }, ctx) => ({ versions: await annotations.annotationHistory(db().knex, userOf(ctx).practiceId, id) }),
  };
}
