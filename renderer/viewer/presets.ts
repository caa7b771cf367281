/**
 * Window presets, written relative to the image's own default window (the one it was acquired
 * or derived with) rather than in raw values: the same preset then means the same on an 8-bit
 * derivative and on its 12-bit master, and on units with different value ranges.
 * A range is [lower, upper] as fractions of the default window: [0, 1] is the default itself.
 */
export interface VoiRange {
  lower: number;
  upper: number;
}

export type PresetKey = 'default' | 'caries' | 'endo' | 'perio' | 'bone' | 'softTissue' | 'airway';

const ranges: Record<PresetKey, VoiRange> = {
  default: { lower: 0, upper: 1 },
  // Narrow window around the middle: enamel/dentine contrast for interproximal caries.
  caries: { lower: 0.25, upper: 0.75 },
  // Window moved down: the whole image brighter, root canals and files stand out.
  endo: { lower: -0.1, upper: 0.7 },
  // Upper half: crestal bone against the soft tissue.
  perio: { lower: 0.2, upper: 0.9 },
  bone: { lower: 0.3, upper: 0.95 },
  // Ceph: the soft-tissue profile lives in the dark low end.
  softTissue: { lower: -0.05, upper: 0.45 },
  airway: { lower: 0, upper: 0.35 },
};

const byModality: Record<string, PresetKey[]> = {
  IO: ['default', 'caries', 'endo', 'perio'],
  PX: ['default', 'bone', 'caries', 'endo'],
  DX: ['default', 'bone', 'softTissue', 'airway'],
};

export function presetsFor(modality: string): PresetKey[] {
  return byModality[modality] ?? ['default'];
}

export function presetRange(key: PresetKey): VoiRange {
  return ranges[key];
}

/** A range relative to `base` (both in pixel values) → fractions of the base window. */
export function relativeRange(base: VoiRange, range: VoiRange): VoiRange {
  const width = base.upper - base.lower || 1;
  return { lower: (range.lower - base.lower) / width, upper: (range.upper - base.lower) / width };
}

/** Fractions of `base` → pixel values. */
export function absoluteRange(base: VoiRange, relative: VoiRange): VoiRange {
  const width = base.upper - base.lower;
  return { lower: base.lower + relative.lower * width, upper: base.lower + relative.upper * width };
}
