// Pins down which millimetres the viewer shows (renderer/viewer/calibration.ts): PixelSpacing
// over ImagerPixelSpacing, magnification only on detector spacing, a copied PixelSpacing not taken
// for a calibration, manual calibration first, px (never a guess) when nothing is known, and the
// per-variant spacing that keeps lengths right on a downsampled preview. The expected values are
// the synthetic phantoms' ground truth (../shared/data/dicom/synthetic/truth.json).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  calibrationFromDicom,
  calibrationFromRecord,
  formatLength,
  manualMmPerPx,
  measureLength,
  spacingPair,
  uncalibrated,
  variantSpacing,
  type Calibration,
} from '../../../renderer/viewer/calibration.js';
import { dicomData } from '../../support/paths.js';

interface Truth {
  spacing_mm: number;
  fiducials_px: [[number, number], [number, number]];
  fiducial_distance_mm: number;
}
const truth = JSON.parse(readFileSync(dicomData('synthetic', 'truth.json'), 'utf8')) as Record<string, Truth>;

/** truth.json gives [row, column]; measureLength takes [column, row]. */
const fiducials = (t: Truth) => t.fiducials_px.map(([row, column]) => [column, row] as const) as [readonly [number, number], readonly [number, number]];

const mm = (calibration: Calibration) => {
  if (calibration.unit !== 'mm') throw new Error(`expected mm, got ${calibration.unit}`);
  return calibration;
};

