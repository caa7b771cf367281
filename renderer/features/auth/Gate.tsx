import { useTranslation } from 'react-i18next';
import { ErrorMessage } from '../../shell/ErrorMessage.js';
import { Shell } from '../../shell/Shell.js';
import { useAuth } from './AuthProvider.js';
import { LockScreen, SignInPage } from './SignInPage.js';
import { WelcomePage } from './WelcomePage.js';

/** What this window shows for its session: first run, sign-in, the lock screen, or the app. */
export function Gate() {
  const { t } = useTranslation();
  const { status, error, refresh } = useAuth();
  if (!status) {
    return error !== null ? (
      <div className="splash">
        <ErrorMessage error={error} onRetry={refresh} />
      </div>
    ) : (
      <div className="splash" aria-busy="true">
        {t('app.starting')}
      </div>
    );
  }
  if (status.setupNeeded) return <WelcomePage />;
  if (status.session.state === 'signedOut') return <SignInPage />;
  if (status.session.state === 'locked') return <LockScreen user={status.session.user} />;
  return <Shell />;
}
