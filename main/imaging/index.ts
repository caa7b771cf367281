/**
 * The imaging pipeline's public surface, for ingest, `cusp import` and the CLI:
 *
 * - `deriveAll(bytesOrPath, preset, { expect })` → `{ metadata, window, derivatives[], master, timings }`
 *   in this thread, or `new DerivePool().derive(...)` for the same in worker threads with back-pressure.
 *   Failures throw `ImagingError` whose `reason` says why (NOT_DICOM, TRUNCATED, …); nothing partial is returned.
 * - `loadImage(bytes)` + `render(frame, pipeline, window?)`: exactly the 8-bit picture the viewer shows.
 * - `readMetadata` / `ImageMetadata`: header facts for matching and filing (patient fields: never log them).
 * - `definePreset` / `presetNamed`: validated derivative presets; view and preview are encoded up
 *   from their quality until SSIM against the rendered pixels reaches `minSsim` (each derivative's
 *   `fidelity` says what was reached, in how many attempts).
 * - `compare` / `ssim` / `psnr`: the one SSIM/PSNR implementation (pipeline and benchmark).
 */
export { deriveAll, notForDiagnosis, type Derivative, type DeriveResult, type MasterOutput, type Variant } from './derive.js';
export { ImagingError, imagingErrorReasons, type ImagingErrorReason } from './errors.js';
export { inputKindOf, loadImage, type DicomSource, type InputKind, type RasterSource, type SourceImage } from './image.js';
export { readMetadata, type ImageMetadata } from './metadata.js';
export { DerivePool, type DerivePoolOptions } from './pool.js';
export { defaultPreset, definePreset, namedPresets, presetNamed, type Preset, type PresetInput, type VariantSpec } from './presets.js';
export { compare, fidelity, psnr, ssim, type Fidelity } from './quality.js';
export { autoWindow, defaultWindow, render, type RenderedImage, type Window } from './render.js';
