import { createShareService, type ShareService } from '../../share/service.js';
import type { Handlers } from '../dispatcher.js';
import type { Services } from '../services.js';
import { userOf } from './audit-support.js';

type ShareHandlers = Pick<
  Handlers,
  'share.createPdf' | 'share.list' | 'share.createLink' | 'share.revoke' | 'share.letterhead' | 'share.setLetterhead'
>;

/** Sharing with the patient: see main/share/service.ts. */
export function shareHandlers(services: Services, shares: ShareService = createShareService(services)): ShareHandlers {
  return {
    'share.createPdf': (input, ctx) => shares.createPdf(ctx, input),
    'share.list': async ({ patientId }, ctx) => ({ shares: await shares.list(ctx, patientId) }),
    'share.createLink': ({ id, expiresInSeconds }, ctx) => shares.createLink(ctx, id, expiresInSeconds),
    'share.revoke': ({ id }, ctx) => shares.revoke(ctx, id),
    'share.letterhead': (_input, ctx) => shares.letterhead(userOf(ctx).practiceId),
    'share.setLetterhead': (input, ctx) => shares.setLetterhead(ctx, input),
  };
}
