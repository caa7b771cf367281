// Pins down tooth numbering: FDI stored, Universal derived for display, non-teeth refused.
import { describe, expect, it } from 'vitest';
import { fdiToUniversal, isFdiTooth } from '../../contract/index.js';

describe('tooth numbering', () => {
  it('converts FDI to Universal in every quadrant, permanent and primary', () => {
    const cases: Array<[number, string]> = [[18, '1'], [11, '8'], [21, '9'], [28, '16'], [38, '17'], [31, '24'], [41, '25'], [48, '32'], [55, 'A'], [51, 'E'], [61, 'F'], [65, 'J'], [75, 'K'], [71, 'O'], [81, 'P'], [85, 'T']];
    for (const [fdi, universal] of cases) expect(fdiToUniversal(fdi), String(fdi)).toBe(universal);
  });

  it('refuses numbers that are not teeth', () => {
    for (const n of [0, 10, 19, 49, 56, 90, 36.5]) expect(isFdiTooth(n), String(n)).toBe(false);
    expect(() => fdiToUniversal(19)).toThrow(/Expected an FDI tooth number .* but received 19/);
  });
});
