import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';

/**
 * Independent references from dcmtk and GDCM (Debian packages `dcmtk` and `libgdcm-tools`), run in
 * the test. They decode and render with their own codecs and their own DICOM pixel pipeline.
 */
const run = (cmd: string, args: string[]) => execFileSync(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 });

/** `gdcmconv --raw`: the file rewritten with native (uncompressed) pixel data. */
export function gdcmRaw(file: string, dir: string): string {
  const out = join(dir, `${basename(file)}.raw.dcm`);
  run('gdcmconv', ['--raw', file, out]);
  return out;
}

/** dcmtk's decompressors (`dcmdjpeg`, `dcmdjpls`, `dcmdrle`) with extra options. */
export function dcmtkDecompress(tool: 'dcmdjpeg' | 'dcmdjpls' | 'dcmdrle', file: string, dir: string, options: string[] = []): string {
  const out = join(dir, `${basename(file)}.${tool}${options.join('')}.dcm`);
  run(tool, [...options, file, out]);
  return out;
}

/** dcmtk's rendering (`dcm2pnm`): modality LUT, VOI, presentation, 8-bit PGM/PPM. */
export function dcm2pnm(file: string, dir: string, options: string[]): { width: number; height: number; channels: number; data: Uint8Array } {
  const out = join(dir, `${basename(file)}.${options.join('_').replace(/[^\w.-]/g, '')}.pnm`);
  run('dcm2pnm', [...options, file, out]);
  return readPnm(readFileSync(out));
}

function readPnm(b: Buffer): { width: number; height: number; channels: number; data: Uint8Array } {
  const fields: string[] = [];
  let i = 0;
  while (fields.length < 4) {
    while (/\s/.test(String.fromCharCode(b[i]!))) i++;
    let token = '';
    while (!/\s/.test(String.fromCharCode(b[i]!))) token += String.fromCharCode(b[i++]!);
    fields.push(token);
  }
  i++; // the single whitespace after maxval
  const [magic, w, h, max] = fields;
  if ((magic !== 'P5' && magic !== 'P6') || max !== '255') throw new Error(`unexpected PNM header ${fields.join(' ')}`);
  const width = Number(w), height = Number(h), channels = magic === 'P5' ? 1 : 3;
  return { width, height, channels, data: new Uint8Array(b.subarray(i, i + width * height * channels)) };
}

/** Largest and mean absolute difference between two equally long sample arrays. */
export function difference(a: ArrayLike<number>, b: ArrayLike<number>): { max: number; mean: number } {
  if (a.length !== b.length) throw new Error(`lengths differ: ${a.length} vs ${b.length}`);
  let max = 0, sum = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - b[i]!);
    sum += d;
    if (d > max) max = d;
  }
  return { max, mean: sum / a.length };
}
