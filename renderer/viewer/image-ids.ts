/**
 * Cornerstone image ids for Cusp images and the pure pieces of the loader (no Cornerstone, no DOM),
 * so they can be tested on their own.
 */
export type DisplayVariant = 'thumb200' | 'preview' | 'view' | 'master';

export const cuspScheme = 'cusp';
/** Where image bytes live, relative to the page's origin. */
export const imageBasePath = '/img/';

export function imageUrl(id: string, variant: DisplayVariant): string {
  return `${imageBasePath}${encodeURIComponent(id)}/${variant}`;
}

export function imageIdFor(id: string, variant: DisplayVariant): string {
  if (variant === 'master') return `wadouri:${imageUrl(id, 'master')}`;
  return `${cuspScheme}:${id}:${variant}`;
}

/** The Cusp image and variant behind a Cornerstone image id of ours, or null. */
export function parseImageId(imageId: string): { id: string; variant: DisplayVariant } | null {
  const cusp = /^cusp:([0-9a-f-]{36}):(thumb200|preview|view)$/i.exec(imageId);
  if (cusp) return { id: cusp[1]!, variant: cusp[2] as DisplayVariant };
  const master = new RegExp(`^wadouri:${imageBasePath}([0-9a-f-]{36})/master$`, 'i').exec(imageId);
  if (master) return { id: decodeURIComponent(master[1]!), variant: 'master' };
  return null;
}

/** Decoded pixels of a derivative: one grey channel when R = G = B everywhere, else RGB. */
export interface DecodedPixels {
  rows: number;
  columns: number;
  color: boolean;
  pixels: Uint8Array;
}

export function pixelsFromRgba(rgba: Uint8ClampedArray, columns: number, rows: number): DecodedPixels {
  const count = columns * rows;
  let grey = true;
  for (let i = 0; i < count * 4; i += 4) {
    if (rgba[i] !== rgba[i + 1] || rgba[i] !== rgba[i + 2]) {
      grey = false;
      break;
    }
  }
  const pixels = new Uint8Array(grey ? count : count * 3);
  for (let p = 0, i = 0; p < count; p++, i += 4) {
    if (grey) pixels[p] = rgba[i]!;
    else {
      pixels[p * 3] = rgba[i]!;
      pixels[p * 3 + 1] = rgba[i + 1]!;
      pixels[p * 3 + 2] = rgba[i + 2]!;
    }
  }
  return { rows, columns, color: !grey, pixels };
}

