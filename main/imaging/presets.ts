import { imagingError } from './errors.js';

/**
 * Derivative presets: what each variant's size, format and quality are. Validated when made, with
 * one message template (after sharp): "Expected integer between 1 and 100 for quality but received
 * 120 of type number", so a bad configuration fails at start-up, not on the 300th image.
 *
 * @example definePreset({ name: 'small', view: { format: 'webp', quality: 80 } })
 */
export type OutputFormat = 'jpeg' | 'webp' | 'avif';
export type MasterPolicy = 'auto' | 'original' | 'jpegls' | 'htj2k';

export interface VariantSpec {
  format: OutputFormat;
  /** 1–100. */
  quality: number;
  /** Longest side in pixels; absent = full resolution. */
  longSide?: number;
  /**
   * JPEG only: which of mozjpeg's quantization tables (0–8) the quality scales; default 0, the
   * JPEG standard's (Annex K). 7 (Ahumada, Watson & Peterson) keeps more of the fine detail and
   * noise of a radiograph per byte: on a noisy PSP bitewing it meets SSIM 0.97 in 12 % fewer bytes
   * than table 0, with the same PSNR and encoding time; its quality numbers run about 8 lower
   * for the same fidelity (table 7 q80 ≈ table 0 q88 on a CR).
   */
  quantTable?: number;
  /**
   * view and preview only: the output is decoded back and its SSIM against the exact rendered
   * pixels measured; below `minSsim` the quality is raised (to where the measured SSIM predicts
   * the target, then by 1) until it is met or `maxQuality` is reached. 0–1; default 0.97.
   */
  minSsim?: number;
  /** view and preview only: the highest quality the search may use, `quality`–100; default 95 (or `quality` when above). */
  maxQuality?: number;
}

export interface Preset {
  name: string;
  thumb50: VariantSpec;
  thumb200: VariantSpec;
  preview: VariantSpec;
  view: VariantSpec;
  /**
   * auto: keep JPEG-LS / JPEG 2000 / HTJ2K originals, re-encode other lossless greyscale ones to
   * JPEG-LS when smaller (verified bit-exact); original: always keep the file; jpegls / htj2k:
   * re-encode whenever possible.
   */
  master: MasterPolicy;
  /** AVIF takes 5–40 s per radiograph on two cores: it must be asked for explicitly. */
  allowAvif: boolean;
}

export type PresetInput = { name: string } & Partial<Omit<Preset, 'name'>>;

/**
 * Defaults: JPEG everywhere (every viewer decodes it at once); view and preview progressive with
 * quantization table 7 from q80, raised (up to q95) until their SSIM against render() is at least
 * 0.97 (a noisy PSP plate needs q81–q82); thumbnails with the standard table.
 */
export const defaultPreset: Preset = {
  name: 'default',
  thumb50: { format: 'jpeg', quality: 70, longSide: 50 },
  thumb200: { format: 'jpeg', quality: 75, longSide: 200 },
  preview: { format: 'jpeg', quality: 80, quantTable: 7, longSide: 1024, minSsim: 0.97, maxQuality: 95 },
  view: { format: 'jpeg', quality: 80, quantTable: 7, minSsim: 0.97, maxQuality: 95 },
  master: 'auto',
  allowAvif: false,
};

const describe = (v: unknown) => `${typeof v === 'string' ? JSON.stringify(v) : String(v)} of type ${typeof v}`;
const invalid = (expected: string, field: string, v: unknown) =>
  imagingError('INVALID_PRESET', `Expected ${expected} for ${field} but received ${describe(v)}`);

function integer(v: unknown, field: string, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) throw invalid(`integer between ${min} and ${max}`, field, v);
  return v;
}

function between(v: unknown, field: string, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) throw invalid(`number between ${min} and ${max}`, field, v);
  return v;
}

function oneOf<T extends string>(v: unknown, field: string, options: readonly T[]): T {
  if (typeof v !== 'string' || !options.includes(v as T)) throw invalid(`one of ${options.join(', ')}`, field, v);
  return v as T;
}

const variantKeys = ['format', 'quality', 'quantTable', 'longSide', 'minSsim', 'maxQuality'];

