import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';

/**
 * The Cornerstone WebAssembly codecs, loaded lazily once per thread. Every wrapper copies its
 * result out of the WASM heap, because the next call on the same codec reuses that memory.
 */
const require = createRequire(import.meta.url);

export interface CodecFrameInfo {
  width: number;
  height: number;
  bitsPerSample: number;
  componentCount: number;
  isSigned?: boolean;
  isUsingColorTransform?: boolean;
}

interface WasmDecoder {
  getEncodedBuffer(length: number): Uint8Array;
  getDecodedBuffer(): Uint8Array;
  readHeader?(): void;
  decode(): void;
  getFrameInfo(): CodecFrameInfo;
  delete(): void;
}
interface WasmEncoder {
  getDecodedBuffer(info: CodecFrameInfo): Uint8Array;
  getEncodedBuffer(): Uint8Array;
  encode(): void;
  setQuality?(lossless: boolean, quantizationStep: number): void;
  setNearLossless?(near: number): void;
  setDecompositions?(levels: number): void;
  delete(): void;
}
type WasmModule = Record<string, new () => WasmDecoder & WasmEncoder> & { getExceptionMessage?: (e: number) => string };

const modules = new Map<string, Promise<WasmModule>>();
function wasm(specifier: string): Promise<WasmModule> {
  let loading = modules.get(specifier);
  if (!loading) {
    loading = import(pathToFileURL(require.resolve(specifier)).href).then(
      (m: { default: (options?: object) => Promise<WasmModule> }) => m.default({ print: () => {}, printErr: () => {} }),
    );
    modules.set(specifier, loading);
  }
  return loading;
}

export interface DecodedCodestream {
  info: CodecFrameInfo;
  /** Samples as the codec produced them: 8-bit, or 16-bit little-endian in a byte array. */
  bytes: Uint8Array;
}

async function decodeWith(specifier: string, className: string, frame: Uint8Array): Promise<DecodedCodestream> {
  const module = await wasm(specifier);
  const decoder = new module[className]!();
  try {
    decoder.getEncodedBuffer(frame.length).set(frame);
    decoder.decode();
    const info = { ...decoder.getFrameInfo() };
    const bytes = new Uint8Array(decoder.getDecodedBuffer());
    return { info, bytes };
  } catch (e) {
    throw new Error(typeof e === 'number' && module.getExceptionMessage ? module.getExceptionMessage(e) : String(e));
  } finally {
    decoder.delete();
  }
}

export const decodeJpeg8 = (frame: Uint8Array) => decodeWith('@cornerstonejs/codec-libjpeg-turbo-8bit/decodewasmjs', 'JPEGDecoder', frame);
export const decodeJpegLs = (frame: Uint8Array) => decodeWith('@cornerstonejs/codec-charls/decodewasmjs', 'JpegLSDecoder', frame);
export const decodeJ2k = (frame: Uint8Array) => decodeWith('@cornerstonejs/codec-openjpeg/decodewasmjs', 'J2KDecoder', frame);
export const decodeHtj2k = (frame: Uint8Array) => decodeWith('@cornerstonejs/codec-openjph/wasmjs', 'HTJ2KDecoder', frame);

// The package ships no types: this is the part of its API the JPEG Lossless path uses.
const { Decoder: JpegLosslessDecoder } = require('jpeg-lossless-decoder-js') as {
  Decoder: new () => { decode(buffer: ArrayBufferLike, offset: number, length: number, numBytes: number): Uint8Array | Uint16Array };
};

/** JPEG Lossless (process 14, any selection value), 2–16 bits. */
export function decodeJpegLossless(frame: Uint8Array, bytesPerSample: 1 | 2): Uint8Array | Uint16Array {
  const copy = frame.slice();
  return new JpegLosslessDecoder().decode(copy.buffer, 0, copy.length, bytesPerSample);
}

interface JpegImage {
  parse(data: Uint8Array): void;
  colorTransform?: boolean;
  width: number;
  height: number;
  getData16(width: number, height: number): Uint16Array;
  getData(width: number, height: number): Uint8Array;
}
let jpegImage: Promise<new () => JpegImage> | undefined;

/**
 * Cornerstone's 12-bit path level-shifts by 2056 / bitConversion, which is right for 8 bits but
 * adds +15 to every 12-bit sample (dcmtk and GDCM agree with each other, not with it). We load the
 * same file with that one expression corrected: value = (q + 8 + 16 · 2^(P−1)) >> 4, clamped to
 * [0, 2^P − 1]. If the installed decoder no longer has the expression, loading fails loudly.
 */
const levelShiftBug = /q =\s*q <= -2056 \/ component\.bitConversion\s*\? 0\s*: q >= 2024 \/ component\.bitConversion\s*\? 255 \/ component\.bitConversion\s*: \(q \+ 2056 \/ component\.bitConversion\) >> 4;/;
const levelShiftFix =
  'var maxValue = Math.round(255 / component.bitConversion); q = (q + 8 + 8 * (maxValue + 1)) >> 4; q = q < 0 ? 0 : q > maxValue ? maxValue : q;';

async function loadJpegImage(): Promise<new () => JpegImage> {
  const path = join(dirname(require.resolve('@cornerstonejs/dicom-image-loader/package.json')), 'dist/esm/codecs/jpeg.js');
  const source = await readFile(path, 'utf8');
  if (!levelShiftBug.test(source)) throw new Error(`${path} changed: re-check the 12-bit JPEG level shift before using it`);
  const fixed = source.replace(levelShiftBug, levelShiftFix);
  const module = (await import(`data:text/javascript;base64,${Buffer.from(fixed).toString('base64')}`)) as { default: new () => JpegImage };
  return module.default;
}

/** 12-bit JPEG (extended, process 4) has no WebAssembly codec: pdf.js's decoder as shipped by Cornerstone. */
export async function decodeJpeg12(frame: Uint8Array): Promise<Uint16Array> {
  jpegImage ??= loadJpegImage();
  const Jpeg = await jpegImage;
  const jpeg = new Jpeg();
  jpeg.parse(frame);
  jpeg.colorTransform = false;
  return jpeg.getData16(jpeg.width, jpeg.height);
}

export type LosslessCodec = 'jpegls' | 'htj2k' | 'j2k';

/** Encodes one frame losslessly. `samples` is interleaved, 8-bit in a byte array or 16-bit little endian. */
export async function encodeLossless(codec: LosslessCodec, samples: Uint8Array, info: CodecFrameInfo): Promise<Uint8Array> {
  const [specifier, className] = {
    jpegls: ['@cornerstonejs/codec-charls/wasmjs', 'JpegLSEncoder'],
    htj2k: ['@cornerstonejs/codec-openjph/wasmjs', 'HTJ2KEncoder'],
    j2k: ['@cornerstonejs/codec-openjpeg/wasmjs', 'J2KEncoder'],
  }[codec] as [string, string];
  const module = await wasm(specifier);
  const encoder = new module[className]!();
  try {
    encoder.getDecodedBuffer(info).set(samples);
    if (codec === 'htj2k') encoder.setQuality!(true, 0);
    encoder.encode();
    return new Uint8Array(encoder.getEncodedBuffer());
  } catch (e) {
    throw new Error(typeof e === 'number' && module.getExceptionMessage ? module.getExceptionMessage(e) : String(e));
  } finally {
    encoder.delete();
  }
}
