import sharp from 'sharp';
import { checkPixelData, decodeFrame, type DecodedFrame } from './decode.js';
import { imagingError, ImagingError } from './errors.js';
import { readMetadata, type ImageMetadata } from './metadata.js';
import { parseDicom, type ParsedDicom } from './parse.js';
import { readPixelModule, type PixelModule } from './pixel-module.js';
import { readPipeline, type GreyPipeline } from './render.js';

/** Largest photo (JPEG/PNG/WebP/TIFF) accepted: 100 megapixels, well above a 4096×5120 ceph. */
export const maxRasterPixels = 100_000_000;

export interface DicomSource {
  kind: 'dicom';
  parsed: ParsedDicom;
  pixel: PixelModule;
  metadata: ImageMetadata;
  /** The frame derivatives are made from: the only one, or the middle of a multi-frame (CBCT) object. */
  frameIndex: number;
  frame: DecodedFrame;
  pipeline?: GreyPipeline;
}

export interface RasterSource {
  kind: 'raster';
  format: 'jpeg' | 'png' | 'webp' | 'tiff';
  frame: DecodedFrame;
  pipeline?: undefined;
}

export type SourceImage = DicomSource | RasterSource;

const rasterMagic = (b: Uint8Array): RasterSource['format'] | undefined => {
  if (b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'jpeg';
  if (b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47) return 'png';
  if (b[0] === 0x52 && b[1] === 0x49 && b[2] === 0x46 && b[3] === 0x46 && b[8] === 0x57 && b[9] === 0x45) return 'webp';
  if ((b[0] === 0x49 && b[1] === 0x49 && b[2] === 0x2a) || (b[0] === 0x4d && b[1] === 0x4d && b[3] === 0x2a)) return 'tiff';
  return undefined;
};

/** Photos and scanned films: decoded by sharp to 8-bit grey when every pixel is neutral, else RGB. */
async function loadRaster(bytes: Uint8Array, format: RasterSource['format']): Promise<RasterSource> {
  try {
    const input = () => sharp(bytes, { limitInputPixels: maxRasterPixels, failOn: 'error' }).rotate(); // EXIF orientation, as a viewer would
    const { channels: declared } = await input().metadata();
    // Greyscale files decode straight to one channel: a 4096×5120 film scan stays 20 MB, not 60.
    const decoder = (declared ?? 3) <= 2 ? input().extractChannel(0) : input().removeAlpha().toColourspace('srgb');
    const { data, info } = await decoder.raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
    const { width, height } = info;
    const rgb = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    let neutral = info.channels === 3;
    for (let i = 0; neutral && i < rgb.length; i += 3) neutral = rgb[i] === rgb[i + 1] && rgb[i] === rgb[i + 2];
    let samples = rgb;
    if (neutral) {
      samples = new Uint8Array(width * height);
      for (let i = 0; i < samples.length; i++) samples[i] = rgb[3 * i]!;
    }
    const channels = neutral || info.channels === 1 ? 1 : 3;
    return { kind: 'raster', format, frame: { width, height, channels, samples, bitsStored: 8, signed: false } };
  } catch (e) {
    if (/pixel limit/i.test(String(e))) throw imagingError('TOO_LARGE', `the ${format} image has more than ${maxRasterPixels} pixels`, e);
    throw imagingError('CORRUPT_CODESTREAM', `the ${format} image could not be decoded`, e);
  }
}

export type InputKind = 'dicom' | 'raster' | 'any';

/** The kind a file name promises: photos by their extension, everything else (including no extension) DICOM. */
export const inputKindOf = (fileName: string): InputKind =>
  /\.(jpe?g|png|webp|tiff?)$/i.test(fileName) ? 'raster' : 'dicom';

/**
 * Parses and decodes a DICOM file or (when `expect` allows) a JPEG/PNG/WebP/TIFF photo; throws
 * ImagingError with a reason for anything else. A photo where DICOM was expected is refused: a
 * PNG renamed to .dcm is not an X-ray object and must not be filed as one.
 */
export async function loadImage(bytes: Uint8Array, options: { frame?: number; expect?: InputKind } = {}): Promise<SourceImage> {
  const expect = options.expect ?? 'dicom';
  const raster = rasterMagic(bytes);
  if (expect !== 'dicom' && raster) return loadRaster(bytes, raster);
  if (expect === 'raster') throw imagingError('NOT_DICOM', 'the file is not a JPEG, PNG, WebP or TIFF image');
  if (raster && !(bytes.length >= 132 && bytes[128] === 0x44 && bytes[129] === 0x49)) {
    throw imagingError('NOT_DICOM', `the file is a ${raster.toUpperCase()} image, not DICOM`);
  }
  const parsed = parseDicom(bytes);
  const pixel = readPixelModule(parsed.dataSet);
  checkPixelData(parsed, pixel);
  const metadata = readMetadata(parsed, pixel);
  const frameIndex = options.frame ?? Math.floor((pixel.frames - 1) / 2);
  const frame = await decodeFrame(parsed, pixel, frameIndex);
  const pipeline = pixel.samplesPerPixel === 1 ? readPipeline(parsed.dataSet, pixel.signed, pixel.photometric) : undefined;
  return { kind: 'dicom', parsed, pixel, metadata, frameIndex, frame, ...(pipeline ? { pipeline } : {}) };
}

export const isImagingError = (e: unknown): e is ImagingError => e instanceof ImagingError;
