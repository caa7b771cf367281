import type { Knex } from 'knex';
import { compressionSchema, type Compression } from '../../contract/index.js';
import { readSetting } from '../db/repositories/practice-settings.js';
import { definePreset, presetNamed, type Preset } from '../imaging/presets.js';

/** The practice's compression setting (`practice_settings.compression`); every workstation and agent shares it. */
export const compressionSetting = 'compression';
export const defaultCompression: Compression = { preset: 'default', view: null };

/**
 * The preset the ingest pipeline derives new images with: a validated named preset, with the
 * view's format and quality replaced when the practice adjusted them. Still validated by
 * definePreset (AVIF only when chosen explicitly; SSIM ≥ the preset's target is still enforced,
 * so the quality set here is where the search starts).
 */
export function presetFor(compression: Compression): Preset {
  const base = presetNamed(compression.preset);
  if (!compression.view) return base;
  const { format, quality } = compression.view;
  const maxQuality = Math.max(base.view.maxQuality ?? quality, quality);
  // The base's quantization table is a JPEG setting: another format goes without it.
  const { quantTable, ...baseView } = base.view;
  return definePreset({
    ...base,
    name: `${base.name}-view-${format}-${quality}`.slice(0, 32),
    allowAvif: base.allowAvif || format === 'avif',
    view: { ...baseView, ...(format === 'jpeg' && quantTable !== undefined ? { quantTable } : {}), format, quality, maxQuality },
  });
}

export async function readCompression(knex: Knex, practiceId: string): Promise<Compression> {
  const stored = await readSetting<unknown>(knex, practiceId, compressionSetting);
  const parsed = compressionSchema.safeParse(stored ?? defaultCompression);
  return parsed.success ? parsed.data : defaultCompression;
}

/**
 * The practice preset for the ingest pipeline, re-read at most every `maxAgeMs` (a change made on
 * one workstation reaches every agent within a minute, without a database read per image).
 */
export function practicePresetLoader(knex: Knex, practiceId: string, maxAgeMs = 60_000): () => Promise<Preset> {
  let cached: { preset: Preset; at: number } | null = null;
  return async () => {
    if (cached && Date.now() - cached.at < maxAgeMs) return cached.preset;
    const preset = presetFor(await readCompression(knex, practiceId));
    cached = { preset, at: Date.now() };
    return preset;
  };
}
