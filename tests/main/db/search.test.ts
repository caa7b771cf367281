// Pins down how names become search tokens and queries become prefixes: accents, case,
// hyphens, apostrophes and ligatures fold the same way on the way in and on the way out.
import { describe, expect, it } from 'vitest';
import { fold, nameTokens, phoneDigits, queryTokens } from '../../../main/db/search.js';

describe('search tokens', () => {
  it('folds accents, case and ligatures', () => {
    expect(fold('Hélène Côté-Lévesque')).toBe('helene cote-levesque');
    expect(fold('Œuvray Æsir Müller')).toBe('oeuvray aesir muller');
    expect(fold('ÉMILIE')).toBe(fold('emilie'));
  });

  it('makes each word, each piece and the whole part of a name a token', () => {
    expect(nameTokens("O'Brien", 'Marie-Ève').sort()).toEqual(['brien', 'eve', 'marie', 'marieeve', 'o', 'obrien']);
    expect(nameTokens('St-Pierre')).toEqual(expect.arrayContaining(['stpierre', 'st', 'pierre']));
    expect(nameTokens('  ', null, undefined)).toEqual([]);
  });

  it('turns a query into folded word prefixes, punctuation inside a word dropped', () => {
    expect(queryTokens("  HÉL  o'bri, trem ")).toEqual(['hel', 'obri', 'trem']);
    expect(queryTokens('a b c d e f g h')).toHaveLength(6);
  });

  it('keeps only the digits of a phone number', () => {
    expect(phoneDigits('(514) 555-0199')).toBe('5145550199');
    expect(phoneDigits('n/a')).toBeNull();
  });
});
