import { createRequire } from 'node:module';
import type { DataSet } from 'dicom-parser';
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

type Dictionary = Record<string, { vr: string } | undefined>;
let dictionary: Dictionary | undefined;
/** dcmjs's DICOM dictionary, loaded on the first implicit-VR rewrite only. */
const dictionaryOf = (): Dictionary =>
  (dictionary ??= (createRequire(import.meta.url)('dcmjs') as { data: { DicomMetaDictionary: { dictionary: Dictionary } } }).data.DicomMetaDictionary.dictionary);
const shortVrs = new Set(['AE', 'AS', 'AT', 'CS', 'DA', 'DS', 'DT', 'FL', 'FD', 'IS', 'LO', 'LT', 'PN', 'SH', 'SL', 'SS', 'ST', 'TM', 'UI', 'UL', 'US']);

/** The VR an implicit-VR element has, from the DICOM dictionary; private and unknown elements become UN. */
function vrOf(tag: string, signedPixels: boolean): string {
  const group = parseInt(tag.slice(1, 5), 16);
  const element = parseInt(tag.slice(5), 16);
  if (group % 2 === 1) return element >= 0x10 && element <= 0xff ? 'LO' : 'UN'; // private creator / private data
  const key = `(${tag.slice(1, 5)},${tag.slice(5)})`.toUpperCase();
  const vr = dictionaryOf()[key]?.vr ?? 'UN';
  if (vr === 'xs') return signedPixels ? 'SS' : 'US';
  if (vr === 'ox' || vr === 'lt') return 'OW';
  return /^[A-Z]{2}$/.test(vr) ? vr : 'UN';
}

/**
 * An implicit-VR data set re-written in explicit VR little endian (the only byte order the
 * encapsulated syntaxes allow): values are copied byte for byte, VRs come from the dictionary,
 * sequences are written with undefined lengths, group lengths and everything from Pixel Data on are left out.
 */
function explicitDataSet(ds: DataSet, signedPixels: boolean): Buffer[] {
  const out: Buffer[] = [];
  const delimiter = (element: number) => {
    const b = Buffer.alloc(8);
    b.writeUInt16LE(0xfffe, 0);
    b.writeUInt16LE(element, 2);
    return b;
  };
  const elements = Object.values(ds.elements).sort((a, b) => (a.tag < b.tag ? -1 : 1));
  for (const el of elements) {
    if (el.tag < 'x00030000' || el.tag >= 'x7fe00010' || el.tag.endsWith('0000')) continue;
    const group = parseInt(el.tag.slice(1, 5), 16);
    const number = parseInt(el.tag.slice(5), 16);
    if (el.items) {
      const header = Buffer.alloc(12);
      header.writeUInt16LE(group, 0);
      header.writeUInt16LE(number, 2);
      header.write('SQ', 4, 'latin1');
      header.writeUInt32LE(0xffffffff, 8);
      out.push(header);
      for (const item of el.items) {
        const start = delimiter(0xe000);
        start.writeUInt32LE(0xffffffff, 4);
        out.push(start, ...(item.dataSet ? explicitDataSet(item.dataSet, signedPixels) : []), delimiter(0xe00d));
      }
      out.push(delimiter(0xe0dd));
      continue;
    }
    let vr = vrOf(el.tag, signedPixels);
    if (shortVrs.has(vr) && el.length > 0xffff) vr = 'UN';
    out.push(explicitElement(group, number, vr, ds.byteArray.subarray(el.dataOffset, el.dataOffset + el.length)));
  }
  return out;
}

/** The data set between File Meta and Pixel Data, in explicit VR little endian. */
function dataSetBody(p: ParsedDicom, m: PixelModule): Uint8Array {
  if (p.syntax.explicitVr) {
    const { start, pixelHeader } = dataSetSpan(p);
    return p.bytes.subarray(start, pixelHeader);
  }
  return Buffer.concat(explicitDataSet(p.dataSet, m.signed));
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
  if (p.syntax.codec === 'bigEndian') return 'big endian data sets are kept as received';
  if (!p.dataSet.string('x00080016') || !p.dataSet.string('x00080018')) return 'no SOP Class and Instance UIDs to write a File Meta header';
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
  const sopClass = ds.string('x00080016') ?? '';
  const sopInstance = ds.string('x00080018') ?? '';
  return Buffer.concat([fileMeta(sopClass.trim(), sopInstance.trim(), syntax), dataSetBody(p, m), encapsulated(frames)]);
}

/** Every stored value, byte for byte (memcmp via Buffer.equals). */
const sameSamples = (a: Samples, b: Samples) =>
  Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));

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
