import dicomParser, { type Element } from 'dicom-parser';
import { checkCodestream } from './codestream.js';
import { decodeHtj2k, decodeJ2k, decodeJpeg12, decodeJpeg8, decodeJpegLossless, decodeJpegLs, type DecodedCodestream } from './codecs.js';
import { imagingError, ImagingError } from './errors.js';
import type { ParsedDicom } from './parse.js';
import { bytesPerSample, frameBytes, type PixelModule } from './pixel-module.js';
import { decodeRle } from './rle.js';

export type Samples = Uint8Array | Int8Array | Uint16Array | Int16Array;

/** One decoded frame: greyscale stored values, or 8-bit RGB interleaved (every YBR and planar layout is converted). */
export interface DecodedFrame {
  width: number;
  height: number;
  channels: 1 | 3;
  samples: Samples;
  /** Bits carrying the stored value; larger than the header's Bits Stored when the codestream says so. */
  bitsStored: number;
  signed: boolean;
}

const pixelDataElement = (p: ParsedDicom): Element => {
  const el = p.dataSet.elements.x7fe00010 ?? p.dataSet.elements.x7fe00008 ?? p.dataSet.elements.x7fe00009;
  if (!el) throw imagingError('MISSING_PIXEL_DATA', 'the file has no Pixel Data (7FE0,0010)');
  return el;
};

/** Checks the pixel data against the transfer syntax and the declared size; call before decoding any frame. */
export function checkPixelData(p: ParsedDicom, m: PixelModule): void {
  const el = pixelDataElement(p);
  if (p.syntax.encapsulated !== Boolean(el.encapsulatedPixelData)) {
    throw imagingError(
      'SYNTAX_MISMATCH',
      p.syntax.encapsulated
        ? `the transfer syntax is ${p.syntax.name} but the pixel data is native (explicit length), not encapsulated`
        : `the transfer syntax is ${p.syntax.name} but the pixel data is encapsulated`,
    );
  }
  if (el.encapsulatedPixelData) {
    const fragments = el.fragments ?? [];
    if (fragments.length === 0) throw imagingError('MISSING_PIXEL_DATA', 'the encapsulated pixel data has no fragments');
    for (const f of fragments) {
      if (f.position + f.length > p.bytes.length) throw imagingError('TRUNCATED', 'a pixel data fragment runs past the end of the file');
    }
    return;
  }
  if (el.dataOffset + el.length > p.bytes.length) throw imagingError('TRUNCATED', 'the pixel data runs past the end of the file');
  const needed = frameBytes(m) * m.frames;
  if (el.length < needed) {
    throw imagingError(
      'PIXEL_LENGTH_MISMATCH',
      `the pixel data has ${el.length} bytes but ${m.columns}×${m.rows}×${m.frames} pixels of ${m.bitsAllocated} bits need ${needed}`,
    );
  }
}

function encapsulatedFrame(p: ParsedDicom, m: PixelModule, index: number): Uint8Array {
  const el = pixelDataElement(p);
  const fragments = el.fragments!;
  const bytes = p.bytes;
  const sub = (position: number, length: number) => bytes.subarray(position, position + length);
  if (m.frames === 1) {
    if (fragments.length === 1) return sub(fragments[0]!.position, fragments[0]!.length);
    const total = fragments.reduce((n, f) => n + f.length, 0);
    const out = new Uint8Array(total);
    let o = 0;
    for (const f of fragments) {
      out.set(sub(f.position, f.length), o);
      o += f.length;
    }
    return out;
  }
  if (fragments.length === m.frames) {
    const f = fragments[index]!;
    return sub(f.position, f.length);
  }
  try {
    let table = el.basicOffsetTable ?? [];
    if (table.length === 0) {
      if (!p.syntax.codec.startsWith('jpeg')) throw imagingError('CORRUPT_CODESTREAM', 'several fragments per frame but no Basic Offset Table');
      table = dicomParser.createJPEGBasicOffsetTable(p.dataSet, el);
    }
    if (table.length !== m.frames) throw imagingError('CORRUPT_CODESTREAM', `the offset table lists ${table.length} frames, the header ${m.frames}`);
    return dicomParser.readEncapsulatedImageFrame(p.dataSet, el, index, table) as Uint8Array;
  } catch (e) {
    if (e instanceof ImagingError) throw e;
    throw imagingError('CORRUPT_CODESTREAM', `frame ${index + 1} could not be located in the encapsulated pixel data`, e);
  }
}

