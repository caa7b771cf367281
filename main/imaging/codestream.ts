import { imagingError } from './errors.js';
import type { Codec } from './syntax.js';

/** What a compressed frame's own header says, read before any codec allocates for it. */
export interface CodestreamHeader {
  width: number;
  height: number;
  components: number;
  precision: number;
  /** Only JPEG 2000 records signedness in its header (Ssiz bit 7); JPEG-family streams say false. */
  signed: boolean;
  /** JPEG SOF marker (0xC0 baseline, 0xC1 extended, 0xC3 lossless, 0xF7 JPEG-LS) or 0x51 (J2K SIZ). */
  marker: number;
}

const u16 = (b: Uint8Array, i: number) => (b[i]! << 8) | b[i + 1]!;
const u32 = (b: Uint8Array, i: number) => ((b[i]! << 24) >>> 0) + (b[i + 1]! << 16) + (b[i + 2]! << 8) + b[i + 3]!;

function jpegHeader(b: Uint8Array): CodestreamHeader | undefined {
  if (b.length < 4 || b[0] !== 0xff || b[1] !== 0xd8) return undefined;
  let i = 2;
  while (i + 4 <= b.length) {
    if (b[i] !== 0xff) return undefined;
    const marker = b[i + 1]!;
    if (marker === 0xff) { i++; continue; }
    const length = u16(b, i + 2);
    const isSof = (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) || marker === 0xf7;
    if (isSof) {
      if (i + 10 > b.length) return undefined;
      return { marker, precision: b[i + 4]!, height: u16(b, i + 5), width: u16(b, i + 7), components: b[i + 9]!, signed: false };
    }
    if (marker === 0xda) return undefined;
    i += 2 + length;
  }
  return undefined;
}

function j2kHeader(b: Uint8Array): CodestreamHeader | undefined {
  let i = 0;
  // A JP2 file wraps the codestream in boxes; find the contiguous codestream box (jp2c).
  if (b.length >= 12 && u32(b, 0) === 12 && u32(b, 4) === 0x6a502020) {
    i = 0;
    while (i + 8 <= b.length && u32(b, i + 4) !== 0x6a703263) {
      const size = u32(b, i);
      if (size < 8) return undefined;
      i += size;
    }
    i += 8;
  }
  if (i + 42 > b.length || u16(b, i) !== 0xff4f || u16(b, i + 2) !== 0xff51) return undefined;
  const s = i + 4; // SIZ: Lsiz, Rsiz, Xsiz, Ysiz, XOsiz, YOsiz, ... Csiz, Ssiz
  const width = u32(b, s + 4) - u32(b, s + 12);
  const height = u32(b, s + 8) - u32(b, s + 16);
  const components = u16(b, s + 36);
  const ssiz = b[s + 38]!;
  return { marker: 0x51, width, height, components, precision: (ssiz & 0x7f) + 1, signed: (ssiz & 0x80) !== 0 };
}

const expectedMarkers: Partial<Record<Codec, number[]>> = {
  jpegBaseline: [0xc0, 0xc1],
  jpegExtended: [0xc0, 0xc1],
  jpegLossless: [0xc3],
  jpegLs: [0xf7],
  j2k: [0x51],
  htj2k: [0x51],
};

/**
 * Reads the frame header and checks it against the transfer syntax and the DICOM attributes, so a
 * mislabelled codestream or one that claims a different size is refused before a codec runs.
 */
export function checkCodestream(frame: Uint8Array, codec: Codec, expect: { rows: number; columns: number; samples: number }): CodestreamHeader {
  const markers = expectedMarkers[codec];
  if (!markers) throw new Error(`checkCodestream: ${codec} has no codestream header`);
  const header = codec === 'j2k' || codec === 'htj2k' ? j2kHeader(frame) : jpegHeader(frame);
  if (!header) {
    const other = codec === 'j2k' || codec === 'htj2k' ? jpegHeader(frame) : j2kHeader(frame);
    if (other) throw imagingError('SYNTAX_MISMATCH', `the transfer syntax says ${codec} but the frame is a ${other.marker === 0x51 ? 'JPEG 2000' : 'JPEG-family'} codestream`);
    throw imagingError('CORRUPT_CODESTREAM', `the ${codec} frame has no readable header`);
  }
  if (!markers.includes(header.marker)) {
    const kind = header.marker === 0xf7 ? 'JPEG-LS' : header.marker === 0xc3 ? 'JPEG Lossless' : `JPEG (SOF 0x${header.marker.toString(16)})`;
    throw imagingError('SYNTAX_MISMATCH', `the transfer syntax says ${codec} but the frame is ${kind}`);
  }
  if (header.width !== expect.columns || header.height !== expect.rows || header.components !== expect.samples) {
    throw imagingError(
      'CORRUPT_CODESTREAM',
      `the codestream is ${header.width}×${header.height}×${header.components} but the header says ${expect.columns}×${expect.rows}×${expect.samples}`,
    );
  }
  return header;
}
