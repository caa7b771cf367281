import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { roleGrants, type Access, type AuthStatus, type SessionUserInfo } from '../../../contract/index.js';
import { useCusp, useEvent } from '../../api/CuspProvider.js';

interface AuthContextValue {
  status: AuthStatus | null;
  /** The last failure to read the status (main unreachable), or null. */
  error: unknown;
  /** Replaces the status with what an auth.* call answered. */
  update(status: AuthStatus): void;
  refresh(): void;
}

const AuthContext = createContext<AuthContextValue | null>(null);

/**
 * Who is signed in on this window, as main says (`auth.status`). Re-read whenever main reports a
 * sign-in, lock or sign-out on this workstation — the auto-lock comes from main, not a timer here.
 */
export function AuthProvider({ children }: { children: ReactNode }) {
  const client = useCusp();
  const [status, setStatus] = useState<AuthStatus | null>(null);
  const [error, setError] = useState<unknown>(null);
  const refresh = useCallback(() => {
    client.call('auth.status', {}).then(
      (next) => {
        setError(null);
        setStatus(next);
      },
      setError,
    );
  }, [client]);
  useEffect(refresh, [refresh]);
  useEvent('auth.changed', refresh);
  const value = useMemo(() => ({ status, error, update: setStatus, refresh }), [status, error, refresh]);
  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}

export function useAuth(): AuthContextValue {
  const value = useContext(AuthContext);
  if (!value) throw new Error('useAuth() needs an <AuthProvider> above it');
  return value;
}

/** The signed-in user of this window, or null. */
export function useUser(): SessionUserInfo | null {
  const { status } = useAuth();
  return status?.session.state === 'signedIn' ? status.session.user : null;
}

/** Whether the signed-in user's role allows `access` (to hide what main would refuse anyway). */
export function useCan(): (access: Access) => boolean {
  const user = useUser();
  return useCallback((access: Access) => (user ? roleGrants(user.role, access) : access === 'public'), [user]);
}
