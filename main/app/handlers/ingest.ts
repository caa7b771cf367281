import { rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { assignInbox, assignMany, discardQuarantined, importJobs, ingestStatus, listInbox, retryQuarantined } from '../../ingest/inbox.js';
import { isUploadedFile } from '../../ingest/uploads.js';
import type { Handlers } from '../dispatcher.js';
import type { Services } from '../services.js';
import { audit, userOf } from './audit-support.js';

type IngestHandlers = Pick<Handlers, 'ingest.status' | 'ingest.inbox' | 'ingest.assign' | 'ingest.assignMany' | 'ingest.retry' | 'ingest.discard' | 'ingest.jobs'>;

export function ingestHandlers(services: Services): IngestHandlers {
  const db = () => services.database();
  return {
    'ingest.status': async ({ problems }) => ingestStatus(db(), problems),
    'ingest.inbox': async ({ limit }, ctx) => {
      const items = await listInbox(db(), limit);
      await audit(services, ctx, 'inbox.list', { detail: { count: items.length } });
      return { items };
    },
    'ingest.assign': async ({ jobId, patientId }, ctx) => {
      const result = await assignInbox(db(), userOf(ctx).practiceId, jobId, patientId);
      await audit(services, ctx, 'image.assign', { patientId, imageId: result.imageId, detail: { jobId } });
      services.events.emit('image.new', { imageId: result.imageId, patientId, appointmentId: result.appointmentId });
      return result;
    },
    'ingest.assignMany': async ({ jobIds, patientId, rememberDicomId }, ctx) => {
      const result = await assignMany(db(), userOf(ctx).practiceId, jobIds, patientId, rememberDicomId);
      // One entry per image, as for a single assignment; the remembered id is the patient's data, not logged elsewhere.
      for (const image of result.images) {
        await audit(services, ctx, 'image.assign', {
          patientId,
          imageId: image.imageId,
          detail: { jobId: image.jobId, batch: result.images.length, rememberedDicomId: result.remembered !== null },
        });
      }
      for (const image of result.images) services.events.emit('image.new', { imageId: image.imageId, patientId, appointmentId: image.appointmentId });
      return result;
    },
    'ingest.retry': async ({ jobId }, ctx) => {
      const job = await retryQuarantined(db(), jobId);
      await audit(services, ctx, 'ingest.retry', { detail: { jobId, source: job.source, reason: job.reason } });
      return { jobId };
    },
    'ingest.discard': async ({ jobId }, ctx) => {
      const job = await discardQuarantined(db(), jobId);
      // A file uploaded through the app lives in its own folder under <data>/uploads: remove both.
      if (job.path && isUploadedFile(services.dataDir, job.path)) await rm(dirname(job.path), { recursive: true, force: true });
      await audit(services, ctx, 'ingest.discard', { detail: { jobId, source: job.source, reason: job.reason } });
      return { jobId };
    },
    'ingest.jobs': async ({ jobIds }) => ({ jobs: await importJobs(db(), jobIds) }),
  };
}
