import { languageSchema, type Language } from '../../contract/methods/app.js';

export const languages = languageSchema.options;

/** Where the language chosen in the header is remembered on this computer. */
export const languageStorageKey = 'cusp.language';

export function readStoredLanguage(storage: Pick<Storage, 'getItem'> | undefined = safeLocalStorage()): Language | null {
  const parsed = languageSchema.safeParse(storage?.getItem(languageStorageKey));
  return parsed.success ? parsed.data : null;
}

export function storeLanguage(language: Language, storage: Pick<Storage, 'setItem'> | undefined = safeLocalStorage()): void {
  try {
    storage?.setItem(languageStorageKey, language);
  } catch {
    // Storage full or disabled: the choice holds until the page is reloaded.
  }
}

/** The first of the browser's preferred languages Cusp speaks, e.g. 'fr-CA' → 'fr'. */
export function browserLanguage(preferred: readonly string[] = navigator.languages): Language | null {
  for (const tag of preferred) {
    const parsed = languageSchema.safeParse(tag.toLowerCase().split('-')[0]);
    if (parsed.success) return parsed.data;
  }
  return null;
}

/**
 * Which language the UI opens in: the one chosen on this computer, else the workstation's
 * configured language (`app.info`), else the browser's, else French.
 */
export function chooseLanguage(choices: { stored: Language | null; configured: Language | null; browser: Language | null }): Language {
  return choices.stored ?? choices.configured ?? choices.browser ?? 'fr';
}

function safeLocalStorage(): Storage | undefined {
  try {
    return globalThis.localStorage;
  } catch {
    return undefined; // access denied (privacy settings)
  }
}
