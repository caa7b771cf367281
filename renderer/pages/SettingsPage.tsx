import { useTranslation } from 'react-i18next';
import { useCall } from '../api/CuspProvider.js';
import { useCan } from '../features/auth/AuthProvider.js';
import { AdminSettings, MyLanguageCard } from '../features/settings/AdminSettings.js';
import { MyPasswordCard, PracticeSettings } from '../features/settings/PracticeSettings.js';
import { ErrorMessage } from '../shell/ErrorMessage.js';
import { PageHeading } from './PlaceholderPage.js';

/** Everyone sees what this workstation is connected to and picks their language; administrators also set up the practice. */
export function SettingsPage() {
  const { t } = useTranslation();
  const can = useCan();
  return (
    <>
      <PageHeading title={t('settings.title')} lead={t('settings.lead')} />
      {can('admin') && <PracticeSettings />}
      {can('admin') && <AdminSettings />}
      <MyLanguageCard />
      <MyPasswordCard />
      <AboutWorkstation />
    </>
  );
}

/** What this workstation is connected to, read from `app.info` (never credentials). */
function AboutWorkstation() {
  const { t } = useTranslation();
  const { value: info, error, reload } = useCall('app.info', {});

  return (
    <section className="card" aria-labelledby="about-title">
      <h2 id="about-title">{t('settings.about.title')}</h2>
      {error !== null && <ErrorMessage error={error} onRetry={reload} />}
      {error === null && !info && <p>{t('settings.about.loading')}</p>}
      {info && (
        <dl className="facts">
          <dt>{t('settings.about.version')}</dt>
          <dd>{info.version}</dd>
          <dt>{t('settings.about.dataDir')}</dt>
          <dd className="path">{info.dataDir}</dd>
          <dt>{t('settings.about.database')}</dt>
          <dd>
            {info.database.client} — <span className="path">{info.database.location}</span>
          </dd>
          <dt>{t('settings.about.store')}</dt>
          <dd>
            {info.store.backend} — <span className="path">{info.store.location}</span>
          </dd>
          <dt>{t('settings.about.orthanc')}</dt>
          <dd>{info.orthanc.configured ? info.orthanc.url : t('settings.about.notConfigured')}</dd>
        </dl>
      )}
    </section>
  );
}
