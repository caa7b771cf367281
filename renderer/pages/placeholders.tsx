import { useTranslation } from 'react-i18next';
import { PlaceholderPage } from './PlaceholderPage.js';

export function PatientsPage() {
  const { t } = useTranslation();
  const planned = [t('patients.planned.search'), t('patients.planned.chart'), t('patients.planned.edit')];
  return <PlaceholderPage title={t('patients.title')} lead={t('patients.lead')} planned={planned} />;
}

export function SchedulePage() {
  const { t } = useTranslation();
  const planned = [t('schedule.planned.views'), t('schedule.planned.status'), t('schedule.planned.today')];
  return <PlaceholderPage title={t('schedule.title')} lead={t('schedule.lead')} planned={planned} />;
}

export function InboxPage() {
  const { t } = useTranslation();
  const planned = [t('inbox.planned.list'), t('inbox.planned.assign'), t('inbox.planned.split')];
  return <PlaceholderPage title={t('inbox.title')} lead={t('inbox.lead')} planned={planned} />;
}
