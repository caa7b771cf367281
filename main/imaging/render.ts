import type { DataSet, Element } from 'dicom-parser';
import type { DecodedFrame } from './decode.js';
import { firstNumber } from './metadata.js';

/**
 * The greyscale pixel pipeline, in DICOM order: stored value → Modality LUT (rescale or LUT
 * Sequence) → VOI (window or VOI LUT Sequence) → presentation (MONOCHROME1 inverted) → 8 bits.
 * `render()` is the single implementation of that chain: the derivatives are made from its output
 * and the viewer shows the same numbers, so what a clinician sees can be compared with it exactly.
 */
export interface Lut {
  /** Stored (or modality) value mapped to the first entry. */
  first: number;
  data: Uint16Array;
  /** Bits per entry (from the LUT Descriptor). */
  bits: number;
}

export interface GreyPipeline {
  modality: { slope: number; intercept: number } | Lut;
  /** The VOI LUT Sequence's first LUT, when the file has one. */
  voiLut?: Lut;
  fileWindows: { center: number; width: number }[];
  invert: boolean;
}

export type WindowSource = 'file' | 'voiLut' | 'auto' | 'explicit';
export interface Window {
  center: number;
  width: number;
  source: WindowSource;
}

export interface RenderedImage {
  width: number;
  height: number;
  channels: 1 | 3;
  /** 8-bit, interleaved for colour: exactly what the viewer shows. */
  data: Uint8Array;
  window?: Window;
}

function readLut(item: DataSet, signedInput: boolean): Lut | undefined {
  const descriptor = item.elements.x00283002;
  const dataElement: Element | undefined = item.elements.x00283006;
  if (!descriptor || !dataElement || descriptor.length < 6) return undefined;
  const entries = item.uint16('x00283002', 0) || 65536;
  const first = signedInput ? item.int16('x00283002', 1)! : item.uint16('x00283002', 1)!;
  const bits = item.uint16('x00283002', 2)!;
  if (bits < 1 || bits > 16) return undefined;
  const data = new Uint16Array(entries);
  const bytes = item.byteArray;
  if (dataElement.length >= entries * 2) {
    for (let i = 0; i < entries; i++) data[i] = item.uint16('x00283006', i)!;
  } else if (dataElement.length >= entries) {
    for (let i = 0; i < entries; i++) data[i] = bytes[dataElement.dataOffset + i]!;
  } else {
    return undefined;
  }
  return { first, data, bits };
}

export function readPipeline(ds: DataSet, signed: boolean, photometric: string): GreyPipeline {
  const modalityItem = ds.elements.x00283000?.items?.[0]?.dataSet;
  const modalityLut = modalityItem ? readLut(modalityItem, signed) : undefined;
  const voiItem = ds.elements.x00283010?.items?.[0]?.dataSet;
  const voiLut = voiItem ? readLut(voiItem, signed && !modalityLut) : undefined;
  const centers = (ds.string('x00281050') ?? '').split('\\').map(Number);
  const widths = (ds.string('x00281051') ?? '').split('\\').map(Number);
  const fileWindows = centers
    .map((center, i) => ({ center, width: widths[i] ?? NaN }))
    .filter((w) => Number.isFinite(w.center) && Number.isFinite(w.width) && (ds.string('x00281050') ?? '').trim() !== '');
  return {
    modality: modalityLut ?? { slope: firstNumber(ds, 'x00281053') ?? 1, intercept: firstNumber(ds, 'x00281052') ?? 0 },
    ...(voiLut ? { voiLut } : {}),
    fileWindows,
    invert: photometric === 'MONOCHROME1',
  };
}

/** Stored values as the pipeline sees them: masked to Bits Stored and sign-extended. */
function storedRange(frame: DecodedFrame): { min: number; max: number; normalize: (v: number) => number } {
  const bits = frame.bitsStored;
  const mask = bits >= 32 ? 0xffffffff : (1 << bits) - 1;
  const sign = 1 << (bits - 1);
  const normalize = frame.signed ? (v: number) => { const m = v & mask; return m & sign ? m - (mask + 1) : m; } : (v: number) => v & mask;
  return frame.signed ? { min: -sign, max: sign - 1, normalize } : { min: 0, max: mask, normalize };
}

const applyLut = (lut: Lut, v: number) => lut.data[Math.min(lut.data.length - 1, Math.max(0, v - lut.first))]!;

function modalityOf(pipeline: GreyPipeline): (stored: number) => number {
  const m = pipeline.modality;
  if ('data' in m) return (v) => applyLut(m, v);
  return (v) => v * m.slope + m.intercept;
}

/** Histogram of stored values over the frame (offset by the range minimum). */
function histogram(frame: DecodedFrame): { counts: Uint32Array; min: number } {
  const { min, max, normalize } = storedRange(frame);
  const counts = new Uint32Array(max - min + 1);
  const s = frame.samples;
  for (let i = 0; i < s.length; i++) counts[normalize(s[i]!) - min]!++;
  return { counts, min };
}

