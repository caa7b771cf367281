import type { Knex } from 'knex';
import type { AuthStatus, MethodName, PracticeSetup } from '../../contract/index.js';
import type { CallContext } from '../app/context.js';
import type { Handlers } from '../app/dispatcher.js';
import { AppError } from '../app/errors.js';
import type { Services } from '../app/services.js';
import { isPostgres } from '../db/dialect.js';
import { appendAudit } from '../db/repositories/audit.js';
import { listPractices } from '../db/repositories/practices.js';
import { authenticate, hashPassword, setPassword } from '../db/repositories/users.js';
import { bool, newId, nowIso } from '../db/rows.js';
import { SessionRegistry, type SessionChange } from './sessions.js';
import { FailureThrottle, signInThrottle } from './throttle.js';

/**
 * Sign-in, first run and sessions for every transport. The handlers of `auth.*` call this; the
 * transports call `resolveUser`; the dispatcher calls `auditRefusal` for each FORBIDDEN call.
 * Passwords are only ever handed to scrypt: never logged, never audited, never kept.
 */
export interface Auth {
  readonly sessions: SessionRegistry;
  resolveUser(sessionId: string): CallContext['user'];
  status(ctx: CallContext): Promise<AuthStatus>;
  setupPractice(ctx: CallContext, input: PracticeSetup): Promise<AuthStatus>;
  signIn(ctx: CallContext, username: string, password: string): Promise<AuthStatus>;
  signOut(ctx: CallContext): Promise<AuthStatus>;
  lock(ctx: CallContext): Promise<AuthStatus>;
  changePassword(ctx: CallContext, current: string, next: string): Promise<void>;
  auditRefusal(method: MethodName, ctx: CallContext): Promise<void>;
  close(): void;
}

const wrongCredentials = 'Wrong user name or password';

