import { useEffect } from 'react';
import { useTranslation } from 'react-i18next';
import { BrandMark } from '../shell/BrandMark.js';

/**
 * `/consult`: the patient-facing screen (second window or second monitor). It never shows the
 * shell — no navigation, schedule or status — only what the chair sends (a later issue); until
 * then it waits, calmly.
 */
export function ConsultPage() {
  const { t } = useTranslation();
  useEffect(() => {
    document.title = `${t('consult.title')} — ${t('app.name')}`;
  }, [t]);
  return (
    <main className="consult">
      <BrandMark />
      <h1 className="visually-hidden">{t('consult.title')}</h1>
      <p>{t('consult.waiting')}</p>
    </main>
  );
}
