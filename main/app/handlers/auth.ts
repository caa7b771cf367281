import type { Auth } from '../../auth/service.js';
import type { Handlers } from '../dispatcher.js';

type AuthHandlers = Pick<Handlers, 'auth.status' | 'auth.setupPractice' | 'auth.signIn' | 'auth.signOut' | 'auth.lock' | 'auth.touch' | 'auth.changePassword'>;

/** Sign-in and first run: thin over main/auth, which owns the sessions of every transport. */
export function authHandlers(auth: Auth): AuthHandlers {
  return {
    'auth.status': (_input, ctx) => auth.status(ctx),
    'auth.setupPractice': (input, ctx) => auth.setupPractice(ctx, input),
    'auth.signIn': ({ username, password }, ctx) => auth.signIn(ctx, username, password),
    'auth.signOut': (_input, ctx) => auth.signOut(ctx),
    'auth.lock': (_input, ctx) => auth.lock(ctx),
    // The dispatcher has already resolved the user, which is what counts as activity.
    'auth.touch': () => ({ ok: true as const }),
    'auth.changePassword': async ({ current, next }, ctx) => {
      await auth.changePassword(ctx, current, next);
      return { ok: true as const };
    },
  };
}
