import { assignInbox, ingestStatus, listInbox } from '../../ingest/inbox.js';
import type { Handlers } from '../dispatcher.js';
import type { Services } from '../services.js';
import { audit, userOf } from './audit-support.js';

type IngestHandlers = Pick<Handlers, 'ingest.status' | 'ingest.inbox' | 'ingest.assign'>;

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
  };
}