/**
 * A window from the data itself: the 0.5th–99.5th percentile of stored values, ignoring the
 * extreme values that padding and detector borders produce (a full-range border would otherwise
 * stretch the window over the whole 16-bit range and show a grey blank).
 */
export function autoWindow(frame: DecodedFrame, pipeline: GreyPipeline): Window {
  const { counts, min } = histogram(frame);
  let lo = 0;
  let hi = counts.length - 1;
  while (lo < hi && counts[lo] === 0) lo++;
  while (hi > lo && counts[hi] === 0) hi--;
  const total = counts.reduce((n, c) => n + c, 0);
  // Drop the lowest and highest populated value when each is a spike (more than 0.5% of pixels).
  let first = lo, last = hi;
  if (counts[first]! > total * 0.005 && first < last) first++;
  if (counts[last]! > total * 0.005 && last > first) last--;
  let inside = 0;
  for (let i = first; i <= last; i++) inside += counts[i]!;
  const cut = inside * 0.005;
  let acc = 0;
  let p0 = first;
  while (p0 < last && acc + counts[p0]! <= cut) acc += counts[p0++]!;
  acc = 0;
  let p1 = last;
  while (p1 > p0 && acc + counts[p1]! <= cut) acc += counts[p1--]!;
  const modality = modalityOf(pipeline);
  const a = modality(p0 + min);
  const b = modality(p1 + min);
  const low = Math.min(a, b), high = Math.max(a, b);
  return { center: (low + high) / 2, width: Math.max(high - low, 1), source: 'auto' };
}

/** True when the window leaves less than 2% of the pixels between black and white: the picture would be blank. */
function implausible(frame: DecodedFrame, pipeline: GreyPipeline, w: { center: number; width: number }): boolean {
  if (!(w.width > 0)) return true;
  const { counts, min } = histogram(frame);
  const modality = modalityOf(pipeline);
  const low = w.center - w.width / 2, high = w.center + w.width / 2;
  let inside = 0, total = 0;
  for (let i = 0; i < counts.length; i++) {
    const c = counts[i]!;
    if (c === 0) continue;
    total += c;
    const v = modality(i + min);
    if (v > low && v < high) inside += c;
  }
  return inside < total * 0.02;
}

/** The window the viewer opens with: the VOI LUT Sequence, else the file's first plausible window, else automatic. */
export function defaultWindow(frame: DecodedFrame, pipeline: GreyPipeline): Window {
  if (pipeline.voiLut) return { center: NaN, width: NaN, source: 'voiLut' };
  const declared = pipeline.fileWindows[0];
  if (declared && !implausible(frame, pipeline, declared)) return { ...declared, source: 'file' };
  return autoWindow(frame, pipeline);
}

/**
 * Renders one frame to 8 bits. Greyscale goes through the whole pipeline with `window`
 * (default: `defaultWindow`); colour is returned as RGB unchanged.
 */
export function render(frame: DecodedFrame, pipeline: GreyPipeline | undefined, window?: Window): RenderedImage {
  const { width, height } = frame;
  if (frame.channels === 3 || !pipeline) {
    return { width, height, channels: frame.channels, data: new Uint8Array(frame.samples.buffer, frame.samples.byteOffset, frame.samples.byteLength) };
  }
  const chosen = window ?? defaultWindow(frame, pipeline);
  const { min, max, normalize } = storedRange(frame);
  const modality = modalityOf(pipeline);
  const table = new Uint8Array(max - min + 1);
  const voi: (v: number) => number =
    chosen.source === 'voiLut' && pipeline.voiLut
      ? ((lut) => {
          // An n-bit LUT output keeps its top 8 bits (as dcmtk does).
          const scale = 256 / 2 ** lut.bits;
          return (v: number) => applyLut(lut, Math.round(v)) * scale;
        })(pipeline.voiLut)
      : ((c: number, w: number) => {
          // PS3.3 C.11.2.1.2.1 linear function.
          if (w <= 1) return (v: number) => (v <= c - 0.5 ? 0 : 255);
          return (v: number) => ((v - (c - 0.5)) / (w - 1) + 0.5) * 255;
        })(chosen.center, chosen.width);
  for (let s = min; s <= max; s++) {
    // Invert before truncating to integers, as dcmtk does: its renderings then match ours exactly.
    let out = voi(modality(s));
    if (pipeline.invert) out = 255 - out;
    table[s - min] = out <= 0 ? 0 : out >= 255 ? 255 : Math.floor(out);
  }
  const data = new Uint8Array(width * height);
  const samples = frame.samples;
  for (let i = 0; i < data.length; i++) data[i] = table[normalize(samples[i]!) - min]!;
  return { width, height, channels: 1, data, window: chosen };
}
