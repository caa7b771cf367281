import { encodeLossless, type LosslessCodec } from './codecs.js';
import { checkPixelData, decodeFrame, type DecodedFrame, type Samples } from './decode.js';
import { imagingError, ImagingError } from './errors.js';
import { parseDicom, type ParsedDicom } from './parse.js';
import { readPixelModule, type PixelModule } from './pixel-module.js';
import { uids } from './syntax.js';

/**
 * The diagnostic master: the original DICOM, or the same data set with its pixels re-encoded
 * losslessly (JPEG-LS or HTJ2K) — accepted only after the new file, parsed and decoded by the
 * same code as any incoming file, gives back every stored value bit for bit.
 */
export interface Master {
  bytes: Uint8Array;
  transferSyntaxUid: string;
  /** original: the file as received; otherwise the codec used. */
  encoding: 'original' | LosslessCodec;
  /** Re-encodes: decoded back and compared with every frame of the original. */
  verifiedBitExact: boolean;
  /** Why a requested re-encode was not used. */
  note?: string;
}

export const implementationClassUid = '1.2.826.0.1.3680043.10.1371.1';
const implementationVersion = 'CUSP_0_1';

const pad = (s: string, filler: number) => {
  const bytes = Buffer.from(s, 'latin1');
  return bytes.length % 2 ? Buffer.concat([bytes, Buffer.from([filler])]) : bytes;
};

function explicitElement(group: number, element: number, vr: string, value: Uint8Array): Buffer {
  const long = ['OB', 'OW', 'SQ', 'UN', 'UT', 'UC', 'UR', 'OD', 'OF', 'OL', 'OV'].includes(vr);
  const header = Buffer.alloc(long ? 12 : 8);
  header.writeUInt16LE(group, 0);
  header.writeUInt16LE(element, 2);
  header.write(vr, 4, 'latin1');
  if (long) header.writeUInt32LE(value.length, 8);
  else header.writeUInt16LE(value.length, 6);
  return Buffer.concat([header, value]);
}

function fileMeta(sopClassUid: string, sopInstanceUid: string, transferSyntaxUid: string): Buffer {
  const body = Buffer.concat([
    explicitElement(0x0002, 0x0001, 'OB', Uint8Array.from([0, 1])),
    explicitElement(0x0002, 0x0002, 'UI', pad(sopClassUid, 0)),
    explicitElement(0x0002, 0x0003, 'UI', pad(sopInstanceUid, 0)),
    explicitElement(0x0002, 0x0010, 'UI', pad(transferSyntaxUid, 0)),
    explicitElement(0x0002, 0x0012, 'UI', pad(implementationClassUid, 0)),
    explicitElement(0x0002, 0x0013, 'SH', pad(implementationVersion, 0x20)),
  ]);
  const length = Buffer.alloc(4);
  length.writeUInt32LE(body.length);
  return Buffer.concat([Buffer.alloc(128), Buffer.from('DICM', 'latin1'), explicitElement(0x0002, 0x0000, 'UL', length), body]);
}

/** Encapsulated Pixel Data: a Basic Offset Table item, one fragment per frame, the sequence delimiter. */
function encapsulated(frames: Uint8Array[]): Buffer {
  const item = (data: Uint8Array) => {
    const h = Buffer.alloc(8);
    h.writeUInt16LE(0xfffe, 0);
    h.writeUInt16LE(0xe000, 2);
    h.writeUInt32LE(data.length, 4);
    return Buffer.concat([h, data]);
  };
  const even = frames.map((f) => (f.length % 2 ? Buffer.concat([f, Buffer.alloc(1)]) : Buffer.from(f.buffer, f.byteOffset, f.length)));
  const offsets = Buffer.alloc(4 * even.length);
  let at = 0;
  even.forEach((f, i) => {
    offsets.writeUInt32LE(at, 4 * i);
    at += 8 + f.length;
  });
  const header = Buffer.alloc(12);
  header.writeUInt16LE(0x7fe0, 0);
  header.writeUInt16LE(0x0010, 2);
  header.write('OB', 4, 'latin1');
  header.writeUInt32LE(0xffffffff, 8);
  const delimiter = Buffer.from([0xfe, 0xff, 0xdd, 0xe0, 0, 0, 0, 0]);
  return Buffer.concat([header, item(offsets), ...even.map(item), delimiter]);
}

/** Where the data set proper starts (after File Meta) and where the Pixel Data element's header starts. */
function dataSetSpan(p: ParsedDicom): { start: number; pixelHeader: number } {
  const els = Object.values(p.dataSet.elements);
  const meta = els.filter((e) => e.tag < 'x00030000');
  const start = meta.length ? Math.max(...meta.map((e) => e.dataOffset + e.length)) : 0;
  const pixel = p.dataSet.elements.x7fe00010!;
  return { start, pixelHeader: pixel.dataOffset - 12 };
}

const bitsUsed = (samples: Samples, signed: boolean): number => {
  let max = 0;
  for (let i = 0; i < samples.length; i++) {
    const v = signed ? samples[i]! & 0xffff : samples[i]!;
    if (v > max) max = v;
  }
  return Math.max(2, Math.ceil(Math.log2(max + 1)));
};

