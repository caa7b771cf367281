import { useTranslation } from 'react-i18next';
import { languageSchema } from '../../contract/methods/app.js';
import { languages, storeLanguage } from '../i18n/language.js';

/** Switches the whole UI at once and remembers the choice on this computer. */
export function LanguageSwitch() {
  const { t, i18n } = useTranslation();
  return (
    <label className="language-switch">
      <span>{t('language.label')}</span>
      <select
        value={i18n.language}
        onChange={(event) => {
          const language = languageSchema.parse(event.target.value);
          storeLanguage(language);
          void i18n.changeLanguage(language);
        }}
      >
        {languages.map((language) => (
          <option key={language} value={language} lang={language}>
            {t(`language.${language}`)}
          </option>
        ))}
      </select>
    </label>
  );
}
