import { queryAudit } from '../../db/repositories/audit.js';
import * as users from '../../db/repositories/users.js';
import type { Handlers } from '../dispatcher.js';
import type { Services } from '../services.js';
import { audit, userOf } from './audit-support.js';

type AdminHandlers = Pick<Handlers, 'audit.query' | 'users.list' | 'users.create' | 'users.update' | 'users.setPassword'>;

export function adminHandlers(services: Services): AdminHandlers {
  const db = () => services.database();
  return {
    'audit.query': async (input, ctx) => ({ entries: await queryAudit(db().knex, userOf(ctx).practiceId, input) }),
    'users.list': async (_input, ctx) => ({ users: await users.listUsers(db().knex, userOf(ctx).practiceId) }),
    'users.create': async (input, ctx) => {
      const user = await users.createUser(db(), userOf(ctx).practiceId, input);
      await audit(services, ctx, 'user.create', { detail: { userId: user.id, role: user.role } });
      return user;
    },
    'users.update': async ({ id, version, ...changes }, ctx) => {
      const user = await users.updateUser(db(), userOf(ctx).practiceId, id, version, changes);
      await audit(services, ctx, 'user.update', { detail: { userId: id, fields: Object.keys(changes).sort() } });
      return user;
    },
    'users.setPassword': async ({ id, password }, ctx) => {
      await users.setPassword(db(), userOf(ctx).practiceId, id, password);
      await audit(services, ctx, 'user.password', { detail: { userId: id } });
      return { ok: true as const };
    },
  };
}
