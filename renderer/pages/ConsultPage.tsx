import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useEvent } from '../api/CuspProvider.js';
import { BrandMark } from '../shell/BrandMark.js';

/**
 * `/consult`: the patient-facing screen (second window or second monitor). It never shows the
 * shell — no navigation, schedule or status — only what the chair sends (a later issue); until
 * then it waits, calmly. When the chair's session locks or signs out it goes blank at once,
 * so nothing stays on the patient's screen while the clinician is away.
 */
export function ConsultPage() {
  const { t } = useTranslation();
  const [blank, setBlank] = useState(false);
  useEvent('auth.changed', ({ state }) => setBlank(state !== 'signedIn'));
  useEffect(() => {
    document.title = `${t('consult.title')} — ${t('app.name')}`;
  }, [t]);
  if (blank) return <main className="consult consult-blank" data-state="blank" aria-label={t('consult.title')} />;
  return (
    <main className="consult" data-state="waiting">
      <BrandMark />
      <h1 className="visually-hidden">{t('consult.title')}</h1>
      <p>{t('consult.waiting')}</p>
    </main>
  );
}
