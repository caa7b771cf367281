import { useEffect, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { BrandMark } from '../../shell/BrandMark.js';
import { LanguageSwitch } from '../../shell/LanguageSwitch.js';

/** The frame of the screens before the shell: welcome, sign-in, lock. No navigation, no patient data. */
export function AuthLayout({ title, lead, wide, children }: { title: string; lead?: string; wide?: boolean; children: ReactNode }) {
  const { t } = useTranslation();
  useEffect(() => {
    document.title = `${title} — ${t('app.name')}`;
  }, [title, t]);
  return (
    <div className="auth-screen">
      <header className="auth-header">
        <div className="brand">
          <BrandMark />
          <span className="brand-name">{t('app.name')}</span>
          <span className="brand-tagline">{t('app.tagline')}</span>
        </div>
        <LanguageSwitch />
      </header>
      <main className="auth-main" id="main">
        <div className="auth-band">
          <div className={`auth-column${wide ? ' auth-wide' : ''}`}>
            <h1 id="page-title">{title}</h1>
            {lead && <p className="lead">{lead}</p>}
          </div>
        </div>
        <div className={`auth-column auth-body${wide ? ' auth-wide' : ''}`}>{children}</div>
      </main>
    </div>
  );
}