export function createAuth(services: Services, options: { now?: () => number } = {}): Auth {
  const { config, log } = services;
  const sessions = new SessionRegistry({
    autoLockMs: config.autoLockMinutes * 60_000,
    now: options.now,
    onChange: (_sessionId, state: SessionChange) => services.events.emit('auth.changed', { workstation: config.workstation, state }),
  });
  sessions.startIdleCheck();
  const throttleOptions = { ...signInThrottle, now: options.now };
  const byUsername = new FailureThrottle(throttleOptions);
  const bySession = new FailureThrottle(throttleOptions);
  const knex = () => services.database().knex;

  async function practice(): Promise<{ id: string; name: string; demo: boolean } | null> {
    return (await listPractices(knex()))[0] ?? null;
  }

  async function status(ctx: CallContext): Promise<AuthStatus> {
    const found = await practice();
    const session = sessions.get(ctx.sessionId);
    return {
      setupNeeded: found === null,
      practice: found && { name: found.name, demo: found.demo },
      language: config.language,
      autoLockMinutes: config.autoLockMinutes,
      session: session
        ? {
            state: session.locked ? 'locked' : 'signedIn',
            user: { id: session.user.id, username: session.user.username, displayName: session.user.displayName, role: session.user.role },
          }
        : { state: 'signedOut' },
    };
  }

  function record(ctx: CallContext, practiceId: string | null, userId: string | null, action: string, detail?: Record<string, string | boolean | number>) {
    return appendAudit(knex(), { practiceId, userId, workstation: ctx.workstation, action, detail });
  }

  return {
    sessions,
    resolveUser: (sessionId) => sessions.resolveUser(sessionId),
    status,

    async setupPractice(ctx, input) {
      const passwordHash = await hashPassword(input.admin.password);
      const created = await services.database().write(async (trx) => {
        // Two first-run screens submitting at once: the second waits here, then finds the practice.
        if (isPostgres(trx)) await trx.raw('lock table practices in exclusive mode');
        if ((await trx('practices').first('id')) !== undefined) return null;
        const now = nowIso();
        const practiceId = newId();
        await trx('practices').insert({ id: practiceId, name: input.practiceName, demo: false, created_at: now, updated_at: now, version: 1 });
        const admin = { id: newId(), username: input.admin.username, displayName: input.admin.displayName };
        await insertUser(trx, { ...admin, practiceId, role: 'admin', passwordHash, now });
        return { practiceId, admin };
      });
      if (!created) throw new AppError('CONFLICT', 'This practice is already set up: sign in, or ask its administrator for an account');
      await record(ctx, created.practiceId, created.admin.id, 'practice.setup');
      sessions.signIn(ctx.sessionId, { ...created.admin, role: 'admin', practiceId: created.practiceId });
      log.info({ practiceId: created.practiceId, userId: created.admin.id }, 'practice set up');
      return status(ctx);
    },

    async signIn(ctx, username, password) {
      const found = await practice();
      if (!found) throw new AppError('UNAUTHENTICATED', 'No practice is set up on this workstation yet');
      const userKey = `${found.id}:${username}`;
      const wait = Math.max(byUsername.waitMs(userKey), bySession.waitMs(ctx.sessionId));
      const known = await knex()('users').where({ practice_id: found.id, username }).first('id', 'active');
      if (wait > 0) {
        await record(ctx, found.id, known?.id ?? null, 'auth.signIn.throttled', { knownUser: Boolean(known) });
        throw new AppError('UNAVAILABLE', `Too many failed sign-ins: try again in ${Math.ceil(wait / 1000)} s`);
      }
      const user = await authenticate(knex(), found.id, username, password);
      if (!user) {
        byUsername.fail(userKey);
        bySession.fail(ctx.sessionId);
        await record(ctx, found.id, known?.id ?? null, 'auth.signIn.failed', {
          reason: !known ? 'unknown-user' : bool(known.active) ? 'wrong-password' : 'inactive-user',
        });
        throw new AppError('UNAUTHENTICATED', wrongCredentials);
      }
      byUsername.succeed(userKey);
      bySession.succeed(ctx.sessionId);
      const before = sessions.get(ctx.sessionId);
      sessions.signIn(ctx.sessionId, { id: user.id, username: user.username, displayName: user.displayName, role: user.role, practiceId: found.id });
      const detail: Record<string, string | boolean> = { role: user.role };
      if (before && before.user.id !== user.id) detail.switchedFrom = before.user.id;
      if (before?.locked && before.user.id === user.id) detail.unlocked = true;
      await record(ctx, found.id, user.id, 'auth.signIn', detail);
      return status(ctx);
    },

    async signOut(ctx) {
      const session = sessions.get(ctx.sessionId);
      if (session) {
        sessions.signOut(ctx.sessionId);
        await record(ctx, session.user.practiceId, session.user.id, 'auth.signOut');
      }
      return status(ctx);
    },

    async lock(ctx) {
      const session = sessions.get(ctx.sessionId);
      if (session && !session.locked) {
        sessions.lock(ctx.sessionId);
        await record(ctx, session.user.practiceId, session.user.id, 'auth.lock');
      }
      return status(ctx);
    },

    async changePassword(ctx, current, next) {
      const session = sessions.get(ctx.sessionId);
      if (!ctx.user || !session) throw new AppError('UNAUTHENTICATED', 'Sign in to continue');
      const userKey = `${ctx.user.practiceId}:${session.user.username}`;
      if (byUsername.waitMs(userKey) > 0) throw new AppError('UNAVAILABLE', 'Too many failed attempts: try again later');
      if (!(await authenticate(knex(), ctx.user.practiceId, session.user.username, current))) {
        byUsername.fail(userKey);
        await record(ctx, ctx.user.practiceId, ctx.user.id, 'auth.password.failed');
        throw new AppError('UNAUTHENTICATED', 'The current password is wrong');
      }
      await setPassword(services.database(), ctx.user.practiceId, ctx.user.id, next);
      await record(ctx, ctx.user.practiceId, ctx.user.id, 'auth.password.changed');
    },

    async auditRefusal(method, ctx) {
      try {
        await record(ctx, ctx.user?.practiceId ?? null, ctx.user?.id ?? null, 'access.refused', { method, role: ctx.user?.role ?? 'none' });
      } catch (error) {
        // The refusal stands either way; a database that cannot take the entry is in the log.
        log.error({ method, err: String(error) }, 'refused call not audited');
      }
    },

    close: () => sessions.stopIdleCheck(),
  };
}

/** The same row `users.create` writes, inside the first-run transaction. */
async function insertUser(
  trx: Knex.Transaction,
  user: { id: string; practiceId: string; username: string; displayName: string; role: string; passwordHash: string; now: string },
): Promise<void> {
  await trx('users').insert({
    id: user.id,
    practice_id: user.practiceId,
    username: user.username,
    display_name: user.displayName,
    role: user.role,
    password_hash: user.passwordHash,
    active: true,
    created_at: user.now,
    updated_at: user.now,
    version: 1,
  });
}

/**
 * Wraps the user-management handlers so a change an administrator makes takes effect at once:
 * a user deactivated, given another role or a new password is signed out everywhere (their
 * next call is UNAUTHENTICATED and they sign in again with what is now true).
 */
export function endSessionsOnUserChange(handlers: Handlers, auth: Pick<Auth, 'sessions'>): Handlers {
  return {
    ...handlers,
    'users.update': async (input, ctx) => {
      const user = await handlers['users.update'](input, ctx);
      if (input.active === false || input.role !== undefined) auth.sessions.signOutUser(input.id);
      return user;
    },
    'users.setPassword': async (input, ctx) => {
      const result = await handlers['users.setPassword'](input, ctx);
      if (input.id !== ctx.user?.id) auth.sessions.signOutUser(input.id);
      return result;
    },
  };
}
