import type { i18n } from 'i18next';
import { useEffect, useState } from 'react';
import { I18nextProvider } from 'react-i18next';
import { CuspProvider, useCusp } from '../api/CuspProvider.js';
import type { RendererTransport } from '../api/transport.js';
import { createI18n } from '../i18n/index.js';
import { browserLanguage, chooseLanguage, readStoredLanguage } from '../i18n/language.js';
import { AuthProvider } from '../features/auth/AuthProvider.js';
import { Gate } from '../features/auth/Gate.js';
import { ConsultPage } from '../pages/ConsultPage.js';

export function Root({ transport }: { transport: RendererTransport }) {
  return (
    <CuspProvider transport={transport}>
      <WithLanguage />
    </CuspProvider>
  );
}

/**
 * Opens the UI in the right language at once: the choice remembered on this computer if there
 * is one; otherwise it first asks main for the workstation's language, so the first screen
 * does not flash in the browser's language.
 */
function WithLanguage() {
  const client = useCusp();
  const [instance, setInstance] = useState<i18n | null>(() => {
    const stored = readStoredLanguage();
    return stored ? createI18n(stored) : null;
  });

  useEffect(() => {
    if (instance) return;
    let cancelled = false;
    void client.tryCall('app.info', {}).then((result) => {
      if (cancelled) return;
      const configured = result.ok ? result.value.language : null;
      setInstance(createI18n(chooseLanguage({ stored: null, configured, browser: browserLanguage() })));
    });
    return () => {
      cancelled = true;
    };
  }, [client, instance]);

  if (!instance) return <div className="splash" aria-busy="true">Cusp</div>;
  return (
    <I18nextProvider i18n={instance}>
      {isConsultPage(window.location.pathname) ? (
        <ConsultPage />
      ) : (
        <AuthProvider>
          <Gate />
        </AuthProvider>
      )}
    </I18nextProvider>
  );
}

/** The consultation screen has its own path (served as index.html), never a route of the shell. */
export const isConsultPage = (pathname: string) => pathname.replace(/\/+$/, '') === '/consult';
