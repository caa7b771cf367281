/**
 * How many millimetres one pixel is, and how sure we are: the one place the viewer decides
 * whether a length is shown in mm or in px. Pure: no Cornerstone, no DOM.
 *
 * DICOM rules (PS3.3 C.8.11.4 DX Detector, C.8.11.7 / 10.7.1.3 Pixel Spacing):
 * 1. A manual calibration drawn on a known length (an implant, a ruler) wins: the user measured
 *    an object in the patient plane.
 * 2. PixelSpacing (0028,0030) is spacing "in the patient", already corrected for magnification:
 *    use it. If it merely repeats ImagerPixelSpacing (many units copy it) it is not a calibration:
 *    treat it as detector spacing (rule 3). PixelSpacingCalibrationType (0028,0A02) GEOMETRY
 *    means the unit derived it from its geometry: an estimate, labelled so.
 * 3. Only ImagerPixelSpacing (0018,1164): that is the pitch at the detector, magnified by the
 *    beam's divergence. With EstimatedRadiographicMagnificationFactor (0018,1114) divide by it
 *    and label the result "estimated at the patient"; without, show it labelled "at detector".
 * 4. Nothing usable: pixels. Never a guessed mm.
 * Spacing is (row, column): row = distance between rows (vertical), column = between columns.
 */

export interface SpacingMm {
  /** Vertical: mm between the centres of adjacent rows. */
  row: number;
  /** Horizontal: mm between the centres of adjacent columns. */
  column: number;
}

/** The spacing attributes of a DICOM header, as the master's data set gives them. */
export interface DicomSpacingAttributes {
  /** (0028,0030) PixelSpacing, [row, column]. */
  pixelSpacing?: readonly number[] | null;
  /** (0018,1164) ImagerPixelSpacing, [row, column]. */
  imagerPixelSpacing?: readonly number[] | null;
  /** (0018,1114) EstimatedRadiographicMagnificationFactor. */
  magnification?: number | null;
  /** (0028,0A02) PixelSpacingCalibrationType: GEOMETRY or FIDUCIAL. */
  pixelSpacingCalibrationType?: string | null;
}

export type CalibrationSource =
  /** PixelSpacing: calibrated at the patient by the unit. */
  | 'pixel_spacing'
  /** ImagerPixelSpacing divided by the estimated magnification factor. */
  | 'magnification_corrected'
  /** ImagerPixelSpacing as is: at the detector, not corrected for magnification. */
  | 'detector'
  /** Drawn by a user on a known length. */
  | 'manual';

export type Calibration =
  | {
      unit: 'mm';
      spacing: SpacingMm;
      source: CalibrationSource;
      /** Where the millimetres are true: in the patient's plane, or at the detector. */
      plane: 'patient' | 'detector';
      /** True when the mm rest on an estimate (magnification, geometry, uncorrected detector pitch). */
      estimated: boolean;
      magnification?: number;
    }
  | { unit: 'px' };

export const uncalibrated: Calibration = { unit: 'px' };

/** Spacing beyond this is not a radiograph's (the contract caps manual calibration at 10 mm/px too). */
export const maxMmPerPx = 10;

const validMm = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value) && value > 0 && value <= maxMmPerPx;

/** A usable [row, column] pair, or null: both present, positive, finite, plausible. */
export function spacingPair(values: readonly number[] | null | undefined): SpacingMm | null {
  if (!values || values.length < 2) return null;
  const [row, column] = values;
  return validMm(row) && validMm(column) ? { row, column } : null;
}

/** A magnification factor can only enlarge (≥ 1); beyond 3 it is no dental geometry. */
const validMagnification = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value) && value >= 1 && value <= 3;

const sameSpacing = (a: SpacingMm, b: SpacingMm) => Math.abs(a.row - b.row) < 1e-6 && Math.abs(a.column - b.column) < 1e-6;

/** Rules 1–4 above, for a DICOM header (and a manual calibration if one was saved). */
export function calibrationFromDicom(attributes: DicomSpacingAttributes, manualMmPerPx?: number | null): Calibration {
  const manual = manualCalibrationOf(manualMmPerPx);
  if (manual) return manual;
  const pixel = spacingPair(attributes.pixelSpacing);
  const imager = spacingPair(attributes.imagerPixelSpacing);
  const calibrationType = attributes.pixelSpacingCalibrationType?.trim().toUpperCase();
  const copiedFromDetector = pixel !== null && imager !== null && sameSpacing(pixel, imager) && !calibrationType;
  if (pixel && !copiedFromDetector) {
    return { unit: 'mm', spacing: pixel, source: 'pixel_spacing', plane: 'patient', estimated: calibrationType === 'GEOMETRY' };
  }
  const detector = imager ?? pixel;
  if (!detector) return uncalibrated;
  return detectorCalibration(detector, attributes.magnification);
}

