import { useTranslation } from 'react-i18next';
import { defaultPath, hrefFor } from '../shell/router.js';
import { PageHeading } from './PlaceholderPage.js';

/** A screen the signed-in role may not open (reached by its address: the menu does not offer it). */
export function ForbiddenPage() {
  const { t } = useTranslation();
  return (
    <>
      <PageHeading title={t('forbidden.title')} lead={t('forbidden.body')} />
      <p>
        <a href={hrefFor(defaultPath)}>{t('notFound.back')}</a>
      </p>
    </>
  );
}
