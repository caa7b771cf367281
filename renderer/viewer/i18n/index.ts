import en from './en.json';
import frJson from './fr.json';

// The viewer's strings, kept beside it so the viewer can be mounted anywhere (shell, consult
// screen, test page). Typed against English: a French file missing a key does not compile.
const fr: typeof en = frJson;
const strings = { en, fr } as const;

type Leaves<T, P extends string = ''> = {
  [K in keyof T & string]: T[K] extends string ? `${P}${K}` : Leaves<T[K], `${P}${K}.`>;
}[keyof T & string];
export type ViewerKey = Leaves<typeof en>;

export type ViewerText = (key: ViewerKey, values?: Record<string, string | number>) => string;

/** A translator for `language` (anything but French falls back to English). */
export function viewerText(language: string): ViewerText {
  const table = language.toLowerCase().startsWith('fr') ? strings.fr : strings.en;
  return (key, values = {}) => {
    let node: unknown = table;
    for (const part of key.split('.')) node = (node as Record<string, unknown>)[part];
    const text = typeof node === 'string' ? node : key;
    return text.replace(/\{\{(\w+)\}\}/g, (_, name: string) => String(values[name] ?? ''));
  };
}
