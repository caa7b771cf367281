/**
 * The compression benchmark of issue 4, on the real radiographs in ../shared/data: per image the
 * original and each derivative's bytes, the view's reduction against the uncompressed pixels,
 * PSNR and SSIM of view and preview against the exact render() output, milliseconds per stage,
 * the lossless master against the best of JPEG-LS / HTJ2K / JPEG 2000, and peak memory (each
 * image in a fresh process: imaging-memory.ts); then throughput with 1 and 2 workers and the full
 * pipeline against a baseline (decode + render + one sharp JPEG encode) measured in the same run,
 * in wall-clock and CPU time, with and without the SSIM targets of view and preview.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { encodeLossless, type LosslessCodec } from '../main/imaging/codecs.js';
import { decodeFrame } from '../main/imaging/decode.js';
import { deriveAll, downscale, type Derivative, type DeriveResult } from '../main/imaging/derive.js';
import { inputKindOf, loadImage, type SourceImage } from '../main/imaging/image.js';
import { DerivePool } from '../main/imaging/pool.js';
import { defaultPreset, type Preset } from '../main/imaging/presets.js';
import { compare, decodeLike, type Fidelity } from '../main/imaging/quality.js';
import { render, type RenderedImage } from '../main/imaging/render.js';

const here = dirname(fileURLToPath(import.meta.url));
const shared = process.env.CUSP_SHARED_DATA ?? resolve(here, '..', '..', 'shared', 'data');
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

/**
 * The derivative decoded back, against the exact pixels it was encoded from (render() for view, and
 * render() resized by the pipeline's own downscale for preview), with the SSIM / PSNR the pipeline
 * itself uses (main/imaging/quality.ts), always over every window.
 */
async function measure(reference: RenderedImage, bytes: Buffer): Promise<Fidelity> {
  const decoded = await decodeLike(bytes, reference.channels);
  if (decoded.width !== reference.width || decoded.height !== reference.height) throw new Error('derivative and reference differ in size');
  return compare(decoded.data, reference.data, reference.width, reference.height, reference.channels);
}

/**
 * Flags a pipeline-recorded SSIM that differs from the bench's own measurement of the stored file
 * (exactly equal expected, or within 0.002 where the pipeline measured every other window).
 */
const disagreement = (measured: Fidelity, d: Derivative) =>
  d.fidelity && Math.abs(d.fidelity.ssim - measured.ssim) > (d.fidelity.grid > 1 ? 0.002 : 1e-9) ? ` (pipeline recorded SSIM ${d.fidelity.ssim.toFixed(4)}!)` : '';

/** "q92 (3 tries)": the quality the SSIM target led to, and how many encodings it took. */
const chosen = (d: Derivative) => `q${d.quality}${d.fidelity ? ` (${d.fidelity.attempts} ${d.fidelity.attempts === 1 ? 'try' : 'tries'}${d.fidelity.met ? '' : `, SSIM ${d.fidelity.minSsim} NOT met`})` : ''}`;

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

const execFileAsync = promisify(execFile);

/**
 * Peak memory of one `deriveAll` of `path`, in bytes above the memory after a warm-up, measured in a
 * fresh child process (imaging-memory.ts): in this long-lived process malloc keeps what an earlier
 * large image freed, so later images showed +0 MB. `cold`: warmed up on a small uncompressed image,
 * so the figure includes what a worker's first image of this kind costs once (its codec loaded, the
 * WebAssembly and V8 heaps grown); `warm`: warmed up on the same image, as a worker that has
 * processed its like before.
 */
async function peakMemory(path: string): Promise<{ cold: number; warm: number }> {
  const peakAfter = async (warmUp: string) => {
    const { stdout } = await execFileAsync(process.execPath, ['--expose-gc', '--import', 'tsx', join(here, 'imaging-memory.ts'), warmUp, path], { maxBuffer: 1 << 20 });
    return (JSON.parse(stdout.trim().split('\n').pop()!) as { peak: number }).peak;
  };
  return { cold: await peakAfter(images[1]!), warm: await peakAfter(path) };
}

