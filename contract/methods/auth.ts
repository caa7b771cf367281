import { z } from 'zod';
import { roleSchema } from '../access.js';
import { idSchema } from '../common.js';
import { defineMethods } from '../define.js';
import { languageSchema } from './app.js';
import { passwordSchema, userCreateSchema } from './users.js';

/**
 * Sign-in on a workstation. A session is the transport's (one Electron window, one browser
 * cookie); main keeps who is signed in to it and never takes the renderer's word for it.
 */
export const sessionUserSchema = z.object({
  id: idSchema,
  username: z.string(),
  displayName: z.string(),
  role: roleSchema,
});
export type SessionUserInfo = z.infer<typeof sessionUserSchema>;

export const authStatusSchema = z.object({
  /** No practice in the database yet: the app opens on the welcome screen. */
  setupNeeded: z.boolean(),
  practice: z.object({ name: z.string(), demo: z.boolean() }).nullable(),
  /** The workstation's configured language. */
  language: languageSchema,
  /** Minutes without activity after which a session locks. */
  autoLockMinutes: z.number().int().positive(),
  session: z.discriminatedUnion('state', [
    z.object({ state: z.literal('signedOut') }),
    /** `locked`: the user stays named (for the lock screen) but every call needs the password again. */
    z.object({ state: z.enum(['signedIn', 'locked']), user: sessionUserSchema }),
  ]),
});
export type AuthStatus = z.infer<typeof authStatusSchema>;

export const practiceSetupSchema = z
  .object({
    practiceName: z.string().trim().min(1).max(200),
    admin: userCreateSchema.omit({ role: true }),
  })
  .strict();
export type PracticeSetup = z.output<typeof practiceSetupSchema>;

export const signInSchema = z
  .object({
    username: z.string().trim().toLowerCase().min(1).max(40),
    password: z.string().min(1).max(200),
  })
  .strict();

/** Sent to every window when a session of this workstation signs in, locks or signs out. */
export const authChangedSchema = z.object({
  workstation: z.string(),
  state: z.enum(['signedIn', 'locked', 'signedOut']),
});
export type AuthChanged = z.infer<typeof authChangedSchema>;

const empty = z.object({}).strict();

export const authMethods = defineMethods({
  'auth.status': { input: empty, output: authStatusSchema, access: 'public' },
  /** Only on a database without a practice: creates it and its first admin, signed in at once. CONFLICT afterwards. */
  'auth.setupPractice': { input: practiceSetupSchema, output: authStatusSchema, access: 'public' },
  /**
   * Signs this session in. Signing in as someone else replaces the user (quick switch); as the
   * same user on a locked session, unlocks it. Wrong name or password: UNAUTHENTICATED; too
   * many failures for that name or this session: UNAVAILABLE until the wait is over.
   */
  'auth.signIn': { input: signInSchema, output: authStatusSchema, access: 'public' },
  'auth.signOut': { input: empty, output: authStatusSchema, access: 'public' },
  /** Locks this session now (the user menu, or the renderer noticing inactivity). */
  'auth.lock': { input: empty, output: authStatusSchema, access: 'public' },
  /** The person is active in this window (keys, pointer) though it makes no call: postpones the auto-lock. */
  'auth.touch': { input: empty, output: z.object({ ok: z.literal(true) }), access: 'signedIn' },
  /** The signed-in user changes their own password. */
  'auth.changePassword': {
    input: z.object({ current: z.string().min(1).max(200), next: passwordSchema }).strict(),
    output: z.object({ ok: z.literal(true) }),
    access: 'signedIn',
  },
});
