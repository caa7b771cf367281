import type { DataSet } from 'dicom-parser';
import { imagingError } from './errors.js';

/**
 * Frames are decoded one at a time; refuse any frame that would decode to more than this before
 * allocating a byte of it (a 16384 × 8192 16-bit radiograph; the largest ceph here is 40 MB).
 */
export const maxFrameBytes = 256 * 1024 * 1024;

export type Photometric = 'MONOCHROME1' | 'MONOCHROME2' | 'RGB' | 'YBR_FULL' | 'YBR_FULL_422' | 'YBR_RCT' | 'YBR_ICT';
const photometrics: readonly string[] = ['MONOCHROME1', 'MONOCHROME2', 'RGB', 'YBR_FULL', 'YBR_FULL_422', 'YBR_RCT', 'YBR_ICT'];

/** The Image Pixel module attributes, validated for consistency. */
export interface PixelModule {
  rows: number;
  columns: number;
  frames: number;
  samplesPerPixel: 1 | 3;
  photometric: Photometric;
  bitsAllocated: 8 | 16;
  bitsStored: number;
  signed: boolean;
  /** 1 = colour-by-plane (RRR…GGG…BBB…), 0 = interleaved. */
  planarConfiguration: 0 | 1;
}

export const bytesPerSample = (p: PixelModule): 1 | 2 => (p.bitsAllocated === 8 ? 1 : 2);
export const frameBytes = (p: PixelModule) => p.rows * p.columns * p.samplesPerPixel * bytesPerSample(p);

export function readPixelModule(ds: DataSet): PixelModule {
  const framesText = ds.string('x00280008');
  let frames = 1;
  if (framesText !== undefined && framesText.trim() !== '') {
    if (!/^\s*\d+\s*$/.test(framesText)) throw imagingError('INVALID_ATTRIBUTE', `Number of Frames ${JSON.stringify(framesText.slice(0, 12))} is not a number`);
    frames = Number(framesText);
    if (frames < 1) throw imagingError('INVALID_ATTRIBUTE', `Number of Frames is ${frames}`);
  }
  const rows = ds.uint16('x00280010');
  const columns = ds.uint16('x00280011');
  const bitsAllocated = ds.uint16('x00280100');
  if (rows === undefined || columns === undefined || bitsAllocated === undefined) {
    throw imagingError('MISSING_PIXEL_DATA', 'the image attributes Rows, Columns and Bits Allocated are not all present');
  }
  if (rows === 0 || columns === 0) throw imagingError('INVALID_ATTRIBUTE', `the image is ${columns}×${rows} pixels`);
  if (bitsAllocated !== 8 && bitsAllocated !== 16) {
    throw imagingError('UNSUPPORTED_PIXEL_FORMAT', `Bits Allocated ${bitsAllocated} is not supported (8 or 16)`);
  }
  const bitsStored = ds.uint16('x00280101') ?? bitsAllocated;
  if (bitsStored < 1 || bitsStored > bitsAllocated) {
    throw imagingError('INVALID_ATTRIBUTE', `Bits Stored ${bitsStored} does not fit in Bits Allocated ${bitsAllocated}`);
  }
  const samples = ds.uint16('x00280002') ?? 1;
  if (samples !== 1 && samples !== 3) throw imagingError('UNSUPPORTED_PIXEL_FORMAT', `Samples per Pixel ${samples} is not supported`);
  const photometricText = (ds.string('x00280004') ?? (samples === 1 ? 'MONOCHROME2' : 'RGB')).trim().toUpperCase();
  if (!photometrics.includes(photometricText)) {
    throw imagingError('UNSUPPORTED_PIXEL_FORMAT', `Photometric Interpretation ${JSON.stringify(photometricText.slice(0, 16))} is not supported`);
  }
  const photometric = photometricText as Photometric;
  if ((samples === 1) !== photometric.startsWith('MONOCHROME')) {
    throw imagingError('INVALID_ATTRIBUTE', `${photometric} with ${samples} sample(s) per pixel`);
  }
  if (samples === 3 && bitsAllocated !== 8) throw imagingError('UNSUPPORTED_PIXEL_FORMAT', 'colour images must have 8 bits per sample');
  const pixelRepresentation = ds.uint16('x00280103') ?? 0;
  const planar = ds.uint16('x00280006') ?? 0;
  const module: PixelModule = {
    rows, columns, frames, bitsAllocated, bitsStored,
    samplesPerPixel: samples,
    photometric,
    signed: pixelRepresentation === 1,
    planarConfiguration: samples === 3 && planar === 1 ? 1 : 0,
  };
  const size = frameBytes(module);
  if (size > maxFrameBytes) {
    throw imagingError('TOO_LARGE', `one frame would decode to ${size} bytes (${columns}×${rows}), more than the ${maxFrameBytes}-byte limit`);
  }
  return module;
}
