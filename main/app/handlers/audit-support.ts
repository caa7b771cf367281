import { appendAudit, type AuditRecord } from '../../db/repositories/audit.js';
import type { CallContext, SessionUser } from '../context.js';
import { AppError } from '../errors.js';
import type { Services } from '../services.js';

/** The signed-in user of a call (the dispatcher has already refused anonymous calls to these methods). */
export function userOf(ctx: CallContext): SessionUser {
  if (!ctx.user) throw new AppError('UNAUTHENTICATED', 'Sign in to continue');
  return ctx.user;
}

/** Appends one audit entry for this call: who, from which workstation, which patient/image. */
export async function audit(
  services: Services,
  ctx: CallContext,
  action: string,
  about: Pick<AuditRecord, 'patientId' | 'imageId' | 'detail'> = {},
): Promise<void> {
  await appendAudit(services.database().knex, {
    practiceId: ctx.user?.practiceId ?? null,
    userId: ctx.user?.id ?? null,
    workstation: ctx.workstation,
    action,
    ...about,
  });
}
