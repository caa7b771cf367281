import i18next, { type i18n } from 'i18next';
import { initReactI18next } from 'react-i18next';
import type { Language } from '../../contract/methods/app.js';
import en from './en.json';
import frJson from './fr.json';

// Typed against the English file: a French file missing a key does not compile, and
// tests/renderer/i18n.test.ts checks both directions and every key the code uses.
const fr: typeof en = frJson;

export const resources = { en: { translation: en }, fr: { translation: fr } } as const;

declare module 'i18next' {
  interface CustomTypeOptions {
    defaultNS: 'translation';
    resources: { translation: typeof en };
  }
}

/** One i18next instance for the app; `<html lang>` follows the current language. */
export function createI18n(language: Language, root: HTMLElement = document.documentElement): i18n {
  const instance = i18next.createInstance();
  instance.on('languageChanged', (lng) => {
    root.lang = lng;
  });
  void instance.use(initReactI18next).init({
    resources,
    lng: language,
    fallbackLng: false,
    initAsync: false,
    interpolation: { escapeValue: false }, // React escapes
  });
  root.lang = language;
  return instance;
}