const timingRuns = 5;

/** Wall-clock and CPU milliseconds (every thread of the process: JS, libvips, codecs) of `task`. */
async function clocked<T>(task: () => Promise<T>): Promise<{ value: T; wall: number; cpu: number }> {
  const t = performance.now();
  const c = process.cpuUsage();
  const value = await task();
  const used = process.cpuUsage(c);
  return { value, wall: performance.now() - t, cpu: (used.user + used.system) / 1000 };
}

async function baseline(path: string): Promise<{ wall: number; cpu: number }> {
  return clocked(async () => {
    const source = await loadImage(readFileSync(path), { expect: inputKindOf(path) });
    const rendered = render(source.frame, source.pipeline);
    await sharp(rendered.data, { raw: { width: rendered.width, height: rendered.height, channels: rendered.channels } }).jpeg({ quality: defaultPreset.view.quality }).toBuffer();
  });
}

/** The default preset without SSIM targets (view q88, preview q85 as they are): what the targets cost, in the same run. */
const fixedQuality: Preset = {
  ...defaultPreset,
  name: 'fixed-quality',
  view: { format: defaultPreset.view.format, quality: defaultPreset.view.quality },
  preview: { format: defaultPreset.preview.format, quality: defaultPreset.preview.quality, longSide: defaultPreset.preview.longSide! },
};

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
  const { view: v, preview: p } = defaultPreset;
  console.log(
    `\n== Imaging: derivatives of the real radiographs (default preset: JPEG progressive, view from q${v.quality} and preview from q${p.quality}, ` +
      `raised by 2 up to q${v.maxQuality} until SSIM ≥ ${v.minSsim}) ==`,
  );
  sharp.cache(false); // as in the pool threads: memory figures without libvips' operation cache
  // Warm the codecs once so the first image's timings are not codec start-up.
  for (const p of images.slice(0, 4)) await deriveAll(p, defaultPreset, { expect: inputKindOf(p) });
  // Sums over the images of each one's fastest run: wall-clock and CPU ms.
  const sum = { full: { wall: 0, cpu: 0 }, fixed: { wall: 0, cpu: 0 }, base: { wall: 0, cpu: 0 } };
  const rows: string[] = [];
  for (const path of images) {
    const bytes = readFileSync(path);
    const peak = await peakMemory(path);
    const result = await deriveAll(bytes, defaultPreset, { expect: inputKindOf(path) });
    // The machine is shared: the pipeline, the same without SSIM targets, and the baseline each take
    // their fastest of `timingRuns` (wall-clock and CPU separately), interleaved.
    let fastest: DeriveResult | undefined;
    const fastestOf = { full: { wall: Infinity, cpu: Infinity }, fixed: { wall: Infinity, cpu: Infinity }, base: { wall: Infinity, cpu: Infinity } };
    const keep = (key: keyof typeof fastestOf, m: { wall: number; cpu: number }) => {
      fastestOf[key] = { wall: Math.min(fastestOf[key].wall, m.wall), cpu: Math.min(fastestOf[key].cpu, m.cpu) };
    };
    for (let i = 0; i < timingRuns; i++) {
      const run = await clocked(() => deriveAll(bytes, defaultPreset, { expect: inputKindOf(path) }));
      if (!fastest || run.value.timings.total < fastest.timings.total) fastest = run.value;
      keep('full', run);
      keep('fixed', await clocked(() => deriveAll(bytes, fixedQuality, { expect: inputKindOf(path) })));
      keep('base', await baseline(path));
    }
    for (const key of ['full', 'fixed', 'base'] as const) {
      sum[key].wall += fastestOf[key].wall;
      sum[key].cpu += fastestOf[key].cpu;
    }
    const baseMs = fastestOf.base.wall;
    const source = await loadImage(bytes, { expect: inputKindOf(path) });
    const rendered = render(source.frame, source.pipeline);
    const uncompressed = source.kind === 'dicom'
      ? source.pixel.rows * source.pixel.columns * source.pixel.samplesPerPixel * (source.pixel.bitsAllocated / 8)
      : rendered.data.length;
    const by = Object.fromEntries(result.derivatives.map((d) => [d.variant, d]));
    const view = await measure(rendered, by.view!.bytes);
    const preview = await measure(await downscale(rendered, defaultPreset.preview.longSide!), by.preview!.bytes);
    const best = await bestLossless(source);
    const bestSize = best ? Math.min(...Object.values(best)) : undefined;
    const t = fastest!.timings;
    rows.push(
      [
        name(path),
        `${result.width}x${result.height}${source.kind === 'dicom' ? ` ${source.pixel.bitsStored}-bit` : ' 8-bit'}`,
        `orig ${kb(result.sourceBytes)} (uncompressed ${kb(uncompressed)})`,
        `thumb50 ${by.thumb50!.bytes.length}B thumb200 ${by.thumb200!.bytes.length}B preview ${kb(by.preview!.bytes.length)} view ${kb(by.view!.bytes.length)}`,
        `view ${chosen(by.view!)} -${(100 * (1 - by.view!.bytes.length / uncompressed)).toFixed(1)}% PSNR ${view.psnr.toFixed(1)} SSIM ${view.ssim.toFixed(4)}${disagreement(view, by.view!)}`,
        `preview ${chosen(by.preview!)} PSNR ${preview.psnr.toFixed(1)} SSIM ${preview.ssim.toFixed(4)}${disagreement(preview, by.preview!)}`,
        `master ${result.master.encoding}${result.master.verifiedBitExact ? ' bit-exact' : ''} ${kb(result.master.bytes.length)}` +
          (best && bestSize ? ` (JPEG-LS ${kb(best.jpegls)}, HTJ2K ${kb(best.htj2k)}, J2K ${kb(best.j2k)}; master/best ${(result.master.bytes.length / bestSize).toFixed(2)})` : ''),
        `ms decode ${ms(t.decode)} render ${ms(t.render)} thumb50 ${ms(t.thumb50)} thumb200 ${ms(t.thumb200)} preview ${ms(t.preview)} view ${ms(t.view)} master ${ms(t.master)} total ${ms(t.total)} | baseline ${ms(baseMs)}`,
        `peak memory cold +${(peak.cold / 1048576).toFixed(0)} MB = ${(peak.cold / uncompressed).toFixed(1)}x decoded, warm +${(peak.warm / 1048576).toFixed(0)} MB = ${(peak.warm / uncompressed).toFixed(1)}x`,
      ].join('\n    '),
    );
  }
  for (const row of rows) console.log(`  ${row}`);
  const ratio = (key: 'full' | 'fixed', clock: 'wall' | 'cpu') => (sum[key][clock] / sum.base[clock]).toFixed(2);
  console.log(
    `  full pipeline (every derivative, the SSIM-targeted steps included, and the master) / baseline (decode + render + one JPEG encode), ` +
      `fastest of ${timingRuns} each: ${ratio('full', 'wall')}x wall-clock (${ms(sum.full.wall)} ms vs ${ms(sum.base.wall)} ms over ${images.length} images), ` +
      `${ratio('full', 'cpu')}x CPU time; without the SSIM targets (fixed q${defaultPreset.view.quality}/q${defaultPreset.preview.quality}) ` +
      `${ratio('fixed', 'wall')}x wall-clock, ${ratio('fixed', 'cpu')}x CPU time`,
  );
  const one = await throughput(1, 2);
  const two = await throughput(2, 2);
  console.log(`  throughput: ${one.toFixed(2)} images/s with 1 worker, ${two.toFixed(2)} images/s with 2 workers (${(two / one).toFixed(2)}x)`);
}
