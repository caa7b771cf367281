import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';

/**
 * A screen whose workflow comes in a later issue: it says what it will do and that nothing
 * on it is patient data, rather than showing invented records.
 */
export function PlaceholderPage({ title, lead, planned, children }: { title: string; lead: string; planned: string[]; children?: ReactNode }) {
  const { t } = useTranslation();
  return (
    <>
      <PageHeading title={title} lead={lead} />
      <p className="notice" role="note">
        {t('page.notReady')}
      </p>
      <section className="card" aria-labelledby="planned-title">
        <h2 id="planned-title">{t('page.comingTitle')}</h2>
        <ul className="planned">
          {planned.map((item) => (
            <li key={item}>{item}</li>
          ))}
        </ul>
      </section>
      {children}
    </>
  );
}

/** The page's h1; it takes the focus after each navigation so screen readers announce the new page. */
export function PageHeading({ title, lead }: { title: string; lead: string }) {
  return (
    <header className="page-heading">
      <h1 id="page-title" tabIndex={-1}>
        {title}
      </h1>
      <p className="lead">{lead}</p>
    </header>
  );
}
