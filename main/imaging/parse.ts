import { inflateRawSync } from 'node:zlib';
import dicomParser, { type DataSet } from 'dicom-parser';
import { imagingError, ImagingError } from './errors.js';
import { transferSyntax, uids, type TransferSyntax } from './syntax.js';

/** Nothing the pipeline reads may grow beyond this, however the file is labelled (deflate bombs, declared lengths). */
export const maxInflatedBytes = 512 * 1024 * 1024;

export interface ParsedDicom {
  dataSet: DataSet;
  syntax: TransferSyntax;
  /** False for ACR-NEMA style files without preamble and File Meta. */
  hasFileMeta: boolean;
  /** The bytes the data set offsets refer to (the inflated stream for deflated files). */
  bytes: Uint8Array;
}

const isDicmAt128 = (b: Uint8Array) => b.length >= 132 && b[128] === 0x44 && b[129] === 0x49 && b[130] === 0x43 && b[131] === 0x4d;

/**
 * A file without preamble and File Meta starts straight with the data set. We accept it only when it
 * starts with a group 0008 element, as every such file an imaging unit writes does, and tell
 * implicit from explicit VR by whether bytes 4–5 spell a VR.
 */
function sniffMetaless(b: Uint8Array): string | undefined {
  if (b.length < 8 || b[0] !== 0x08 || b[1] !== 0x00) return undefined;
  const isUpper = (c: number | undefined) => c !== undefined && c >= 0x41 && c <= 0x5a;
  return isUpper(b[4]) && isUpper(b[5]) ? uids.explicitLittle : uids.implicitLittle;
}

const message = (e: unknown) => String((e as { exception?: unknown })?.exception ?? (e instanceof Error ? e.message : e));

function classifyParseFailure(e: unknown, size: number): ImagingError {
  if (e instanceof ImagingError) return e;
  const text = message(e);
  if ((e as { code?: string })?.code === 'ERR_BUFFER_TOO_LARGE' || e instanceof RangeError) {
    return imagingError('TOO_LARGE', `the deflated data set inflates to more than ${maxInflatedBytes} bytes`, e);
  }
  if (/missing required meta header attribute 0002,0010/.test(text)) {
    return imagingError('MISSING_TRANSFER_SYNTAX', 'the File Meta header has no Transfer Syntax UID (0002,0010)', e);
  }
  if (/overrun|past end|maxPosition|premature|end of buffer/i.test(text)) {
    return imagingError('TRUNCATED', `the file ends before the data it declares (${size} bytes on disk)`, e);
  }
  if (/incorrect header check|invalid (block|stored|distance)|unexpected end of file/i.test(text)) {
    return imagingError('TRUNCATED', 'the deflated data set is damaged or cut short', e);
  }
  return imagingError('NOT_DICOM', 'the data set could not be parsed as DICOM', e);
}

/** Parses the header and locates the pixel data; nothing is decoded or allocated in proportion to declared sizes. */
export function parseDicom(file: Uint8Array): ParsedDicom {
  // A plain view: Buffer#slice shares memory, Uint8Array#slice copies, and decoders rely on the latter.
  const input = new Uint8Array(file.buffer, file.byteOffset, file.byteLength);
  if (input.length === 0) throw imagingError('NOT_DICOM', 'the file is empty');
  let hasFileMeta = true;
  let assumed: string | undefined;
  if (!isDicmAt128(input)) {
    assumed = sniffMetaless(input);
    if (!assumed) {
      if (input.length < 132 && input.every((v) => v === 0)) {
        throw imagingError('TRUNCATED', `the file ends inside the 128-byte DICOM preamble (${input.length} bytes)`);
      }
      throw imagingError('NOT_DICOM', 'no "DICM" marker at byte 128 and no data set at the start of the file');
    }
    hasFileMeta = false;
  }
  let dataSet: DataSet;
  try {
    dataSet = dicomParser.parseDicom(input, {
      ...(assumed ? { TransferSyntaxUID: assumed } : {}),
      inflater: (raw: Uint8Array, position: number) => {
        const inflated = inflateRawSync(raw.subarray(position), { maxOutputLength: maxInflatedBytes });
        const whole = new Uint8Array(position + inflated.length);
        whole.set(raw.subarray(0, position));
        whole.set(inflated, position);
        return whole;
      },
    } as dicomParser.ParseDicomOptions);
  } catch (e) {
    throw classifyParseFailure(e, input.length);
  }
  if (dataSet.warnings.some((w) => /missing sequence delimiter/i.test(w))) {
    throw imagingError('TRUNCATED', 'the encapsulated pixel data ends without its sequence delimiter: the last fragment is cut');
  }
  const uid = (dataSet.string('x00020010') ?? assumed ?? '').replace(/\0/g, '').trim();
  if (!uid) throw imagingError('MISSING_TRANSFER_SYNTAX', 'the File Meta header has no Transfer Syntax UID (0002,0010)');
  const syntax = transferSyntax(uid);
  if (!syntax) throw imagingError('UNSUPPORTED_SYNTAX', `transfer syntax ${uid} is not supported`);
  // dicom-parser keeps the original array for non-deflated files; the inflater swaps in the inflated one.
  const bytes = dataSet.byteArray as Uint8Array;
  return { dataSet, syntax, hasFileMeta, bytes };
}
