import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import type { CallError, SessionUserInfo } from '../../../contract/index.js';
import { useCusp } from '../../api/CuspProvider.js';
import { ErrorMessage } from '../../shell/ErrorMessage.js';
import { Field } from '../common/Field.js';
import { AuthLayout } from './AuthLayout.js';
import { useAuth } from './AuthProvider.js';

/** Signed out: name and password. */
export function SignInPage() {
  const { t } = useTranslation();
  const { status } = useAuth();
  return (
    <AuthLayout title={t('auth.signIn.title')} lead={status?.practice?.name}>
      {status?.practice?.demo && <p className="notice demo-notice">{t('auth.demoPractice')}</p>}
      <SignInForm />
    </AuthLayout>
  );
}

/** Locked: the same person gives their password again, or someone else signs in instead. */
export function LockScreen({ user }: { user: SessionUserInfo }) {
  const { t } = useTranslation();
  const [switching, setSwitching] = useState(false);
  return (
    <AuthLayout title={t('auth.lock.title')} lead={switching ? t('auth.switch.lead') : t('auth.lock.lead', { name: user.displayName })}>
      {switching ? (
        <SignInForm key="other" onCancel={() => setSwitching(false)} />
      ) : (
        <SignInForm key="same" username={user.username} onSwitch={() => setSwitching(true)} />
      )}
    </AuthLayout>
  );
}

/**
 * One form for sign-in, unlock and switching user: main decides which it is from the name
 * (same user on a locked session: unlock; someone else: the session becomes theirs).
 */
export function SignInForm({
  username: fixedName,
  onCancel,
  onSwitch,
  onDone,
}: {
  username?: string;
  onCancel?: () => void;
  onSwitch?: () => void;
  onDone?: () => void;
}) {
  const { t } = useTranslation();
  const client = useCusp();
  const { update } = useAuth();
  const [username, setUsername] = useState(fixedName ?? '');
  const [password, setPassword] = useState('');
  const [missing, setMissing] = useState<{ username?: boolean; password?: boolean }>({});
  const [failure, setFailure] = useState<CallError | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent) {
    event.preventDefault();
    const empty = { username: !username.trim(), password: !password };
    setMissing(empty);
    if (empty.username || empty.password) return;
    setBusy(true);
    const result = await client.tryCall('auth.signIn', { username, password });
    setBusy(false);
    setPassword('');
    if (result.ok) {
      setFailure(null);
      update(result.value);
      onDone?.();
    } else setFailure(result.error);
  }

  return (
    <form className="card sign-in-card" onSubmit={submit} noValidate aria-label={t('auth.signIn.title')}>
      {fixedName === undefined && (
        <Field label={t('users.username')} error={missing.username ? t('validation.required') : null}>
          {(props) => <input {...props} value={username} onChange={(e) => setUsername(e.target.value)} autoComplete="username" autoCapitalize="none" autoFocus />}
        </Field>
      )}
      <Field label={t('users.password')} error={missing.password ? t('validation.required') : null}>
        {(props) => (
          <input {...props} type="password" value={password} onChange={(e) => setPassword(e.target.value)} autoComplete="current-password" autoFocus={fixedName !== undefined} />
        )}
      </Field>
      {failure?.code === 'UNAUTHENTICATED' && (
        <p className="form-error" role="alert">
          {t('auth.signIn.wrong')}
        </p>
      )}
      {failure?.code === 'UNAVAILABLE' && (
        <p className="form-error" role="alert">
          {t('auth.signIn.throttled')}
        </p>
      )}
      {failure && failure.code !== 'UNAUTHENTICATED' && failure.code !== 'UNAVAILABLE' && <ErrorMessage error={failure} />}
      <div className="form-actions">
        <button type="submit" className="primary" disabled={busy}>
          {fixedName === undefined ? t('auth.signIn.submit') : t('auth.lock.unlock')}
        </button>
        {onSwitch && (
          <button type="button" onClick={onSwitch}>
            {t('auth.switch.action')}
          </button>
        )}
        {onCancel && (
          <button type="button" onClick={onCancel}>
            {t('common.cancel')}
          </button>
        )}
      </div>
    </form>
  );
}
