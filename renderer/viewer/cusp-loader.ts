import { imageLoader, metaData, type Types } from '@cornerstonejs/core';
import { variantSpacing, type Calibration } from './calibration.js';
import { cuspScheme, imageIdFor, imageUrl, parseImageId, pixelsFromRgba, type DecodedPixels, type DisplayVariant } from './image-ids.js';

export { imageIdFor, parseImageId, type DisplayVariant };

/**
 * The Cusp image loader: Cornerstone image ids for one Cusp image and variant, pixels fetched by
 * URL from `/img/<uuid>/<variant>` (same path under `cusp serve` and Electron's `cusp://app/`),
 * never through the contract. Derivatives (JPEG/PNG/WebP) decode in the browser; the lossless
 * master is DICOM and goes through Cornerstone's dicom-image-loader as `wadouri:`.
 *
 * What Cornerstone needs to know and the pixels do not say (full size, calibration, modality)
 * comes from the image record the renderer got from the contract, registered here first.
 */

export interface RegisteredImage {
  id: string;
  /** Full-resolution size (the master's). */
  rows: number;
  columns: number;
  modality: string;
  calibration: Calibration;
  /** The window the 8-bit derivatives were rendered with, in the master's modality units. */
  window: { center: number; width: number } | null;
  /** The chart's inline thumbnail (data: URL), shown before any request. */
  thumb200: string | null;
}

const images = new Map<string, RegisteredImage>();
/** Size of each decoded variant, known once decoded (a preview's size depends on the preset). */
const variantSizes = new Map<string, { rows: number; columns: number }>();
/** One calibration object per image id until it changes: Cornerstone compares it by identity. */
const calibrationModules = new Map<string, Record<string, unknown>>();

/** Tell the loader about an image before showing it; again whenever its calibration changes. */
export function registerImage(image: RegisteredImage): void {
  images.set(image.id, image);
  for (const variant of ['thumb200', 'preview', 'view', 'master'] as const) calibrationModules.delete(imageIdFor(image.id, variant));
}

export function registeredImage(id: string): RegisteredImage | undefined {
  return images.get(id);
}

async function decode(source: ImageBitmapSource): Promise<DecodedPixels> {
  const bitmap = await createImageBitmap(source, { colorSpaceConversion: 'none', premultiplyAlpha: 'none' });
  try {
    const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
    const context = canvas.getContext('2d', { willReadFrequently: true });
    if (!context) throw new Error('No 2D canvas to decode the image');
    context.drawImage(bitmap, 0, 0);
    return pixelsFromRgba(context.getImageData(0, 0, bitmap.width, bitmap.height).data, bitmap.width, bitmap.height);
  } finally {
    bitmap.close();
  }
}

async function fetchDerivative(image: RegisteredImage, variant: DisplayVariant, signal: AbortSignal): Promise<DecodedPixels> {
  if (variant === 'thumb200' && image.thumb200?.startsWith('data:')) {
    // CSP allows data: images but not data: fetches: decode through an <img>.
    const element = new Image();
    element.src = image.thumb200;
    await element.decode();
    return decode(element);
  }
  const response = await fetch(imageUrl(image.id, variant), { credentials: 'same-origin', signal });
  if (!response.ok) throw new Error(`Image ${image.id} ${variant}: HTTP ${response.status}`);
  return decode(await response.blob());
}

function toCornerstoneImage(imageId: string, decoded: DecodedPixels): Types.IImage {
  const { rows, columns, color, pixels } = decoded;
  return {
    imageId,
    rows,
    columns,
    height: rows,
    width: columns,
    color,
    rgba: false,
    numberOfComponents: color ? 3 : 1,
    minPixelValue: 0,
    maxPixelValue: 255,
    slope: 1,
    intercept: 0,
    windowCenter: 128,
    windowWidth: 256,
    getPixelData: () => pixels,
    sizeInBytes: pixels.byteLength,
    columnPixelSpacing: 1,
    rowPixelSpacing: 1,
    invert: false,
    photometricInterpretation: color ? 'RGB' : 'MONOCHROME2',
    dataType: 'Uint8Array',
  } as unknown as Types.IImage;
}