/** Little-endian 16-bit bytes as a typed array (copied when unaligned). */
function words(bytes: Uint8Array, signed: boolean): Uint16Array | Int16Array {
  const aligned = bytes.byteOffset % 2 === 0 ? bytes : bytes.slice();
  const n = aligned.length >> 1;
  return signed ? new Int16Array(aligned.buffer, aligned.byteOffset, n) : new Uint16Array(aligned.buffer, aligned.byteOffset, n);
}

function typed(bytes: Uint8Array, m: PixelModule, signed: boolean): Samples {
  if (m.bitsAllocated === 16) return words(bytes, signed);
  return signed ? new Int8Array(bytes.buffer, bytes.byteOffset, bytes.length) : bytes;
}

const clamp8 = (v: number) => (v < 0 ? 0 : v > 255 ? 255 : Math.round(v));

/** Converts any 3-sample layout to interleaved RGB. `decodedRgb`: the codec already applied its colour transform. */
function toRgb(bytes: Uint8Array, m: PixelModule, decodedRgb: boolean, planar: boolean): Uint8Array {
  const n = m.rows * m.columns;
  let rgb = bytes;
  if (m.photometric === 'YBR_FULL_422' && !decodedRgb) {
    // Two luminance samples share one Cb, Cr pair: Y1 Y2 Cb Cr.
    rgb = new Uint8Array(n * 3);
    for (let i = 0, o = 0; i + 3 < bytes.length && o < n * 3; i += 4) {
      const cb = bytes[i + 2]! - 128, cr = bytes[i + 3]! - 128;
      for (const y of [bytes[i]!, bytes[i + 1]!]) {
        rgb[o++] = clamp8(y + 1.402 * cr);
        rgb[o++] = clamp8(y - 0.344136 * cb - 0.714136 * cr);
        rgb[o++] = clamp8(y + 1.772 * cb);
      }
    }
    return rgb;
  }
  if (planar) {
    rgb = new Uint8Array(n * 3);
    for (let i = 0; i < n; i++) {
      rgb[3 * i] = bytes[i]!;
      rgb[3 * i + 1] = bytes[n + i]!;
      rgb[3 * i + 2] = bytes[2 * n + i]!;
    }
  } else if (rgb.length !== n * 3) {
    rgb = rgb.slice(0, n * 3);
  }
  if (m.photometric === 'YBR_FULL' && !decodedRgb) {
    if (rgb === bytes) rgb = bytes.slice(0, n * 3);
    for (let i = 0; i < n * 3; i += 3) {
      const y = rgb[i]!, cb = rgb[i + 1]! - 128, cr = rgb[i + 2]! - 128;
      rgb[i] = clamp8(y + 1.402 * cr);
      rgb[i + 1] = clamp8(y - 0.344136 * cb - 0.714136 * cr);
      rgb[i + 2] = clamp8(y + 1.772 * cb);
    }
  }
  return rgb;
}

function checkDecoded(d: DecodedCodestream, m: PixelModule, what: string): void {
  const expected = m.rows * m.columns * m.samplesPerPixel * (d.info.bitsPerSample > 8 ? 2 : 1);
  if (d.info.width !== m.columns || d.info.height !== m.rows || d.bytes.length < expected) {
    throw imagingError('CORRUPT_CODESTREAM', `the ${what} frame decoded to ${d.info.width}×${d.info.height} (${d.bytes.length} bytes), expected ${m.columns}×${m.rows}`);
  }
}

