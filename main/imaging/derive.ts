import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import sharp from 'sharp';
import { loadImage, type InputKind, type SourceImage } from './image.js';
import { makeMaster } from './master.js';
import { toProgressive } from './progressive-jpeg.js';
import type { ImageMetadata } from './metadata.js';
import { defaultPreset, type Preset, type VariantSpec } from './presets.js';
import { fidelity, gridFor } from './quality.js';
import { render, type RenderedImage, type Window } from './render.js';

export type Variant = 'thumb50' | 'thumb200' | 'preview' | 'view';

/** Written into every lossy output (EXIF ImageDescription) so that a copy found later says what it is. */
export const notForDiagnosis = 'Cusp lossy derivative - NOT FOR DIAGNOSIS; use the lossless master';

export interface Derivative {
  variant: Variant;
  bytes: Buffer;
  contentType: string;
  format: VariantSpec['format'];
  quality: number;
  width: number;
  height: number;
  sha256: string;
  lossy: true;
  /**
   * view and preview: how the output compares with the exact pixels it was encoded from (decoded
   * back; SSIM and PSNR as in quality.ts), after `attempts` encodings from the preset quality up.
   * `met` is false when `maxQuality` was reached below `minSsim`. `grid` 2: measured on every
   * other 8×8 window across and down (images above 4 million samples; within 0.0002 of the full SSIM).
   */
  fidelity?: { ssim: number; psnr: number; minSsim: number; attempts: number; met: boolean; grid: number };
}

export interface MasterOutput {
  bytes: Buffer;
  contentType: 'application/dicom' | 'image/jpeg' | 'image/png' | 'image/webp' | 'image/tiff';
  sha256: string;
  encoding: 'original' | 'jpegls' | 'htj2k' | 'j2k';
  transferSyntaxUid?: string;
  verifiedBitExact: boolean;
  note?: string;
}

export interface DeriveResult {
  kind: SourceImage['kind'];
  /** DICOM header facts (absent for photos). Patient fields are for matching only: never log them. */
  metadata?: ImageMetadata;
  width: number;
  height: number;
  channels: 1 | 3;
  /** The window `render()` used (greyscale only). */
  window?: Window;
  /** Which frame the derivatives show (multi-frame objects: the middle one). */
  frameIndex: number;
  derivatives: Derivative[];
  master: MasterOutput;
  sourceBytes: number;
  /** Milliseconds per stage; view, preview + thumbnails and master run concurrently, so theirs overlap (total is wall-clock). */
  timings: Record<'decode' | 'render' | Variant | 'master' | 'total', number>;
}

const contentTypes = { jpeg: 'image/jpeg', webp: 'image/webp', avif: 'image/avif' } as const;
const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/** The rendered image resized (Lanczos 3) to fit `longSide`; unchanged when already small enough. */
export async function downscale(rendered: RenderedImage, longSide: number): Promise<RenderedImage> {
  if (Math.max(rendered.width, rendered.height) <= longSide) return rendered;
  const { data, info } = await sharp(rendered.data, { raw: { width: rendered.width, height: rendered.height, channels: rendered.channels } })
    .resize({ width: longSide, height: longSide, fit: 'inside', kernel: 'lanczos3' })
    .toColourspace(rendered.channels === 1 ? 'b-w' : 'srgb')
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, channels: rendered.channels, data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
}

/** An encoding; `baseline`: a large image's JPEG, still to be made progressive (`stored`). */
type Encoded = { data: Buffer; info: { width: number; height: number }; baseline?: boolean };

/**
 * Images above this many pixels are "large": their JPEGs are transcoded to progressive here rather
 * than encoded progressive by libjpeg (see `stored`), and their master waits for the lossy outputs
 * (see deriveAll). Both keep one worker's peak memory within a few times the decoded image.
 */
const largeImageSamples = 8_000_000;
const isLarge = (image: { width: number; height: number }) => image.width * image.height > largeImageSamples;

/**
 * One encoding of `source` at `quality`, as stored except that a large image's JPEG is still
 * baseline with default Huffman tables: `stored` makes it progressive once its quality is settled.
 */