function loadCuspImage(imageId: string): Types.IImageLoadObject {
  const controller = new AbortController();
  const promise = (async () => {
    const parsed = parseImageId(imageId);
    const image = parsed && images.get(parsed.id);
    if (!parsed || !image) throw new Error(`Unknown Cusp image id ${imageId}: register the image first`);
    const decoded = await fetchDerivative(image, parsed.variant, controller.signal);
    variantSizes.set(imageId, { rows: decoded.rows, columns: decoded.columns });
    return toCornerstoneImage(imageId, decoded);
  })();
  return { promise: promise as Promise<Types.IImage>, cancelFn: () => controller.abort() };
}

/**
 * Metadata for our image ids, ahead of Cornerstone's own providers, so every variant of an image
 * (and its DICOM master) shares one world space: full-resolution pixels. Zoom, pan and drawings
 * then carry over from preview to view to master, and millimetres come only from the calibration
 * module (never from a guessed pixel spacing).
 */
function provider(type: string, imageId: string): unknown {
  const parsed = parseImageId(imageId);
  const image = parsed && images.get(parsed.id);
  if (!parsed || !image) return undefined;
  const size = parsed.variant === 'master' ? { rows: image.rows, columns: image.columns } : variantSizes.get(imageId);
  switch (type) {
    case 'imagePlaneModule': {
      if (!size) return undefined;
      const { pixelsPerVariantPixel } = variantSpacing(image.calibration, image, size);
      return {
        rows: size.rows,
        columns: size.columns,
        rowPixelSpacing: pixelsPerVariantPixel.row,
        columnPixelSpacing: pixelsPerVariantPixel.column,
        pixelSpacing: [pixelsPerVariantPixel.row, pixelsPerVariantPixel.column],
        imagePositionPatient: [0, 0, 0],
        imageOrientationPatient: [1, 0, 0, 0, 1, 0],
        rowCosines: [1, 0, 0],
        columnCosines: [0, 1, 0],
        frameOfReferenceUID: `cusp-${image.id}`,
        // Pixel units, not millimetres: Cornerstone must not call this spacing mm.
        usingDefaultValues: true,
      };
    }
    case 'calibrationModule':
    case 'calibratedPixelSpacing':
      return size ? calibrationModule(imageId, image, size) : undefined;
    case 'generalSeriesModule':
      return parsed.variant === 'master' ? undefined : { modality: image.modality, seriesInstanceUID: `cusp-${image.id}` };
    case 'imagePixelModule':
      if (parsed.variant === 'master' || !size) return undefined;
      return {
        samplesPerPixel: 1,
        photometricInterpretation: 'MONOCHROME2',
        rows: size.rows,
        columns: size.columns,
        bitsAllocated: 8,
        bitsStored: 8,
        highBit: 7,
        pixelRepresentation: 0,
      };
    case 'voiLutModule':
      return parsed.variant === 'master' ? undefined : { windowCenter: [128], windowWidth: [256] };
    case 'modalityLutModule':
      return parsed.variant === 'master' ? undefined : { rescaleSlope: 1, rescaleIntercept: 0 };
    default:
      return undefined;
  }
}

/** `scale: 1` with per-variant mm spacing: Cornerstone then reads lengths as mm (see calibration.ts). */
function calibrationModule(imageId: string, image: RegisteredImage, size: { rows: number; columns: number }) {
  if (calibrationModules.has(imageId)) return calibrationModules.get(imageId);
  const { mmPerVariantPixel } = variantSpacing(image.calibration, image, size);
  // Uncalibrated: an empty module (not undefined), so no provider behind ours supplies a spacing.
  const module = mmPerVariantPixel ? { scale: 1, rowPixelSpacing: mmPerVariantPixel.row, columnPixelSpacing: mmPerVariantPixel.column } : {};
  calibrationModules.set(imageId, module);
  return module;
}

let registered = false;

/** Once per page, after Cornerstone's init. */
export function registerCuspLoader(): void {
  if (registered) return;
  registered = true;
  imageLoader.registerImageLoader(cuspScheme, loadCuspImage as unknown as Types.ImageLoaderFn);
  metaData.addProvider(provider as Parameters<typeof metaData.addProvider>[0], 20_000);
}
