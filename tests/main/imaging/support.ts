import { readFileSync } from 'node:fs';
import { checkPixelData, decodeFrame, type DecodedFrame } from '../../../main/imaging/decode.js';
import { parseDicom } from '../../../main/imaging/parse.js';
import { readPixelModule, type PixelModule } from '../../../main/imaging/pixel-module.js';

/** Every frame of a DICOM file, decoded by the code under test. */
export async function decodeAll(path: string): Promise<{ pixel: PixelModule; frames: DecodedFrame[] }> {
  const parsed = parseDicom(readFileSync(path));
  const pixel = readPixelModule(parsed.dataSet);
  checkPixelData(parsed, pixel);
  const frames: DecodedFrame[] = [];
  for (let i = 0; i < pixel.frames; i++) frames.push(await decodeFrame(parsed, pixel, i));
  return { pixel, frames };
}

/** Stored values as numbers: masked to the bits that carry them and sign-extended. */
export function values(frame: DecodedFrame): Int32Array {
  if (frame.channels === 3) return Int32Array.from(frame.samples);
  const mask = 2 ** frame.bitsStored - 1;
  const sign = 2 ** (frame.bitsStored - 1);
  return Int32Array.from(frame.samples, (v) => {
    const m = v & mask;
    return frame.signed && m >= sign ? m - mask - 1 : m;
  });
}