async function encodeAt(source: RenderedImage, spec: VariantSpec, quality: number, longSide?: number): Promise<Encoded> {
  const format = spec.format;
  let pipeline = sharp(source.data, { raw: { width: source.width, height: source.height, channels: source.channels } });
  const resized = longSide && Math.max(source.width, source.height) > longSide;
  if (resized) pipeline = pipeline.resize({ width: longSide, height: longSide, fit: 'inside', kernel: 'lanczos3' });
  if (source.channels === 1) pipeline = pipeline.toColourspace('b-w');
  pipeline = pipeline.withExif({ IFD0: { ImageDescription: notForDiagnosis } });
  if (format === 'jpeg') {
    // Outputs resized here (thumbnails) are small; any other is the size of `source`.
    const baseline = !resized && isLarge(source);
    pipeline = pipeline.jpeg({ quality, quantisationTable: spec.quantTable ?? 0, progressive: !baseline, mozjpeg: false, optimiseCoding: !baseline });
    return { ...(await pipeline.toBuffer({ resolveWithObject: true })), baseline };
  }
  if (format === 'webp') pipeline = pipeline.webp({ quality, effort: 4 });
  else pipeline = pipeline.avif({ quality, effort: 2 });
  return pipeline.toBuffer({ resolveWithObject: true });
}

/**
 * The bytes stored. A large image's baseline JPEG is rewritten losslessly by progressive-jpeg.ts
 * as progressive with optimal Huffman tables: the same pixels, ~2 % smaller than libjpeg's own
 * progressive, optimised encoding, whose encoder holds two whole-image coefficient buffers of 4
 * bytes per sample (+84 MB on a 4096×5120 ceph) where the transcoder keeps the non-zero
 * coefficients (+14 MB). Smaller images keep libjpeg's: it runs in libvips' threads, beside this
 * one, where the transcoder would hold up the measurements and the master on this thread.
 */
function stored(encoded: Encoded): Encoded {
  return encoded.baseline ? { data: toProgressive(encoded.data), info: encoded.info } : encoded;
}

/**
 * A JPEG that decodes to the same pixels as the stored output at `quality`, made as cheaply as
 * possible: baseline with default Huffman tables and no EXIF. libjpeg-turbo quantizes the same
 * DCT coefficients for it as for the progressive, optimised output (they differ only in how the
 * coefficients are entropy coded), so both decode identically, and it encodes and decodes several
 * times faster (4096×5120 ceph: 50 + 41 ms against 468 + 430 ms).
 */
function jpegTrial(source: RenderedImage, quality: number, quantTable = 0): Promise<Buffer> {
  let pipeline = sharp(source.data, { raw: { width: source.width, height: source.height, channels: source.channels } });
  if (source.channels === 1) pipeline = pipeline.toColourspace('b-w');
  return pipeline.jpeg({ quality, quantisationTable: quantTable, progressive: false, mozjpeg: false, optimiseCoding: false }).toBuffer();
}

/**
 * Every grid-th 8×8 block across and down of a greyscale image, side by side. A greyscale JPEG
 * codes each 8×8 block on its own (no colour conversion or subsampling), so a JPEG of this mosaic
 * decodes to exactly the pixels those blocks get in the JPEG of the whole image, and its SSIM over
 * every window equals `compare(…, grid)` over the whole image: the same answer for a grid² of
 * the encoding and decoding.
 */
function mosaic(source: RenderedImage, grid: number): RenderedImage {
  const across = source.width >> 3, down = source.height >> 3;
  const width = Math.ceil(across / grid) * 8, height = Math.ceil(down / grid) * 8;
  const data = new Uint8Array(width * height);
  let o = 0;
  for (let by = 0; by < down; by += grid) {
    for (let j = 0; j < 8; j++) {
      const row = (by * 8 + j) * source.width;
      for (let bx = 0; bx < across; bx += grid, o += 8) data.set(source.data.subarray(row + bx * 8, row + bx * 8 + 8), o);
    }
  }
  return { width, height, channels: 1, data };
}

