/**
 * The compression benchmark of issue 4, on the real radiographs in ../shared/data: per image the
 * original and each derivative's bytes, the view's reduction against the uncompressed pixels,
 * PSNR and SSIM of view and preview against the exact render() output, milliseconds per stage,
 * the lossless master against the best of JPEG-LS / HTJ2K / JPEG 2000, and peak memory; then
 * throughput with 1 and 2 workers and the full pipeline against a baseline (decode + render + one
 * sharp JPEG encode) measured in the same run.
 */
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { encodeLossless, type LosslessCodec } from '../main/imaging/codecs.js';
import { decodeFrame } from '../main/imaging/decode.js';
import { deriveAll, type DeriveResult } from '../main/imaging/derive.js';
import { inputKindOf, loadImage, type SourceImage } from '../main/imaging/image.js';
import { DerivePool } from '../main/imaging/pool.js';
import { defaultPreset } from '../main/imaging/presets.js';
import { render, type RenderedImage } from '../main/imaging/render.js';

const shared = process.env.CUSP_SHARED_DATA ?? resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'shared', 'data');
const images = [
  'dicom/dental/IO_bitewing01_12bit_ExplicitVRLE.dcm',
  'dicom/dental/IO_bitewing01_8bit_ExplicitVRLE.dcm',
  'dicom/compressed/pydicomdata_RG1_J2KI.dcm',
  'dicom/compressed/pydicomdata_RG3_J2KR.dcm',
  'dicom/compressed/fodicom_CR-ModalitySequenceLUT.dcm',
  'dicom/compressed/fodicom_CR-MONO1-10-chest_nometa.dcm',
  'dental-images/ceph_lateral_boltonbrush_B1893L12.jpg',
  'dental-images/ceph_pa_boltonbrush_B1893F12.jpg',
  'dental-images/ceph_lateral_boltonbrush_scan_lowres.png',
  'dental-images/ceph_lateral_alexcorvi_sample.jpg',
  'dental-images/ceph_lateral_alexcorvi_traced_overlay.png',
].map((p) => join(shared, p));

const name = (path: string) => path.split('/').pop()!;
const kb = (n: number) => `${(n / 1024).toFixed(1)}K`;
const ms = (n: number) => n.toFixed(0);

function psnr(a: Uint8Array, b: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += (a[i]! - b[i]!) ** 2;
  return sum === 0 ? Infinity : 10 * Math.log10((255 * 255) / (sum / a.length));
}

/** Mean SSIM over non-overlapping 8×8 windows (constants of Wang et al. 2004), per channel averaged. */
function ssim(a: Uint8Array, b: Uint8Array, width: number, height: number, channels: number): number {
  const c1 = (0.01 * 255) ** 2, c2 = (0.03 * 255) ** 2;
  let total = 0, windows = 0;
  for (let c = 0; c < channels; c++) {
    for (let y = 0; y + 8 <= height; y += 8) {
      for (let x = 0; x + 8 <= width; x += 8) {
        let sa = 0, sb = 0, saa = 0, sbb = 0, sab = 0;
        for (let j = 0; j < 8; j++) {
          for (let i = 0; i < 8; i++) {
            const k = ((y + j) * width + x + i) * channels + c;
            const va = a[k]!, vb = b[k]!;
            sa += va; sb += vb; saa += va * va; sbb += vb * vb; sab += va * vb;
          }
        }
        const ma = sa / 64, mb = sb / 64;
        const va = saa / 64 - ma * ma, vb = sbb / 64 - mb * mb, cov = sab / 64 - ma * mb;
        total += ((2 * ma * mb + c1) * (2 * cov + c2)) / ((ma * ma + mb * mb + c1) * (va + vb + c2));
        windows++;
      }
    }
  }
  return total / windows;
}

/** The derivative decoded back, and the lossless reference at the same size (render() resized by the same kernel). */
async function fidelity(rendered: RenderedImage, bytes: Buffer): Promise<{ psnr: number; ssim: number }> {
  const decoded = await sharp(bytes).toColourspace(rendered.channels === 1 ? 'b-w' : 'srgb').raw().toBuffer({ resolveWithObject: true });
  const { width, height } = decoded.info;
  let reference = rendered.data;
  if (width !== rendered.width || height !== rendered.height) {
    const resized = await sharp(rendered.data, { raw: { width: rendered.width, height: rendered.height, channels: rendered.channels } })
      .resize({ width, height, fit: 'fill', kernel: 'lanczos3' })
      .toColourspace(rendered.channels === 1 ? 'b-w' : 'srgb')
      .raw()
      .toBuffer();
    reference = new Uint8Array(resized.buffer, resized.byteOffset, resized.byteLength);
  }
  const data = new Uint8Array(decoded.data.buffer, decoded.data.byteOffset, decoded.data.byteLength);
  return { psnr: psnr(data, reference), ssim: ssim(data, reference, width, height, rendered.channels) };
}

/** Smallest lossless encoding of the decoded pixels among JPEG-LS, HTJ2K and JPEG 2000 (greyscale DICOM only). */
async function bestLossless(source: SourceImage): Promise<Record<LosslessCodec, number> | undefined> {
  if (source.kind !== 'dicom' || source.frame.channels !== 1) return undefined;
  const frame = await decodeFrame(source.parsed, source.pixel, 0);
  const bytes = new Uint8Array(frame.samples.buffer, frame.samples.byteOffset, frame.samples.byteLength);
  const info = { width: frame.width, height: frame.height, componentCount: 1, isUsingColorTransform: false };
  const sizes = {} as Record<LosslessCodec, number>;
  for (const codec of ['jpegls', 'htj2k', 'j2k'] as const) {
    const signed = codec !== 'jpegls' && frame.signed;
    sizes[codec] = (await encodeLossless(codec, bytes, { ...info, bitsPerSample: signed ? source.pixel.bitsAllocated : frame.bitsStored, isSigned: signed })).length;
  }
  return sizes;
}