function detectorCalibration(detector: SpacingMm, magnification: number | null | undefined): Calibration {
  if (validMagnification(magnification)) {
    return {
      unit: 'mm',
      spacing: { row: detector.row / magnification, column: detector.column / magnification },
      source: 'magnification_corrected',
      plane: 'patient',
      estimated: true,
      magnification,
    };
  }
  return { unit: 'mm', spacing: detector, source: 'detector', plane: 'detector', estimated: true };
}

function manualCalibrationOf(mmPerPx: number | null | undefined): Calibration | null {
  if (!validMm(mmPerPx)) return null;
  return { unit: 'mm', spacing: { row: mmPerPx, column: mmPerPx }, source: 'manual', plane: 'patient', estimated: false };
}

/** What the contract's image record says (contract/methods/imaging.ts `imageSchema`). */
export interface RecordSpacing {
  pixelSpacing: { row: number; column: number; source: 'pixel_spacing' | 'imager_pixel_spacing' | 'calibration' } | null;
  calibrationMmPerPx: number | null;
  /** EstimatedRadiographicMagnificationFactor, when main passes it along with ImagerPixelSpacing. */
  magnification?: number | null;
}

/** The same rules for an image record, before its master is loaded (derivatives carry no header). */
export function calibrationFromRecord(record: RecordSpacing): Calibration {
  const manual = manualCalibrationOf(record.calibrationMmPerPx);
  if (manual) return manual;
  const stored = record.pixelSpacing;
  const spacing = stored ? spacingPair([stored.row, stored.column]) : null;
  if (!stored || !spacing) return uncalibrated;
  switch (stored.source) {
    case 'pixel_spacing':
      return { unit: 'mm', spacing, source: 'pixel_spacing', plane: 'patient', estimated: false };
    case 'imager_pixel_spacing':
      return detectorCalibration(spacing, record.magnification);
    case 'calibration':
      return { unit: 'mm', spacing, source: 'manual', plane: 'patient', estimated: false };
  }
}

/** Shortest line accepted for a manual calibration: below this a one-pixel slip is > 5 %. */
export const minCalibrationLinePx = 20;

/**
 * mm per pixel from a line drawn over an object of known length. `lengthPx` is in the full-
 * resolution image's pixels. Throws with what was expected and what came.
 */
export function manualMmPerPx(lengthPx: number, knownMm: number): number {
  if (!Number.isFinite(lengthPx) || lengthPx < minCalibrationLinePx) {
    throw new RangeError(`Expected a line of at least ${minCalibrationLinePx} px for calibration but received ${lengthPx} px`);
  }
  if (!Number.isFinite(knownMm) || knownMm <= 0 || knownMm > 1000) {
    throw new RangeError(`Expected a known length between 0 and 1000 mm but received ${knownMm}`);
  }
  const mmPerPx = knownMm / lengthPx;
  if (!validMm(mmPerPx)) throw new RangeError(`Expected at most ${maxMmPerPx} mm per pixel but the line gives ${mmPerPx}`);
  return mmPerPx;
}

export interface Length {
  value: number;
  unit: 'mm' | 'px';
  estimated: boolean;
}

/** A length between two points in full-resolution pixel coordinates ([column, row]). */
export function measureLength(calibration: Calibration, from: readonly [number, number], to: readonly [number, number]): Length {
  const dx = to[0] - from[0];
  const dy = to[1] - from[1];
  if (calibration.unit === 'px') return { value: Math.hypot(dx, dy), unit: 'px', estimated: false };
  return { value: Math.hypot(dx * calibration.spacing.column, dy * calibration.spacing.row), unit: 'mm', estimated: calibration.estimated };
}

/** "40.0 mm", "≈ 40.0 mm" (estimated), "412.3 px"; one decimal, in the UI's language. */
export function formatLength(length: Pick<Length, 'value' | 'unit' | 'estimated'>, language: string): string {
  const number = new Intl.NumberFormat(language, { minimumFractionDigits: 1, maximumFractionDigits: 1 }).format(length.value);
  return `${length.estimated ? '≈ ' : ''}${number}\u00a0${length.unit}`;
}

/**
 * What Cornerstone needs for one displayed variant, whose pixels may be fewer than the full
 * image's (preview, thumbnail). World coordinates are full-resolution pixels for every variant,
 * so zoom, pan and annotations carry over when a sharper variant replaces a coarser one; the
 * millimetres come only from this per-variant spacing.
 */
export function variantSpacing(
  calibration: Calibration,
  full: { rows: number; columns: number },
  variant: { rows: number; columns: number },
): { pixelsPerVariantPixel: SpacingMm; mmPerVariantPixel: SpacingMm | null } {
  const pixelsPerVariantPixel = { row: full.rows / variant.rows, column: full.columns / variant.columns };
  if (calibration.unit === 'px') return { pixelsPerVariantPixel, mmPerVariantPixel: null };
  return {
    pixelsPerVariantPixel,
    mmPerVariantPixel: { row: calibration.spacing.row * pixelsPerVariantPixel.row, column: calibration.spacing.column * pixelsPerVariantPixel.column },
  };
}
