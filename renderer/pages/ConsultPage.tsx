import { useCallback, useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { ConsultContent } from '../../contract/index.js';
import { useCusp, useEvent } from '../api/CuspProvider.js';
import { ConsultView } from '../features/consult/ConsultView.js';
import { BrandMark } from '../shell/BrandMark.js';

/**
 * `/consult`: the patient-facing screen (second window or second monitor). It never shows the
 * shell — no navigation, schedule, patient list or status — only what its own chair pushed
 * (`consult.display` answers for this browser session, or this workstation in the desktop app).
 * When the chair clears it, locks or signs out, it goes blank at once.
 */
export function ConsultPage() {
  const { t } = useTranslation();
  const client = useCusp();
  const [content, setContent] = useState<ConsultContent | null>(null);
  const [blank, setBlank] = useState(false);
  const display = useRef<string | null>(null);
  const generation = useRef(0);

  const refresh = useCallback(() => {
    const current = ++generation.current;
    void client.tryCall('consult.display', {}).then((result) => {
      if (current !== generation.current) return;
      display.current = result.ok ? result.value.display : null;
      setContent(result.ok ? result.value.content : null);
    });
  }, [client]);

  useEffect(refresh, [refresh]);
  useEvent('consult.changed', ({ display: which }) => {
    if (which === display.current) refresh();
  });
  useEvent('auth.changed', ({ state }) => {
    // Blank first, then ask: nothing stays on screen while the answer travels.
    if (state !== 'signedIn') {
      generation.current++;
      setContent(null);
      setBlank(true);
    } else setBlank(false);
    refresh();
  });
  useEffect(() => {
    document.title = `${t('consult.title')} — ${t('app.name')}`;
  }, [t]);

  if (content) {
    return (
      <main className="consult" data-state="showing" data-kind={content.kind} aria-label={t('consult.title')}>
        <ConsultView content={content} />
      </main>
    );
  }
  if (blank) return <main className="consult consult-blank" data-state="blank" aria-label={t('consult.title')} />;
  return (
    <main className="consult" data-state="waiting">
      <BrandMark />
      <h1 className="visually-hidden">{t('consult.title')}</h1>
      <p>{t('consult.waiting')}</p>
    </main>
  );
}