/**
 * The next quality to try after `quality` measured `ssim` below `minSsim`. From libjpeg's scaling
 * (quality ≥ 50: quantizer steps proportional to 100 − quality), 1 − SSIM grows about as
 * (100 − quality)^0.8 on radiographs; the exponent 0.75 used here errs towards the higher quality,
 * so one more attempt usually meets the target (a noisy bitewing: 2 encodings instead of 3–4).
 * Always at least one step up, never above `maxQuality`.
 */
export function nextQuality(quality: number, ssim: number, minSsim: number, maxQuality: number): number {
  const predicted = quality >= 50 && ssim < 1 ? 100 - (100 - quality) * ((1 - minSsim) / (1 - ssim)) ** (1 / 0.75) : quality + 1;
  return Math.min(maxQuality, Math.max(quality + 1, Math.ceil(predicted - 1e-9)));
}

/**
 * Encodes one variant from the rendered 8-bit image (resized first when the spec says so). With
 * `minSsim` in the spec, the output at the preset quality is decoded back and compared with the
 * exact pixels encoded (quality.ts); below the target the quality is raised (`nextQuality`) until
 * it is met or `maxQuality` is reached, and the output is the one at the quality found.
 */
export async function encodeVariant(rendered: RenderedImage, variant: Variant, spec: VariantSpec): Promise<Derivative> {
  let quality = spec.quality;
  let measured: Derivative['fidelity'];
  let output: Encoded;
  if (spec.minSsim === undefined) {
    // Resized (thumbnails) and encoded in one sharp pipeline.
    output = stored(await encodeAt(rendered, spec, quality, spec.longSide));
  } else {
    // The comparison needs the exact pixels encoded: resize first.
    const source = spec.longSide ? await downscale(rendered, spec.longSide) : rendered;
    const maxQuality = Math.max(spec.maxQuality ?? quality, quality);
    const grid = gridFor(source);
    const jpeg = spec.format === 'jpeg';
    // The encoding at the quality being tried runs in libvips' threads while a cheap JPEG twin of
    // it is decoded and measured here (other formats: the output itself); when the measurement
    // passes, the encoding is (nearly) done.
    const start = () => {
      const encoding = encodeAt(source, spec, quality);
      encoding.catch(() => undefined); // its failure surfaces where it is awaited, not as an unhandled rejection
      return encoding;
    };
    let pending = start();
    // Greyscale JPEG measured on a grid: only the blocks measured are encoded and decoded.
    const sampled = jpeg && source.channels === 1 && grid > 1 ? mosaic(source, grid) : undefined;
    const attempt = async () => {
      if (sampled) return fidelity(sampled, await jpegTrial(sampled, quality, spec.quantTable));
      return fidelity(source, jpeg ? await jpegTrial(source, quality, spec.quantTable) : (await pending).data, grid);
    };
    let found = await attempt();
    let attempts = 1;
    while (found.ssim < spec.minSsim && quality < maxQuality) {
      quality = nextQuality(quality, found.ssim, spec.minSsim, maxQuality);
      // Never two stored-size encodings at once (memory): the missed one finishes first.
      await pending.catch(() => undefined);
      pending = start();
      found = await attempt();
      attempts++;
    }
    output = stored(await pending);
    measured = { ssim: found.ssim, psnr: found.psnr, minSsim: spec.minSsim, attempts, met: found.ssim >= spec.minSsim, grid };
  }
  const { data, info } = output;
  return {
    variant,
    bytes: data,
    contentType: contentTypes[spec.format],
    format: spec.format,
    quality,
    width: info.width,
    height: info.height,
    sha256: sha256(data),
    lossy: true,
    ...(measured ? { fidelity: measured } : {}),
  };
}

/** The master: a DICOM's original or verified lossless re-encode (master.ts); a photo's own file. */
async function masterOf(bytes: Uint8Array, source: SourceImage, preset: Preset): Promise<MasterOutput> {
  if (source.kind !== 'dicom') {
    const masterBytes = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    return { bytes: masterBytes, contentType: `image/${source.format}`, sha256: sha256(masterBytes), encoding: 'original', verifiedBitExact: false };
  }
  const m = await makeMaster(bytes, source.parsed, source.pixel, preset.master, { index: source.frameIndex, frame: source.frame });
  const masterBytes = Buffer.from(m.bytes.buffer, m.bytes.byteOffset, m.bytes.byteLength);
  return {
    bytes: masterBytes,
    contentType: 'application/dicom',
    sha256: sha256(masterBytes),
    encoding: m.encoding,
    transferSyntaxUid: m.transferSyntaxUid,
    verifiedBitExact: m.verifiedBitExact,
    ...(m.note ? { note: m.note } : {}),
  };
}

