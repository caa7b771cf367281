import { useEffect } from 'react';
import { useTranslation } from 'react-i18next';
import { useCusp } from '../../api/CuspProvider.js';
import { readStoredLanguage, storeLanguage } from '../../i18n/language.js';
import { useUser } from '../auth/AuthProvider.js';

/**
 * Once someone is signed in, the UI follows their own language (Settings → My language) on any
 * workstation; someone who has not chosen one gets the practice's language, unless a language was
 * picked on this computer with the header switch.
 */
export function useSignedInLanguage(): void {
  const { i18n } = useTranslation();
  const client = useCusp();
  const userId = useUser()?.id ?? null;
  useEffect(() => {
    if (!userId) return;
    let cancelled = false;
    void client.tryCall('settings.language', {}).then((result) => {
      if (cancelled || !result.ok) return;
      const { user, practiceDefault } = result.value;
      if (user) {
        storeLanguage(user);
        if (i18n.language !== user) void i18n.changeLanguage(user);
      } else if (!readStoredLanguage() && i18n.language !== practiceDefault) {
        void i18n.changeLanguage(practiceDefault);
      }
    });
    return () => {
      cancelled = true;
    };
  }, [userId, client, i18n]);
}