describe('calibrationFromDicom', () => {
  it('uses PixelSpacing (at the patient) on the ceph, not ImagerPixelSpacing, and reads the fiducials at 30.0 mm', () => {
    const ceph = truth['DX_ceph_mono1_rescale.dcm']!;
    // The header of DX_ceph_mono1_rescale.dcm: PixelSpacing 0.11, ImagerPixelSpacing 0.121, ERMF 1.1.
    const calibration = calibrationFromDicom({ pixelSpacing: [0.11, 0.11], imagerPixelSpacing: [0.121, 0.121], magnification: 1.1 });
    expect(calibration).toEqual({ unit: 'mm', spacing: { row: 0.11, column: 0.11 }, source: 'pixel_spacing', plane: 'patient', estimated: false });
    const length = measureLength(calibration, ...fiducials(ceph));
    expect(length.value).toBeCloseTo(ceph.fiducial_distance_mm, 1);
    // ImagerPixelSpacing alone (0.121) would have read 33.0 mm: 10 % too long.
    expect(measureLength(calibrationFromDicom({ imagerPixelSpacing: [0.121, 0.121] }), ...fiducials(ceph)).value).toBeCloseTo(33.0, 1);
  });

  it('shows detector spacing alone as mm "at detector", estimated (the pano: 40.0 mm at 0.1 mm)', () => {
    const pano = truth['PX_pano_12bit.dcm']!;
    const calibration = mm(calibrationFromDicom({ imagerPixelSpacing: [0.1, 0.1] }));
    expect(calibration).toMatchObject({ source: 'detector', plane: 'detector', estimated: true, spacing: { row: 0.1, column: 0.1 } });
    expect(measureLength(calibration, ...fiducials(pano))).toEqual({ value: expect.closeTo(40.0, 6), unit: 'mm', estimated: true });
  });

  it('divides detector spacing by the magnification factor, labelled estimated at the patient', () => {
    const calibration = mm(calibrationFromDicom({ imagerPixelSpacing: [0.121, 0.132], magnification: 1.1 }));
    expect(calibration.source).toBe('magnification_corrected');
    expect(calibration.plane).toBe('patient');
    expect(calibration.estimated).toBe(true);
    expect(calibration.magnification).toBe(1.1);
    expect(calibration.spacing.row).toBeCloseTo(0.11, 12);
    expect(calibration.spacing.column).toBeCloseTo(0.12, 12);
  });

  it('never applies the magnification factor to PixelSpacing (it is already at the patient)', () => {
    expect(mm(calibrationFromDicom({ pixelSpacing: [0.1, 0.1], magnification: 1.25 })).spacing).toEqual({ row: 0.1, column: 0.1 });
  });

  it('treats a PixelSpacing that only repeats ImagerPixelSpacing as detector spacing', () => {
    expect(calibrationFromDicom({ pixelSpacing: [0.1, 0.1], imagerPixelSpacing: [0.1, 0.1] })).toMatchObject({ source: 'detector', plane: 'detector' });
    const corrected = mm(calibrationFromDicom({ pixelSpacing: [0.12, 0.12], imagerPixelSpacing: [0.12, 0.12], magnification: 1.2 }));
    expect(corrected.source).toBe('magnification_corrected');
    expect(corrected.spacing.row).toBeCloseTo(0.1, 12);
  });

  it('takes PixelSpacing equal to ImagerPixelSpacing as a calibration when the calibration type says so', () => {
    expect(calibrationFromDicom({ pixelSpacing: [0.1, 0.1], imagerPixelSpacing: [0.1, 0.1], pixelSpacingCalibrationType: 'FIDUCIAL' })).toMatchObject({
      source: 'pixel_spacing',
      estimated: false,
    });
    expect(calibrationFromDicom({ pixelSpacing: [0.09, 0.09], imagerPixelSpacing: [0.1, 0.1], pixelSpacingCalibrationType: 'GEOMETRY ' })).toMatchObject({
      source: 'pixel_spacing',
      plane: 'patient',
      estimated: true,
    });
  });

  it('uses PixelSpacing alone (an intra-oral sensor without detector attributes)', () => {
    expect(calibrationFromDicom({ pixelSpacing: [0.02, 0.02] })).toMatchObject({ source: 'pixel_spacing', estimated: false, spacing: { row: 0.02, column: 0.02 } });
  });

  it.each([
    ['no attributes', {}],
    ['empty values', { pixelSpacing: [], imagerPixelSpacing: null }],
    ['a single value', { pixelSpacing: [0.1] }],
    ['zero', { pixelSpacing: [0, 0] }],
    ['negative', { imagerPixelSpacing: [-0.1, -0.1] }],
    ['NaN', { pixelSpacing: [Number.NaN, 0.1] }],
    ['infinite', { pixelSpacing: [Infinity, Infinity] }],
    ['absurdly large (metres per pixel)', { pixelSpacing: [1000, 1000] }],
  ])('answers px, never a guessed mm, for %s', (_what, attributes) => {
    expect(calibrationFromDicom(attributes)).toEqual(uncalibrated);
  });

  it.each([0.5, 0, Number.NaN, 7, -1.1])('ignores an impossible magnification factor %s', (magnification) => {
    expect(calibrationFromDicom({ imagerPixelSpacing: [0.1, 0.1], magnification })).toMatchObject({ source: 'detector', spacing: { row: 0.1, column: 0.1 } });
  });

  it('puts a manual calibration before every header attribute, and ignores an invalid one', () => {
    const attributes = { pixelSpacing: [0.11, 0.11], imagerPixelSpacing: [0.121, 0.121], magnification: 1.1 };
    expect(calibrationFromDicom(attributes, 0.095)).toEqual({ unit: 'mm', spacing: { row: 0.095, column: 0.095 }, source: 'manual', plane: 'patient', estimated: false });
    expect(calibrationFromDicom(attributes, 0)).toMatchObject({ source: 'pixel_spacing' });
    expect(calibrationFromDicom({}, null)).toEqual(uncalibrated);
  });
});

describe('calibrationFromRecord (the contract image row, before the master is loaded)', () => {
  it('follows the recorded source', () => {
    expect(calibrationFromRecord({ pixelSpacing: { row: 0.11, column: 0.11, source: 'pixel_spacing' }, calibrationMmPerPx: null })).toMatchObject({ source: 'pixel_spacing', estimated: false });
    expect(calibrationFromRecord({ pixelSpacing: { row: 0.1, column: 0.1, source: 'imager_pixel_spacing' }, calibrationMmPerPx: null })).toMatchObject({ source: 'detector', plane: 'detector' });
    expect(mm(calibrationFromRecord({ pixelSpacing: { row: 0.121, column: 0.121, source: 'imager_pixel_spacing' }, calibrationMmPerPx: null, magnification: 1.1 })).spacing.row).toBeCloseTo(0.11, 12);
    expect(calibrationFromRecord({ pixelSpacing: { row: 0.05, column: 0.05, source: 'calibration' }, calibrationMmPerPx: null })).toMatchObject({ source: 'manual' });
  });

  it('prefers the saved manual calibration and says px when nothing is known', () => {
    expect(calibrationFromRecord({ pixelSpacing: { row: 0.1, column: 0.1, source: 'pixel_spacing' }, calibrationMmPerPx: 0.2 })).toMatchObject({ source: 'manual', spacing: { row: 0.2, column: 0.2 } });
    expect(calibrationFromRecord({ pixelSpacing: null, calibrationMmPerPx: null })).toEqual(uncalibrated);
    expect(calibrationFromRecord({ pixelSpacing: { row: 0, column: 0, source: 'pixel_spacing' }, calibrationMmPerPx: null })).toEqual(uncalibrated);
  });
});

