import type { Readable } from 'node:stream';
import { appendAudit } from '../db/repositories/audit.js';
import { listAnnotations } from '../db/repositories/annotations.js';
import { getImage } from '../db/repositories/imaging.js';
import { buildGsps, burnIn, gspsHeaderOf, shapeOf, type ExportShape } from '../imaging/export.js';
import { loadImage } from '../imaging/image.js';
import { render, type Window } from '../imaging/render.js';
import type { ImageExporter } from '../server/export.js';
import type { CallContext } from './context.js';
import { AppError } from './errors.js';
import { createImageAccess } from './image-access.js';
import type { Services } from './services.js';

/**
 * The export route's work in the app: read the lossless master through the same access as the
 * viewer (practice check, store cache), render it with `render()` at the requested window, the
 * window saved on the image, or the default one, and add the image's current annotations.
 * Every export is audited as `image.export` (who, which image and patient, which format).
 */
export function createImageExport(services: Services): ImageExporter {
  const access = createImageAccess(services);
  return {
    async export(imageId, request, call) {
      if (!call.user) return null;
      const db = services.database();
      const record = await getImage(db.knex, call.user.practiceId, imageId).catch((error: unknown) => {
        if (error instanceof AppError && error.code === 'NOT_FOUND') return null;
        throw error;
      });
      if (!record) return null;
      const object = await access.source.open(imageId, 'master', call);
      if (!object) throw new AppError('NOT_FOUND', 'No lossless original is stored for this image');
      const source = await loadImage(await bytesOf(object.body), { expect: 'any' });
      const shapes = (await listAnnotations(db.knex, call.user.practiceId, imageId))
        .map((a) => shapeOf(a.tool, a.geometry, a.label))
        .filter((s): s is ExportShape => s !== null);
      const window: Window | undefined = request.window
        ? { ...request.window, source: 'explicit' }
        : record.window
          ? { ...record.window, source: 'explicit' }
          : undefined;
      const name = `cusp-image-${imageId.slice(0, 8)}`;
      if (request.format === 'gsps') {
        if (source.kind !== 'dicom') throw new AppError('CONFLICT', 'A presentation state needs a DICOM image to reference; this image is a photo');
        if (source.pipeline === undefined) throw new AppError('CONFLICT', 'A grayscale presentation state cannot reference a colour image');
        const ds = source.parsed.dataSet;
        const uids = await db
          .knex('images as i')
          .join('series as s', 's.id', 'i.series_id')
          .join('studies as st', 'st.id', 's.study_id')
          .where('i.id', imageId)
          .first('s.series_instance_uid as series', 'st.study_instance_uid as study');
        const m = source.metadata;
        const rendered = render(source.frame, source.pipeline, window);
        const rescaled = ds.string('x00281053') !== undefined || ds.string('x00281052') !== undefined;
        const bytes = buildGsps(
          {
            sopClassUid: m.sopClassUid ?? '1.2.840.10008.5.1.4.1.1.1.3',
            sopInstanceUid: m.sopInstanceUid ?? record.sopInstanceUid,
            studyInstanceUid: m.studyInstanceUid ?? (uids?.study as string),
            seriesInstanceUid: m.seriesInstanceUid ?? (uids?.series as string),
            rows: source.frame.height,
            columns: source.frame.width,
            photometric: m.photometric,
            header: gspsHeaderOf(ds),
            ...(rescaled ? { rescale: { slope: m.rescale.slope, intercept: m.rescale.intercept, type: ds.string('x00281054')?.trim() || 'US' } } : {}),
          },
          shapes,
          rendered.window ?? null,
        );
        return { bytes, contentType: 'application/dicom', fileName: `${name}-gsps.dcm` };
      }
      const rendered = render(source.frame, source.pipeline, source.pipeline ? window : undefined);
      const bytes = await burnIn(rendered, shapes, request.format);
      return { bytes, contentType: request.format === 'png' ? 'image/png' : 'image/jpeg', fileName: `${name}.${request.format === 'png' ? 'png' : 'jpg'}` };
    },

    async onExport(imageId, request, call: CallContext) {
      if (!call.user) return;
      const db = services.database();
      const image = await getImage(db.knex, call.user.practiceId, imageId);
      await appendAudit(db.knex, {
        practiceId: call.user.practiceId,
        userId: call.user.id,
        action: 'image.export',
        workstation: call.workstation,
        patientId: image.patientId,
        imageId,
        detail: { format: request.format, ...(request.window ? { center: request.window.center, width: request.window.width } : {}) },
      });
    },
  };
}

async function bytesOf(body: Readable | Buffer): Promise<Uint8Array> {
  if (Buffer.isBuffer(body)) return body;
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
