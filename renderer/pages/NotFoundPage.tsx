import { useTranslation } from 'react-i18next';
import { defaultPath, hrefFor } from '../shell/router.js';
import { PageHeading } from './PlaceholderPage.js';

export function NotFoundPage() {
  const { t } = useTranslation();
  return (
    <>
      <PageHeading title={t('notFound.title')} lead={t('notFound.body')} />
      <p>
        <a href={hrefFor(defaultPath)}>{t('notFound.back')}</a>
      </p>
    </>
  );
}