/** Decodes frame `index` (0-based) to stored values. Throws ImagingError for anything wrong with the data. */
export async function decodeFrame(p: ParsedDicom, m: PixelModule, index: number): Promise<DecodedFrame> {
  if (index < 0 || index >= m.frames) throw new RangeError(`frame ${index} of ${m.frames}`);
  const result = (samples: Samples, bitsStored = m.bitsStored, signed = m.signed): DecodedFrame => ({
    width: m.columns, height: m.rows, channels: m.samplesPerPixel, samples, bitsStored, signed,
  });
  const colour = m.samplesPerPixel === 3;
  const codec = p.syntax.codec;
  if (!p.syntax.encapsulated) {
    const el = pixelDataElement(p);
    const size = frameBytes(m);
    let bytes = p.bytes.subarray(el.dataOffset + index * size, el.dataOffset + (index + 1) * size);
    if (codec === 'bigEndian' && m.bitsAllocated === 16) {
      bytes = bytes.slice();
      for (let i = 0; i + 1 < bytes.length; i += 2) {
        const t = bytes[i]!;
        bytes[i] = bytes[i + 1]!;
        bytes[i + 1] = t;
      }
    }
    if (colour) return result(toRgb(bytes, m, false, m.planarConfiguration === 1));
    return result(typed(bytes, m, m.signed));
  }
  const frame = encapsulatedFrame(p, m, index);
  const expect = { rows: m.rows, columns: m.columns, samples: m.samplesPerPixel };
  try {
    switch (codec) {
      case 'rle': {
        const bytes = decodeRle(frame, m.rows * m.columns, m.samplesPerPixel, bytesPerSample(m));
        return colour ? result(toRgb(bytes, m, false, false)) : result(typed(bytes, m, m.signed));
      }
      case 'jpegBaseline':
      case 'jpegExtended': {
        const header = checkCodestream(frame, codec, expect);
        if (header.precision <= 8) {
          const d = await decodeJpeg8(frame);
          checkDecoded(d, m, 'JPEG');
          // libjpeg-turbo converts YCbCr to RGB itself.
          if (colour) return result(toRgb(d.bytes, m, true, false));
          return result(m.bitsAllocated === 16 ? Uint16Array.from(d.bytes.subarray(0, m.rows * m.columns)) : d.bytes, Math.min(m.bitsStored, 8));
        }
        if (colour) throw imagingError('UNSUPPORTED_PIXEL_FORMAT', '12-bit colour JPEG is not supported');
        const samples = await decodeJpeg12(frame);
        if (samples.length !== m.rows * m.columns) throw imagingError('CORRUPT_CODESTREAM', 'the 12-bit JPEG frame decoded to the wrong size');
        return result(m.signed ? new Int16Array(samples.buffer, samples.byteOffset, samples.length) : samples, Math.max(m.bitsStored, header.precision));
      }
      case 'jpegLossless': {
        const header = checkCodestream(frame, codec, expect);
        const out = decodeJpegLossless(frame, header.precision > 8 ? 2 : 1);
        const bytes = new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
        if (bytes.length < frameBytes(m) && !(header.precision <= 8 && m.bitsAllocated === 16)) {
          throw imagingError('CORRUPT_CODESTREAM', 'the JPEG Lossless frame decoded to the wrong size');
        }
        if (colour) return result(toRgb(bytes, m, false, false));
        if (header.precision <= 8 && m.bitsAllocated === 16) return result(Uint16Array.from(bytes.subarray(0, m.rows * m.columns)));
        return result(typed(bytes, m, m.signed));
      }
      case 'jpegLs': {
        checkCodestream(frame, codec, expect);
        const d = await decodeJpegLs(frame);
        checkDecoded(d, m, 'JPEG-LS');
        if (colour) return result(toRgb(d.bytes, m, false, false));
        return result(typed(d.bytes, m, m.signed));
      }
      case 'j2k':
      case 'htj2k': {
        const header = checkCodestream(frame, codec, expect);
        if (header.signed !== m.signed && !colour) {
          throw imagingError(
            'INVALID_ATTRIBUTE',
            `Pixel Representation says ${m.signed ? 'signed' : 'unsigned'} but the JPEG 2000 codestream is ${header.signed ? 'signed' : 'unsigned'}`,
          );
        }
        const d = codec === 'j2k' ? await decodeJ2k(frame) : await decodeHtj2k(frame);
        checkDecoded(d, m, 'JPEG 2000');
        if (colour) return result(toRgb(d.bytes, m, true, false));
        const bits = Math.min(m.bitsAllocated, Math.max(m.bitsStored, header.precision));
        return result(typed(d.bytes, m, m.signed), bits);
      }
      default:
        throw imagingError('UNSUPPORTED_SYNTAX', `${p.syntax.name} is not supported`);
    }
  } catch (e) {
    if (e instanceof ImagingError) throw e;
    throw imagingError('CORRUPT_CODESTREAM', `the ${p.syntax.name} frame ${index + 1} could not be decoded`, e);
  }
}