/** Runs `task` while sampling RSS; returns its result and the peak growth in bytes. */
async function withPeakMemory<T>(task: () => Promise<T>): Promise<{ value: T; peak: number }> {
  global.gc?.();
  const before = process.memoryUsage().rss;
  let peak = before;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 2);
  try {
    const value = await task();
    peak = Math.max(peak, process.memoryUsage().rss);
    return { value, peak: peak - before };
  } finally {
    clearInterval(timer);
  }
}

async function baseline(path: string): Promise<number> {
  const t = performance.now();
  const source = await loadImage(readFileSync(path), { expect: inputKindOf(path) });
  const rendered = render(source.frame, source.pipeline);
  await sharp(rendered.data, { raw: { width: rendered.width, height: rendered.height, channels: rendered.channels } }).jpeg({ quality: defaultPreset.view.quality }).toBuffer();
  return performance.now() - t;
}

async function throughput(threads: number, rounds: number): Promise<number> {
  const pool = new DerivePool({ threads });
  try {
    await Promise.all(images.map((p) => pool.derive(p, defaultPreset, inputKindOf(p)))); // warm-up: codecs load once per thread
    const t = performance.now();
    const jobs: Promise<DeriveResult>[] = [];
    for (let r = 0; r < rounds; r++) for (const p of images) jobs.push(pool.derive(p, defaultPreset, inputKindOf(p)));
    await Promise.all(jobs);
    return (jobs.length / (performance.now() - t)) * 1000;
  } finally {
    await pool.close();
  }
}

export async function run(): Promise<void> {
  console.log('\n== Imaging: derivatives of the real radiographs (default preset: JPEG, view q88 progressive) ==');
  sharp.cache(false); // as in the pool threads: memory figures without libvips' operation cache
  // Warm the codecs once so the first image's timings are not codec start-up.
  for (const p of images.slice(0, 4)) await deriveAll(p, defaultPreset, { expect: inputKindOf(p) });
  let full = 0, base = 0;
  const rows: string[] = [];
  for (const path of images) {
    const bytes = readFileSync(path);
    const { value: result, peak } = await withPeakMemory(() => deriveAll(bytes, defaultPreset, { expect: inputKindOf(path) }));
    const baseMs = await baseline(path);
    full += result.timings.total;
    base += baseMs;
    const source = await loadImage(bytes, { expect: inputKindOf(path) });
    const rendered = render(source.frame, source.pipeline);
    const uncompressed = source.kind === 'dicom'
      ? source.pixel.rows * source.pixel.columns * source.pixel.samplesPerPixel * (source.pixel.bitsAllocated / 8)
      : rendered.data.length;
    const by = Object.fromEntries(result.derivatives.map((d) => [d.variant, d]));
    const view = await fidelity(rendered, by.view!.bytes);
    const preview = await fidelity(rendered, by.preview!.bytes);
    const best = await bestLossless(source);
    const bestSize = best ? Math.min(...Object.values(best)) : undefined;
    const t = result.timings;
    rows.push(
      [
        name(path),
        `${result.width}x${result.height}${source.kind === 'dicom' ? ` ${source.pixel.bitsStored}-bit` : ' 8-bit'}`,
        `orig ${kb(result.sourceBytes)} (uncompressed ${kb(uncompressed)})`,
        `thumb50 ${by.thumb50!.bytes.length}B thumb200 ${by.thumb200!.bytes.length}B preview ${kb(by.preview!.bytes.length)} view ${kb(by.view!.bytes.length)}`,
        `view -${(100 * (1 - by.view!.bytes.length / uncompressed)).toFixed(1)}% PSNR ${view.psnr.toFixed(1)} SSIM ${view.ssim.toFixed(4)}`,
        `preview PSNR ${preview.psnr.toFixed(1)} SSIM ${preview.ssim.toFixed(4)}`,
        `master ${result.master.encoding}${result.master.verifiedBitExact ? ' bit-exact' : ''} ${kb(result.master.bytes.length)}` +
          (best && bestSize ? ` (JPEG-LS ${kb(best.jpegls)}, HTJ2K ${kb(best.htj2k)}, J2K ${kb(best.j2k)}; master/best ${(result.master.bytes.length / bestSize).toFixed(2)})` : ''),
        `ms decode ${ms(t.decode)} render ${ms(t.render)} thumb50 ${ms(t.thumb50)} thumb200 ${ms(t.thumb200)} preview ${ms(t.preview)} view ${ms(t.view)} master ${ms(t.master)} total ${ms(t.total)} | baseline ${ms(baseMs)}`,
        `peak memory +${(peak / 1048576).toFixed(0)} MB = ${(peak / uncompressed).toFixed(1)}x decoded`,
      ].join('\n    '),
    );
  }
  for (const row of rows) console.log(`  ${row}`);
  console.log(`  full pipeline / baseline (decode + render + one JPEG encode): ${(full / base).toFixed(2)}x (${ms(full)} ms vs ${ms(base)} ms over ${images.length} images)`);
  const one = await throughput(1, 2);
  const two = await throughput(2, 2);
  console.log(`  throughput: ${one.toFixed(2)} images/s with 1 worker, ${two.toFixed(2)} images/s with 2 workers (${(two / one).toFixed(2)}x)`);
}
