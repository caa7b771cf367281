import { appendAudit } from '../db/repositories/audit.js';
import { getImage, storedObjects } from '../db/repositories/imaging.js';
import type { ImageRouteOptions, ImageSource, ImageVariant } from '../server/images.js';
import { isStorageError } from '../storage/errors.js';
import type { CallContext } from './context.js';
import { AppError } from './errors.js';
import type { Services } from './services.js';

/** How long one opening of an image counts as one view in the audit log (per session and image). */
const viewWindowMs = 10 * 60 * 1000;

/**
 * The viewer's pixels as the app serves them (`/img/` under `cusp serve`, `cusp://app/img/` in
 * Electron): the image must belong to the caller's practice, the bytes come through the store's
 * cache (and outbox, so an image still waiting for the cloud is viewable), and every view is
 * written to the audit log before a byte is sent.
 *
 * Audit rule: the progressive loader fetches thumb200 → preview → view (→ master) for one look at
 * an image, so the first fetch of an image by a session opens a view and the others within ten
 * minutes belong to it; the master (diagnostic quality) is always recorded on its own.
 */
export function createImageAccess(services: Services): Pick<ImageRouteOptions, 'source' | 'onView'> {
  const recentViews = new Map<string, number>();

  const source: ImageSource = {
    async open(imageId: string, variant: ImageVariant, call: CallContext) {
      if (!call.user) return null;
      const db = services.database();
      const image = await getImage(db.knex, call.user.practiceId, imageId).catch((error: unknown) => {
        if (error instanceof AppError && error.code === 'NOT_FOUND') return null;
        throw error;
      });
      if (!image) return null;
      const storage = services.storage();
      const rows = (await storedObjects(db.knex, imageId)).filter((row) => row.variant === variant);
      // During a migration an object has a row per backend: read from the store in use.
      const row = rows.find((r) => r.backend === storage.backend.description.kind) ?? rows[0];
      if (!row) return null;
      try {
        const { body, info } = await storage.store.get(row.key);
        return { body, bytes: info.size, contentType: info.contentType ?? contentTypeOf(variant) };
      } catch (error) {
        if (isStorageError(error, 'NotFound')) {
          services.log.error({ imageId, variant }, 'an indexed object is missing from the store');
          return null;
        }
        throw error;
      }
    },
  };

  return {
    source,
    async onView(imageId, { variant, call }) {
      if (!call.user) return;
      const key = `${call.sessionId}/${imageId}`;
      const now = Date.now();
      const opened = recentViews.get(key);
      const partOfOpenView = opened !== undefined && now - opened < viewWindowMs && variant !== 'master';
      if (partOfOpenView) return;
      recentViews.set(key, now);
      for (const [k, at] of recentViews) if (now - at >= viewWindowMs) recentViews.delete(k);
      const db = services.database();
      const image = await getImage(db.knex, call.user.practiceId, imageId);
      await appendAudit(db.knex, {
        practiceId: call.user.practiceId,
        userId: call.user.id,
        action: variant === 'master' ? 'image.view.master' : 'image.view',
        workstation: call.workstation,
        patientId: image.patientId,
        imageId,
        detail: { variant },
      });
    },
  };
}

function contentTypeOf(variant: ImageVariant): string {
  return variant === 'master' ? 'application/dicom' : 'image/jpeg';
}