/** Why this source cannot be re-encoded (then the original is kept), or undefined when it can. */
export function reencodeObstacle(p: ParsedDicom, m: PixelModule): string | undefined {
  if (p.syntax.lossy) return 'the original is lossy-compressed: re-encoding cannot make it smaller without loss';
  if (m.samplesPerPixel !== 1) return 'colour originals are kept as received';
  if (!p.hasFileMeta || !p.syntax.explicitVr || p.syntax.codec === 'bigEndian') return 'only explicit VR little endian data sets are rewritten';
  if (!p.dataSet.elements.x7fe00010) return 'no Pixel Data (7FE0,0010)';
  return undefined;
}

/** A frame already decoded by the caller (the one the derivatives were made from), to avoid decoding it again. */
export interface KnownFrame {
  index: number;
  frame: DecodedFrame;
}
const frameOf = (p: ParsedDicom, m: PixelModule, i: number, known?: KnownFrame) =>
  known && known.index === i ? Promise.resolve(known.frame) : decodeFrame(p, m, i);

/** Re-encodes every frame losslessly and wraps it in a new Part 10 file; does not verify (see verifyMaster). */
export async function reencodeMaster(p: ParsedDicom, m: PixelModule, codec: LosslessCodec, known?: KnownFrame): Promise<Uint8Array> {
  const obstacle = reencodeObstacle(p, m);
  if (obstacle) throw imagingError('UNSUPPORTED_PIXEL_FORMAT', obstacle);
  const frames: Uint8Array[] = [];
  for (let i = 0; i < m.frames; i++) {
    const frame = await frameOf(p, m, i, known);
    const bits = Math.min(m.bitsAllocated, Math.max(frame.bitsStored, bitsUsed(frame.samples, frame.signed && codec === 'jpegls')));
    const signed = codec !== 'jpegls' && frame.signed;
    const bytes = new Uint8Array(frame.samples.buffer, frame.samples.byteOffset, frame.samples.byteLength);
    frames.push(await encodeLossless(codec, bytes, { width: m.columns, height: m.rows, bitsPerSample: signed ? m.bitsAllocated : bits, componentCount: 1, isSigned: signed, isUsingColorTransform: false }));
  }
  const syntax = codec === 'jpegls' ? uids.jpegLsLossless : uids.htj2kLossless;
  const ds = p.dataSet;
  const sopClass = ds.string('x00080016') ?? ds.string('x00020002') ?? '';
  const sopInstance = ds.string('x00080018') ?? ds.string('x00020003') ?? '';
  const { start, pixelHeader } = dataSetSpan(p);
  return Buffer.concat([fileMeta(sopClass.trim(), sopInstance.trim(), syntax), p.bytes.subarray(start, pixelHeader), encapsulated(frames)]);
}

const sameSamples = (a: Samples, b: Samples) => {
  if (a.byteLength !== b.byteLength) return false;
  const x = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  const y = new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
};

/**
 * Parses `candidate` like any incoming file, decodes every frame and compares each stored value
 * with the original's. Throws MASTER_NOT_BIT_EXACT on any difference or decode failure.
 */
export async function verifyMaster(original: ParsedDicom, m: PixelModule, candidate: Uint8Array, known?: KnownFrame): Promise<void> {
  try {
    const parsed = parseDicom(candidate);
    const pixel = readPixelModule(parsed.dataSet);
    checkPixelData(parsed, pixel);
    if (pixel.frames !== m.frames || pixel.rows !== m.rows || pixel.columns !== m.columns) throw new Error('the geometry changed');
    for (let i = 0; i < m.frames; i++) {
      const [a, b] = await Promise.all([frameOf(original, m, i, known), decodeFrame(parsed, pixel, i)]);
      if (!sameSamples(a.samples, b.samples)) throw new Error(`frame ${i + 1} differs`);
    }
  } catch (e) {
    const why = e instanceof ImagingError ? `${e.reason}: ${e.message}` : e instanceof Error ? e.message : String(e);
    throw imagingError('MASTER_NOT_BIT_EXACT', `the lossless re-encode was rejected (${why})`, e);
  }
}

/**
 * The master for one source file under `policy`. auto: originals in JPEG-LS, JPEG 2000 or HTJ2K
 * are kept (already within a few per cent of the best lossless codec); uncompressed, deflated, RLE
 * and JPEG Lossless ones are re-encoded to JPEG-LS when that is smaller. A re-encode that fails
 * verification is never used: the original is kept and the reason noted.
 */
export async function makeMaster(
  source: Uint8Array,
  p: ParsedDicom,
  m: PixelModule,
  policy: 'auto' | 'original' | LosslessCodec,
  known?: KnownFrame,
): Promise<Master> {
  const original: Master = { bytes: source, transferSyntaxUid: p.syntax.uid, encoding: 'original', verifiedBitExact: false };
  if (policy === 'original') return original;
  const obstacle = reencodeObstacle(p, m);
  if (policy === 'auto' && (obstacle || ['jpegLs', 'j2k', 'htj2k'].includes(p.syntax.codec))) return original;
  if (obstacle) return { ...original, note: obstacle };
  const codec: LosslessCodec = policy === 'auto' ? 'jpegls' : policy;
  try {
    const bytes = await reencodeMaster(p, m, codec, known);
    if (policy === 'auto' && bytes.length >= source.length) return original;
    await verifyMaster(p, m, bytes, known);
    return { bytes, transferSyntaxUid: codec === 'jpegls' ? uids.jpegLsLossless : uids.htj2kLossless, encoding: codec, verifiedBitExact: true };
  } catch (e) {
    return { ...original, note: e instanceof Error ? e.message : String(e) };
  }
}
