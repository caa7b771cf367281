/**
 * Name search the way a front desk types: any order, any case, accents ignored, each word a
 * prefix. Names are reduced to tokens when a patient is written; a query is reduced the same way.
 */

/**
 * "Hélène-Marie O'Brien" → ["helenemarieobrien", "helene", "marie", "obrien", "o", "brien"]:
 * each word, each piece of a word, and each whole part run together (deduplicated).
 */
export function nameTokens(...parts: Array<string | null | undefined>): string[] {
  const tokens = new Set<string>();
  for (const part of parts) {
    if (!part) continue;
    const whole = fold(part).replace(/[^a-z0-9]/g, '');
    if (whole) tokens.add(whole);
    for (const word of fold(part).split(/[\s\-‐–—/,.;()]+/)) {
      if (!word) continue;
      const joined = word.replace(/[^a-z0-9]/g, '');
      if (joined) tokens.add(joined);
      // "o'brien" is found by "obrien", "o brien" and "brien".
      for (const piece of word.split(/[^a-z0-9]+/)) if (piece) tokens.add(piece);
    }
  }
  return [...tokens];
}

/** Lowercase, without diacritics (NFD then drop combining marks), ligatures opened. */
export function fold(text: string): string {
  return text
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/æ/g, 'ae')
    .replace(/œ/g, 'oe')
    .replace(/ß/g, 'ss')
    .replace(/ø/g, 'o')
    .replace(/ł/g, 'l');
}

/** The words of a query, folded; punctuation inside a word is dropped ("o'b" → "ob"). */
export function queryTokens(query: string): string[] {
  return fold(query)
    .split(/[\s,;/]+/)
    .map((w) => w.replace(/[^a-z0-9]/g, ''))
    .filter(Boolean)
    .slice(0, 6);
}

/** Digits of a phone number, for search ("(514) 555-0199" → "5145550199"). */
export function phoneDigits(phone: string | null | undefined): string | null {
  const digits = (phone ?? '').replace(/\D/g, '');
  return digits || null;
}

/** The first string after every string that starts with `prefix` (byte order). */
export function prefixUpperBound(prefix: string): string {
  return prefix + '\uffff';
}

/** The fields of a patient that search reads. */
export interface SearchablePatient {
  id: string;
  practice_id: string;
  family_name: string;
  given_name: string;
  chart_number: string;
  phone_digits: string | null;
  archived: boolean;
}

/**
 * The rows of `patient_search_tokens` for one patient: one per token (name words, chart number,
 * phone digits), each carrying what search filters and sorts on, so a search is answered from
 * that one index (token range → sort key) and only the 50 shown patients are read.
 */
export function searchTokenRows(patient: SearchablePatient) {
  const tokens = new Set(nameTokens(patient.family_name, patient.given_name));
  const chart = patient.chart_number.toLowerCase().replace(/[^a-z0-9]/g, '');
  if (chart) tokens.add(chart);
  if (patient.phone_digits) tokens.add(patient.phone_digits);
  const sortKey = `${fold(patient.family_name)}\u0001${fold(patient.given_name)}\u0001${patient.id}`;
  return [...tokens].map((token) => ({
    patient_id: patient.id,
    token,
    practice_id: patient.practice_id,
    archived: patient.archived,
    sort_key: sortKey,
  }));
}