function variant(v: unknown, field: string, fallback: VariantSpec, allowAvif: boolean, sized: boolean): VariantSpec {
  if (v === undefined) return fallback;
  if (typeof v !== 'object' || v === null) throw invalid('object', field, v);
  const o = v as Record<string, unknown>;
  for (const key of Object.keys(o)) if (!variantKeys.includes(key)) throw invalid(`one of ${variantKeys.join(', ')}`, `${field} key`, key);
  const format = oneOf(o.format ?? fallback.format, `${field}.format`, ['jpeg', 'webp', 'avif'] as const);
  if (format === 'avif' && !allowAvif) {
    throw imagingError('INVALID_PRESET', `Expected jpeg or webp for ${field}.format but received "avif" (set allowAvif: true to accept its encoding time)`);
  }
  const quality = integer(o.quality ?? fallback.quality, `${field}.quality`, 1, 100);
  const spec: VariantSpec = { format, quality };
  // A table belongs to JPEG: a format change drops the default's, an explicit one must be JPEG.
  const quantTable = o.quantTable ?? (o.format === undefined || format === 'jpeg' ? fallback.quantTable : undefined);
  if (quantTable !== undefined) {
    if (format !== 'jpeg') throw invalid('no quantTable (only JPEG has quantization tables)', `${field}.quantTable`, quantTable);
    spec.quantTable = integer(quantTable, `${field}.quantTable`, 0, 8);
  }
  const targeted = fallback.minSsim !== undefined;
  if (targeted) {
    spec.minSsim = between(o.minSsim ?? fallback.minSsim, `${field}.minSsim`, 0, 1);
    spec.maxQuality = integer(o.maxQuality ?? Math.max(fallback.maxQuality ?? quality, quality), `${field}.maxQuality`, quality, 100);
  } else {
    for (const key of ['minSsim', 'maxQuality'] as const) {
      if (o[key] !== undefined) throw invalid(`no ${key} (only view and preview are quality-targeted)`, `${field}.${key}`, o[key]);
    }
  }
  const longSide = o.longSide ?? fallback.longSide;
  if (!sized) {
    if (longSide !== undefined) throw invalid('no longSide (view is full resolution)', `${field}.longSide`, longSide);
    return spec;
  }
  return { ...spec, longSide: integer(longSide, `${field}.longSide`, 16, 8192) };
}

/** Builds a complete preset from a partial one on top of the defaults; throws ImagingError('INVALID_PRESET'). */
export function definePreset(input: unknown): Preset {
  if (typeof input !== 'object' || input === null) throw invalid('object', 'preset', input);
  const o = input as Record<string, unknown>;
  if (typeof o.name !== 'string' || !/^[a-z0-9][a-z0-9-]{0,31}$/.test(o.name)) throw invalid('lower-case name of up to 32 letters, digits or dashes', 'name', o.name);
  const allowAvif = o.allowAvif ?? false;
  if (typeof allowAvif !== 'boolean') throw invalid('boolean', 'allowAvif', allowAvif);
  const known = new Set(['name', 'thumb50', 'thumb200', 'preview', 'view', 'master', 'allowAvif']);
  for (const key of Object.keys(o)) if (!known.has(key)) throw invalid(`one of ${[...known].join(', ')}`, 'preset key', key);
  return {
    name: o.name,
    allowAvif,
    thumb50: variant(o.thumb50, 'thumb50', defaultPreset.thumb50, allowAvif, true),
    thumb200: variant(o.thumb200, 'thumb200', defaultPreset.thumb200, allowAvif, true),
    preview: variant(o.preview, 'preview', defaultPreset.preview, allowAvif, true),
    view: variant(o.view, 'view', defaultPreset.view, allowAvif, false),
    master: oneOf(o.master ?? defaultPreset.master, 'master', ['auto', 'original', 'jpegls', 'htj2k'] as const),
  };
}

/** Presets `cusp derive --preset` knows by name. */
export const namedPresets: Record<string, Preset> = Object.fromEntries(
  [
    defaultPreset,
    definePreset({ name: 'webp', thumb50: { format: 'webp', quality: 70 }, thumb200: { format: 'webp', quality: 75 }, preview: { format: 'webp', quality: 85 }, view: { format: 'webp', quality: 90 } }),
    definePreset({ name: 'keep-original', master: 'original' }),
    definePreset({ name: 'htj2k', master: 'htj2k' }),
  ].map((p) => [p.name, p]),
);

export function presetNamed(name: string): Preset {
  const preset = namedPresets[name];
  if (!preset) throw invalid(`one of ${Object.keys(namedPresets).join(', ')}`, 'preset', name);
  return preset;
}
