import { useTranslation } from 'react-i18next';
import { PlaceholderPage } from './PlaceholderPage.js';

export function InboxPage() {
  const { t } = useTranslation();
  const planned = [t('inbox.planned.list'), t('inbox.planned.assign'), t('inbox.planned.split')];
  return <PlaceholderPage title={t('inbox.title')} lead={t('inbox.lead')} planned={planned} />;
}
