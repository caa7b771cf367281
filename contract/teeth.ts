/**
 * Tooth numbering. Cusp stores FDI (ISO 3950) two-digit numbers; the Universal (ADA) system is
 * derived for display when a practice asks for it.
 */
const primaryLetters = 'ABCDEFGHIJKLMNOPQRST';

export function isFdiTooth(n: number): boolean {
  const q = Math.floor(n / 10);
  const t = n % 10;
  return Number.isInteger(n) && ((q >= 1 && q <= 4 && t >= 1 && t <= 8) || (q >= 5 && q <= 8 && t >= 1 && t <= 5));
}

/** FDI → Universal: 11 → "8", 21 → "9", 38 → "17", 48 → "32"; primary 55 → "A", 85 → "T". */
export function fdiToUniversal(fdi: number): string {
  if (!isFdiTooth(fdi)) throw new RangeError(`Expected an FDI tooth number (11–48, 51–85) but received ${fdi}`);
  const q = Math.floor(fdi / 10);
  const t = fdi % 10;
  switch (q) {
    case 1: return String(9 - t);
    case 2: return String(8 + t);
    case 3: return String(25 - t);
    case 4: return String(24 + t);
    case 5: return primaryLetters[5 - t]!;
    case 6: return primaryLetters[4 + t]!;
    case 7: return primaryLetters[15 - t]!;
    default: return primaryLetters[14 + t]!;
  }
}
