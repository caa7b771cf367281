import type { SessionUserInfo } from '../../contract/index.js';
import type { SessionUser } from '../app/context.js';

/**
 * Who is signed in to each transport session of this process (an Electron window, a browser's
 * `cusp_session` cookie). Every transport resolves the user of a call here, so IPC, HTTP and
 * the in-memory transport behave the same. Sessions live in memory: restarting main signs
 * everyone out, which is what a workstation expects.
 *
 * A session locks after `autoLockMs` without a call that needs a user (public calls such as
 * health or status do not count as activity), or on request. A locked session keeps its user
 * (the lock screen names them) but resolves to no user until the password is given again.
 */
export interface SignedInUser extends SessionUser, SessionUserInfo {}

export interface SessionState {
  user: SignedInUser;
  locked: boolean;
  lastActivity: number;
}

export type SessionChange = 'signedIn' | 'locked' | 'signedOut';

export interface SessionRegistryOptions {
  autoLockMs: number;
  now?: () => number;
  /** Called for every change, including automatic locks (to tell the windows). */
  onChange?: (sessionId: string, change: SessionChange) => void;
}

export class SessionRegistry {
  private readonly sessions = new Map<string, SessionState>();
  private readonly now: () => number;
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly options: SessionRegistryOptions) {
    this.now = options.now ?? Date.now;
  }

  get autoLockMs(): number {
    return this.options.autoLockMs;
  }

  /** The user a call of this session runs as, or null (signed out or locked). Counts as activity. */
  resolveUser(sessionId: string): SessionUser | null {
    const session = this.current(sessionId);
    if (!session || session.locked) return null;
    session.lastActivity = this.now();
    const { id, role, practiceId } = session.user;
    return { id, role, practiceId };
  }

  /** The session as it is now (locking it first if it has been idle too long); not activity. */
  get(sessionId: string): Readonly<SessionState> | null {
    return this.current(sessionId);
  }

  signIn(sessionId: string, user: SignedInUser): void {
    this.sessions.set(sessionId, { user, locked: false, lastActivity: this.now() });
    this.options.onChange?.(sessionId, 'signedIn');
  }

  signOut(sessionId: string): void {
    if (this.sessions.delete(sessionId)) this.options.onChange?.(sessionId, 'signedOut');
  }

  lock(sessionId: string): void {
    const session = this.sessions.get(sessionId);
    if (!session || session.locked) return;
    session.locked = true;
    this.options.onChange?.(sessionId, 'locked');
  }

  /** Signs out every session of a user (deactivated, or password changed by an admin). */
  signOutUser(userId: string): void {
    for (const [sessionId, session] of this.sessions) if (session.user.id === userId) this.signOut(sessionId);
  }

  /** Locks idle sessions every `intervalMs`, so windows hear of it without making a call. */
  startIdleCheck(intervalMs = 15_000): void {
    this.stopIdleCheck();
    this.timer = setInterval(() => this.lockIdle(), intervalMs);
    this.timer.unref();
  }

  stopIdleCheck(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  lockIdle(): void {
    for (const sessionId of this.sessions.keys()) this.current(sessionId);
  }

  private current(sessionId: string): SessionState | null {
    const session = this.sessions.get(sessionId);
    if (!session) return null;
    if (!session.locked && this.now() - session.lastActivity >= this.options.autoLockMs) this.lock(sessionId);
    return session;
  }
}
