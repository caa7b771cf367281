// Pins down the bilingual UI: French and English have the same keys and placeholders, every key
// the code uses exists, every value a screen picks at run time (error codes, health states…) has
// its text, and the language is chosen and followed by <html lang> as documented.
import { readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { componentHealthSchema, errorCodes, healthSchema, languageSchema } from '../../contract/index.js';
import en from '../../renderer/i18n/en.json';
import fr from '../../renderer/i18n/fr.json';
import viewerEn from '../../renderer/viewer/i18n/en.json';
import viewerFr from '../../renderer/viewer/i18n/fr.json';
import { createI18n } from '../../renderer/i18n/index.js';
import { browserLanguage, chooseLanguage, readStoredLanguage, storeLanguage } from '../../renderer/i18n/language.js';
import { repoRoot } from '../support/paths.js';

type Tree = { [key: string]: string | Tree };
const catalogs: Record<string, Tree> = { en, fr };
// The viewer keeps its strings beside it (renderer/viewer/i18n) so it can be mounted anywhere.
const viewerCatalogs = { en: viewerEn as Tree, fr: viewerFr as Tree };
const catalogsFor = (file: string) => (file.startsWith(join(repoRoot, 'renderer', 'viewer')) ? viewerCatalogs : catalogs);

/** 'a.b.c' → value, for every leaf. */
function leaves(tree: Tree, prefix = ''): Map<string, string> {
  const out = new Map<string, string>();
  for (const [key, value] of Object.entries(tree)) {
    const path = prefix ? `${prefix}.${key}` : key;
    if (typeof value === 'string') out.set(path, value);
    else for (const [k, v] of leaves(value, path)) out.set(k, v);
  }
  return out;
}

function lookup(tree: Tree, path: string): string | Tree | undefined {
  let node: string | Tree | undefined = tree;
  for (const part of path.split('.')) node = typeof node === 'object' ? node[part] : undefined;
  return node;
}

const placeholders = (text: string) => [...text.matchAll(/\{\{\s*(\w+)\s*\}\}/g)].map((m) => m[1]).sort();

/**
 * Translation keys written in source: `t('a.b')`, `t(\`a.${x}\`)` (a prefix: the part before the
 * last dot preceding `${`), and key-typed properties such as `label: 'nav.patients'`.
 */
function usedKeys(source: string): { keys: string[]; prefixes: string[] } {
  const keys: string[] = [];
  const prefixes: string[] = [];
  for (const match of source.matchAll(/\bt\(\s*(['"`])((?:(?!\1).)*)\1/g)) {
    const key = match[2]!;
    if (match[1] === '`' && key.includes('${')) prefixes.push(key.slice(0, key.indexOf('${')).replace(/\.$/, ''));
    else keys.push(key);
  }
  for (const match of source.matchAll(/\b\w*(?:Key|label):\s*'([a-z]\w*(?:\.\w+)+)'/g)) keys.push(match[1]!);
  return { keys, prefixes };
}

function rendererSources(dir = join(repoRoot, 'renderer')): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return rendererSources(path);
    return /\.tsx?$/.test(entry.name) && !entry.name.endsWith('.d.ts') ? [path] : [];
  });
}

describe('translation files', () => {
  it('of the viewer have the same keys in French and English', () => {
    expect([...leaves(viewerFr as Tree).keys()].sort()).toEqual([...leaves(viewerEn as Tree).keys()].sort());
  });

  it('have the same keys in French and English', () => {
    const enKeys = [...leaves(en).keys()];
    const frKeys = [...leaves(fr).keys()];
    expect(frKeys.filter((k) => !enKeys.includes(k)), 'only in fr.json').toEqual([]);
    expect(enKeys.filter((k) => !frKeys.includes(k)), 'only in en.json').toEqual([]);
  });

  it('have no empty text and the same {{placeholders}} in both languages', () => {
    const frLeaves = leaves(fr);
    for (const [key, text] of leaves(en)) {
      expect(text.trim(), `en ${key}`).not.toBe('');
      expect(frLeaves.get(key)?.trim(), `fr ${key}`).not.toBe('');
      expect(placeholders(frLeaves.get(key) ?? ''), `placeholders of ${key}`).toEqual(placeholders(text));
    }
  });

  it('translate every value a screen picks at run time', () => {
    const needed = [
      ...errorCodes.map((code) => `errors.code.${code}`),
      ...componentHealthSchema.shape.state.options.map((state) => `status.state.${state}`),
      ...healthSchema.shape.status.options.map((status) => `status.overall.${status}`),
      ...['connecting', 'live', 'reconnecting'].map((state) => `status.connection.${state}`),
      ...languageSchema.options.map((language) => `language.${language}`),
    ];
    for (const [name, catalog] of Object.entries(catalogs)) {
      const have = leaves(catalog);
      expect(needed.filter((key) => !have.has(key)), `missing in ${name}.json`).toEqual([]);
    }
  });
});

describe('keys used by the renderer', () => {
  it('finds keys in calls, template prefixes and key-typed properties', () => {
    const sample = "t('a.b'); t(\"c.d\", { n }); t(`e.${x}`); const r = { label: 'nav.x' }; call('app.info', {});";
    expect(usedKeys(sample)).toEqual({ keys: ['a.b', 'c.d', 'nav.x'], prefixes: ['e'] });
  });

  it('all exist in both languages', () => {
    const missing: string[] = [];
    let count = 0;
    for (const file of rendererSources()) {
      const { keys, prefixes } = usedKeys(readFileSync(file, 'utf8'));
      count += keys.length + prefixes.length;
      for (const [name, catalog] of Object.entries(catalogsFor(file))) {
        for (const key of keys) if (typeof lookup(catalog, key) !== 'string') missing.push(`${name}: ${key} (${relative(repoRoot, file)})`);
        for (const prefix of prefixes) if (typeof lookup(catalog, prefix) !== 'object') missing.push(`${name}: ${prefix}.* (${relative(repoRoot, file)})`);
      }
    }
    expect(count).toBeGreaterThan(30); // the scan really read the shell
    expect(missing).toEqual([]);
  });
});

describe('language choice', () => {
  it('prefers the choice made on this computer, then the workstation, then the browser, then French', () => {
    expect(chooseLanguage({ stored: 'en', configured: 'fr', browser: 'fr' })).toBe('en');
    expect(chooseLanguage({ stored: null, configured: 'en', browser: 'fr' })).toBe('en');
    expect(chooseLanguage({ stored: null, configured: null, browser: 'en' })).toBe('en');
    expect(chooseLanguage({ stored: null, configured: null, browser: null })).toBe('fr');
  });

  it("takes the first of the browser's languages that Cusp speaks", () => {
    expect(browserLanguage(['de-DE', 'fr-CA', 'en'])).toBe('fr');
    expect(browserLanguage(['EN-gb'])).toBe('en');
    expect(browserLanguage(['de', 'es'])).toBeNull();
  });

  it('remembers a language and ignores anything else found in storage', () => {
    const store = new Map<string, string>();
    const storage = { getItem: (k: string) => store.get(k) ?? null, setItem: (k: string, v: string) => void store.set(k, v) };
    expect(readStoredLanguage(storage)).toBeNull();
    storeLanguage('en', storage);
    expect(readStoredLanguage(storage)).toBe('en');
    store.set('cusp.language', 'de');
    expect(readStoredLanguage(storage)).toBeNull();
  });

  it('sets <html lang> at start and on every change', async () => {
    const root = { lang: '' } as HTMLElement;
    const i18n = createI18n('fr', root);
    expect(root.lang).toBe('fr');
    expect(i18n.t('nav.schedule')).toBe('Agenda');
    await i18n.changeLanguage('en');
    expect(root.lang).toBe('en');
    expect(i18n.t('nav.schedule')).toBe('Schedule');
  });
});