describe('manual calibration', () => {
  it('gives mm per pixel from a line over a known length, which then measures that length back', () => {
    // A 10 mm implant drawn over 250 px.
    const mmPerPx = manualMmPerPx(250, 10);
    expect(mmPerPx).toBeCloseTo(0.04, 12);
    const calibration = calibrationFromDicom({}, mmPerPx);
    expect(measureLength(calibration, [100, 100], [250, 300]).value).toBeCloseTo(10, 9);
  });

  it.each([
    [5, 10, /at least 20 px/],
    [Number.NaN, 10, /at least 20 px/],
    [250, 0, /between 0 and 1000 mm/],
    [250, -3, /between 0 and 1000 mm/],
    [250, 5000, /between 0 and 1000 mm/],
    [20, 900, /at most 10 mm per pixel/],
  ])('refuses a line of %s px for %s mm with a reason', (lengthPx, knownMm, reason) => {
    expect(() => manualMmPerPx(lengthPx, knownMm)).toThrow(reason);
  });
});

describe('measureLength and formatLength', () => {
  it('measures in px on an uncalibrated image', () => {
    expect(measureLength(uncalibrated, [0, 0], [300, 400])).toEqual({ value: 500, unit: 'px', estimated: false });
  });

  it('applies row spacing vertically and column spacing horizontally', () => {
    const calibration = calibrationFromDicom({ pixelSpacing: [0.2, 0.1] });
    expect(measureLength(calibration, [0, 0], [100, 0]).value).toBeCloseTo(10, 12);
    expect(measureLength(calibration, [0, 0], [0, 100]).value).toBeCloseTo(20, 12);
  });

  it('formats one decimal in the UI language, marking estimates', () => {
    expect(formatLength({ value: 40.04, unit: 'mm', estimated: false }, 'en')).toBe('40.0\u00a0mm');
    expect(formatLength({ value: 29.96, unit: 'mm', estimated: true }, 'fr')).toBe('≈ 30,0\u00a0mm');
    expect(formatLength({ value: 412.34, unit: 'px', estimated: false }, 'en')).toBe('412.3\u00a0px');
  });
});

describe('variantSpacing', () => {
  it('scales spacing to a downsampled variant so a length reads the same on preview and view', () => {
    const calibration = calibrationFromDicom({ pixelSpacing: [0.1, 0.1] });
    const full = { rows: 1400, columns: 2800 };
    const preview = { rows: 512, columns: 1024 };
    const { pixelsPerVariantPixel, mmPerVariantPixel } = variantSpacing(calibration, full, preview);
    expect(pixelsPerVariantPixel.column).toBeCloseTo(2800 / 1024, 12);
    expect(pixelsPerVariantPixel.row).toBeCloseTo(1400 / 512, 12);
    // 400 full-resolution pixels are 146.3 preview pixels; either way 40 mm.
    expect((400 / pixelsPerVariantPixel.row) * mmPerVariantPixel!.row).toBeCloseTo(40, 9);
    expect(variantSpacing(calibration, full, full).mmPerVariantPixel).toEqual({ row: 0.1, column: 0.1 });
  });

  it('gives no mm for an uncalibrated image, only the pixel ratio', () => {
    expect(variantSpacing(uncalibrated, { rows: 100, columns: 200 }, { rows: 50, columns: 100 })).toEqual({
      pixelsPerVariantPixel: { row: 2, column: 2 },
      mmPerVariantPixel: null,
    });
  });
});

describe('spacingPair', () => {
  it('reads [row, column] and refuses anything short or implausible', () => {
    expect(spacingPair([0.1, 0.2])).toEqual({ row: 0.1, column: 0.2 });
    expect(spacingPair([0.1, 0.2, 0.3])).toEqual({ row: 0.1, column: 0.2 });
    expect(spacingPair(undefined)).toBeNull();
    expect(spacingPair([0.1, 11])).toBeNull();
  });
});