/**
 * The whole pipeline for one file, as ingest and `cusp derive` call it:
 * `deriveAll(bytesOrPath, preset)` → header metadata, the four lossy derivatives made from the
 * exact `render()` output, and the master (original, or a verified bit-exact lossless re-encode).
 * Throws ImagingError (with `reason`) for any file it refuses; it returns nothing partial.
 */
export async function deriveAll(
  input: Uint8Array | string,
  preset: Preset = defaultPreset,
  options: { expect?: InputKind; window?: Window } = {},
): Promise<DeriveResult> {
  const t0 = performance.now();
  const bytes = typeof input === 'string' ? await readFile(input) : input;
  const source = await loadImage(bytes, { expect: options.expect ?? 'dicom' });
  const t1 = performance.now();
  const rendered = render(source.frame, source.pipeline, options.window);
  const t2 = performance.now();
  const timings = { decode: t1 - t0, render: t2 - t1 } as DeriveResult['timings'];
  const timed = async <T>(stage: keyof DeriveResult['timings'], run: () => Promise<T>): Promise<T> => {
    const start = performance.now();
    const value = await run();
    timings[stage] = performance.now() - start;
    return value;
  };
  // Three independent chains run at once, so two cores are busy: the view's encodings (libvips
  // threads; a large image's transcoding on this thread), the preview and thumbnails, and the
  // master (codecs on this thread). Started in that order so the libvips work is queued before the
  // master's codec occupies this thread. A large image's master waits for the others: a DICOM's
  // lossless re-encode with its bit-exact check holds several copies of the frame, which should
  // not coincide with the view's and preview's buffers (the memory target is per worker).
  const view = timed('view', () => encodeVariant(rendered, 'view', preset.view));
  const smaller = (async () => {
    // Thumbnails are made from the preview-sized image: the same look, a fraction of the resampling work.
    let reduced = rendered;
    const preview = await timed('preview', async () => encodeVariant((reduced = await downscale(rendered, preset.preview.longSide!)), 'preview', preset.preview));
    const thumbs: Derivative[] = [];
    for (const variant of ['thumb200', 'thumb50'] as const) {
      const spec = preset[variant];
      const from = spec.longSide && Math.max(reduced.width, reduced.height) >= spec.longSide ? reduced : rendered;
      thumbs.push(await timed(variant, () => encodeVariant(from, variant, spec)));
    }
    return [preview, ...thumbs];
  })();
  const makeMasterNow = () => timed('master', () => masterOf(bytes, source, preset));
  const master = !isLarge(rendered) ? makeMasterNow() : Promise.allSettled([view, smaller]).then(makeMasterNow);
  // Every chain settles before anything is thrown, so no encoding outlives a failed call.
  const [viewOut, smallerOut, masterOut] = await Promise.allSettled([view, smaller, master]);
  for (const outcome of [viewOut, smallerOut, masterOut]) if (outcome.status === 'rejected') throw outcome.reason;
  const [preview, thumb200, thumb50] = (smallerOut as PromiseFulfilledResult<Derivative[]>).value;
  const derivatives = [thumb50!, thumb200!, preview!, (viewOut as PromiseFulfilledResult<Derivative>).value];
  timings.total = performance.now() - t0;
  return {
    kind: source.kind,
    ...(source.kind === 'dicom' ? { metadata: source.metadata } : {}),
    width: rendered.width,
    height: rendered.height,
    channels: rendered.channels,
    ...(rendered.window ? { window: rendered.window } : {}),
    frameIndex: source.kind === 'dicom' ? source.frameIndex : 0,
    derivatives,
    master: (masterOut as PromiseFulfilledResult<MasterOutput>).value,
    sourceBytes: bytes.length,
    timings,
  };
}
