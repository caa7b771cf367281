// Pins down the plan screen's pure helpers: which two images a before/after link compares (the
// older first; the newest other image of the same teeth, or of the same modality when no teeth
// are listed), the compare route's exact format, and fees typed in either language's notation.
import { describe, expect, it } from 'vitest';
import type { ImageRecord } from '../../contract/index.js';
import { beforeAfter, compareHref, isAnterior, latestOfRegion, parseMoney } from '../../renderer/features/treatment/format.js';

let n = 0;
const image = (fields: Partial<ImageRecord>): ImageRecord => {
  n += 1;
  return {
    id: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`, patientId: '00000000-0000-4000-8000-00000000aaaa',
    studyId: '00000000-0000-4000-8000-00000000bbbb', seriesId: '00000000-0000-4000-8000-00000000cccc', sopInstanceUid: `1.2.${n}`,
    modality: 'IO', acquiredAt: null, teeth: [], rows: 10, columns: 10, bitsStored: 8, photometric: 'MONOCHROME2', pixelSpacing: null,
    calibrationMmPerPx: null, window: null, lossy: false, thumb200: null, variants: [], version: 1, ...fields,
  };
};

describe('before/after links', () => {
  const old36 = image({ acquiredAt: '2026-01-10T10:00:00.000Z', teeth: [36, 37] });
  const new46 = image({ acquiredAt: '2026-11-20T10:00:00.000Z', teeth: [46] });
  const mid37 = image({ acquiredAt: '2026-06-01T10:00:00.000Z', teeth: [37] });
  const pano = image({ acquiredAt: '2026-03-01T10:00:00.000Z', modality: 'PX' });
  const pano2 = image({ acquiredAt: '2026-10-01T10:00:00.000Z', modality: 'PX' });
  const newestFirst = [new46, pano2, mid37, pano, old36];

  it('finds the newest other image showing one of the same teeth, else of the same modality', () => {
    expect(latestOfRegion(old36, newestFirst)).toBe(mid37);
    expect(latestOfRegion(mid37, newestFirst)).toBe(old36);
    expect(latestOfRegion(pano, newestFirst)).toBe(pano2);
    expect(latestOfRegion(new46, newestFirst)).toBeNull();
  });

  it('puts the older image first and links the compare route in its exact format', () => {
    expect(beforeAfter(mid37, old36)).toEqual([old36, mid37]);
    expect(beforeAfter(old36, mid37)).toEqual([old36, mid37]);
    expect(beforeAfter(image({ acquiredAt: null }), old36)[1]).toBe(old36);
    expect(compareHref('p1', 'a', 'b')).toBe('#/patients/p1/compare?images=a,b');
  });
});

describe('fees and surfaces', () => {
  it('reads fees typed as 185, 185.5, 185,50 or $ 1 200.00', () => {
    expect(parseMoney('185')).toBe(18500);
    expect(parseMoney('185.5')).toBe(18550);
    expect(parseMoney('185,50')).toBe(18550);
    expect(parseMoney('$ 1 200.00')).toBe(120000);
    expect(parseMoney('')).toBe(0);
    expect(parseMoney('12.345')).toBeNull();
    expect(parseMoney('abc')).toBeNull();
  });

  it('treats incisors and canines as front teeth (facial and incisal surfaces)', () => {
    expect([11, 13, 23, 33, 43, 53].every(isAnterior)).toBe(true);
    expect([14, 16, 36, 48, 55].some(isAnterior)).toBe(false);
  });
});
