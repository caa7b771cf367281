import type { Role } from '../../contract/index.js';

/** The signed-in person behind a call, as main knows it (never as the renderer claims it). */
export interface SessionUser {
  id: string;
  role: Role;
  practiceId: string;
}

/** Who is calling, established by the transport for every call. */
export interface CallContext {
  transport: 'ipc' | 'http' | 'memory' | 'cli';
  /** Workstation name, for the audit log. */
  workstation: string;
  /** Transport-level session (an IPC window, a browser tab); sign-in attaches a user to it. */
  sessionId: string;
  user: SessionUser | null;
}
