/**
 * The imaging pipeline's public surface, for ingest, `cusp import` and the CLI:
 *
 * - `deriveAll(bytesOrPath, preset, { expect })` → `{ metadata, window, derivatives[], master, timings }`
 *   in this thread, or `new DerivePool().derive(...)` for the same in worker threads with back-pressure.
 *   Failures throw `ImagingError` whose `reason` says why (NOT_DICOM, TRUNCATED, …); nothing partial is returned.
 * - `loadImage(bytes)` + `render(frame, pipeline, window?)`: exactly the 8-bit picture the viewer shows.
 * - `readMetadata` / `ImageMetadata`: header facts for matching and filing (patient fields: never log them).
 * - `definePreset` / `presetNamed`: validated derivative presets.
 */
export { deriveAll, notForDiagnosis, type Derivative, type DeriveResult, type MasterOutput, type Variant } from './derive.js';
export { ImagingError, imagingErrorReasons, type ImagingErrorReason } from './errors.js';
export { inputKindOf, loadImage, type DicomSource, type InputKind, type RasterSource, type SourceImage } from './image.js';
export { readMetadata, type ImageMetadata } from './metadata.js';
export { DerivePool, type DerivePoolOptions } from './pool.js';
export { defaultPreset, definePreset, namedPresets, presetNamed, type Preset, type PresetInput, type VariantSpec } from './presets.js';
export { autoWindow, defaultWindow, render, type RenderedImage, type Window } from './render.js';
