/**
 * Pins down the baseline → progressive transcoder (main/imaging/progressive-jpeg.ts) against
 * sharp (libjpeg-turbo) as the reference: for greyscale and colour (4:2:0 and 4:4:4) images whose
 * sizes are and are not whole blocks/MCUs, qualities 50–100 and quantization tables 0 and 7, made
 * from a real radiograph, random noise (large coefficients) and flat areas (long EOB runs), the
 * output is progressive (SOF2, no SOF0), decodes to exactly the input's pixels, keeps the EXIF
 * "not for diagnosis" text and is no larger than its input for radiographs, nor (within 0.5 %) than
 * libjpeg's own progressive, optimised encoding; restart intervals on input are read (the
 * real cephs have them); anything else is refused with an Error saying why.
 */
import { readFileSync } from 'node:fs';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { toProgressive } from '../../../main/imaging/progressive-jpeg.js';
import { dentalImages } from '../../support/paths.js';

const description = 'Cusp lossy derivative - NOT FOR DIAGNOSIS; use the lossless master';
type Kind = 'grey' | '4:2:0' | '4:4:4';
type Source = 'radiograph' | 'noise' | 'flat';
interface Raw {
  data: Buffer;
  width: number;
  height: number;
  channels: 1 | 3;
}

let ceph: Raw;
beforeAll(async () => {
  const { data, info } = await sharp(readFileSync(dentalImages('ceph_lateral_boltonbrush_B1893L12.jpg'))).greyscale().raw().toBuffer({ resolveWithObject: true });
  ceph = { data, width: info.width, height: info.height, channels: 1 };
});

/** Deterministic noise (LCG). */
function noise(length: number, seed: number): Buffer {
  const out = Buffer.alloc(length);
  let s = seed >>> 0;
  for (let i = 0; i < length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s >>> 24;
  }
  return out;
}

/** Test image: a crop of the ceph (colour: three crops as R, G, B), noise, or flat grey with one step. */
function image(source: Source, width: number, height: number, channels: 1 | 3): Raw {
  const data = Buffer.alloc(width * height * channels);
  if (source === 'noise') return { data: noise(data.length, width * 31 + height), width, height, channels };
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < channels; c++) {
        data[(y * width + x) * channels + c] =
          source === 'flat' ? (x < width / 2 ? 128 : 140) + 20 * c : ceph.data[(1500 + y + 200 * c) * ceph.width + 1000 + x + 150 * c]!;
      }
    }
  }
  return { data, width, height, channels };
}

/** Baseline JPEG as derive.ts asks sharp for it (EXIF description included). */
function baseline(raw: Raw, quality: number, quantisationTable: number, kind: Kind): Promise<Buffer> {
  let pipeline = sharp(raw.data, { raw: { width: raw.width, height: raw.height, channels: raw.channels } });
  if (raw.channels === 1) pipeline = pipeline.toColourspace('b-w');
  return pipeline
    .withExif({ IFD0: { ImageDescription: description } })
    .jpeg({ quality, quantisationTable, progressive: false, optimiseCoding: false, mozjpeg: false, ...(kind === 'grey' ? {} : { chromaSubsampling: kind }) })
    .toBuffer();
}

/** The marker codes of the segments up to the first SOS, in order. */
function headerMarkers(jpeg: Uint8Array): number[] {
  const markers: number[] = [];
  let p = 2;
  while (p + 4 <= jpeg.length) {
    const marker = jpeg[p + 1]!;
    markers.push(marker);
    if (marker === 0xda) break;
    p += 2 + ((jpeg[p + 2]! << 8) | jpeg[p + 3]!);
  }
  return markers;
}

/** Where the entropy-coded data of the first scan starts (after its SOS segment). */
function scanData(jpeg: Uint8Array): number {
  let p = 2;
  while (jpeg[p + 1] !== 0xda) p += 2 + ((jpeg[p + 2]! << 8) | jpeg[p + 3]!);
  return p + 2 + ((jpeg[p + 2]! << 8) | jpeg[p + 3]!);
}

const pixels = (jpeg: Buffer) => sharp(jpeg).raw().toBuffer();

async function expectSameImage(input: Buffer, output: Buffer): Promise<void> {
  const markers = headerMarkers(output);
  expect(markers).toContain(0xc2);
  expect(markers).not.toContain(0xc0);
  expect(markers).not.toContain(0xdd); // no restart markers written
  expect((await sharp(output).metadata()).isProgressive).toBe(true);
  const [a, b] = await Promise.all([pixels(input), pixels(output)]);
  expect(b.length).toBe(a.length);
  expect(b.equals(a)).toBe(true);
}

const sizes: [number, number][] = [
  [1, 1],
  [7, 13],
  [33, 17],
  [1023, 769],
];
const qualities = [50, 80, 95, 100];

describe('toProgressive: same pixels, progressive', () => {
  for (const [width, height] of sizes) {
    for (const kind of ['grey', '4:2:0', '4:4:4'] as const) {
      for (const source of ['radiograph', 'noise', 'flat'] as const) {
        it(`${width}x${height} ${kind} ${source}, q${qualities.join('/')} with tables 0 and 7`, async () => {
          const raw = image(source, width, height, kind === 'grey' ? 1 : 3);
          for (const quality of qualities) {
            for (const table of [0, 7]) {
              const input = await baseline(raw, quality, table, kind);
              const output = toProgressive(input);
              await expectSameImage(input, output);
              if (source === 'radiograph' && width > 100) expect(output.length).toBeLessThanOrEqual(input.length);
            }
          }
        });
      }
    }
  }

  it('keeps the EXIF "not for diagnosis" description, the other APPn/COM segments and the quantization tables', async () => {
    const input = await baseline(image('radiograph', 300, 200, 3), 80, 7, '4:2:0');
    const output = toProgressive(input);
    const { exif } = await sharp(output).metadata();
    expect(exif?.includes(Buffer.from(description))).toBe(true);
    const kept = (jpeg: Buffer) => headerMarkers(jpeg).filter((m) => (m >= 0xe0 && m <= 0xef) || m === 0xfe || m === 0xdb);
    expect(kept(output)).toEqual(kept(input));
  });

  it('reads restart intervals (DRI) and Adobe/ICC/Photoshop segments: the real 4096x5120 cephs, byte-identical pixels, smaller', async () => {
    for (const name of ['ceph_lateral_boltonbrush_B1893L12.jpg', 'ceph_pa_boltonbrush_B1893F12.jpg', 'ceph_lateral_alexcorvi_sample.jpg']) {
      const input = readFileSync(dentalImages(name));
      const output = toProgressive(input);
      await expectSameImage(input, output);
      expect(output.length).toBeLessThan(input.length);
      expect((await sharp(output).metadata()).icc?.length).toBe((await sharp(input).metadata()).icc?.length);
    }
    expect(headerMarkers(readFileSync(dentalImages('ceph_lateral_boltonbrush_B1893L12.jpg')))).toContain(0xdd);
  });

  it("is no larger (within 0.5 %) than libjpeg's own progressive, Huffman-optimised encoding of the same image", async () => {
    for (const kind of ['grey', '4:2:0'] as const) {
      const raw = image('radiograph', 1023, 769, kind === 'grey' ? 1 : 3);
      let pipeline = sharp(raw.data, { raw: { width: raw.width, height: raw.height, channels: raw.channels } });
      if (raw.channels === 1) pipeline = pipeline.toColourspace('b-w');
      const libjpeg = await pipeline
        .withExif({ IFD0: { ImageDescription: description } })
        .jpeg({ quality: 80, quantisationTable: 7, progressive: true, optimiseCoding: true, mozjpeg: false, ...(kind === 'grey' ? {} : { chromaSubsampling: kind }) })
        .toBuffer();
      const ours = toProgressive(await baseline(raw, 80, 7, kind));
      expect(ours.length / libjpeg.length).toBeLessThan(1.005);
      expect((await pixels(ours)).equals(await pixels(libjpeg))).toBe(true);
    }
  });
});

describe('toProgressive: refused input', () => {
  let good: Buffer;
  beforeAll(async () => {
    good = await baseline(image('radiograph', 64, 48, 1), 80, 0, 'grey');
  });
  const sofAt = (jpeg: Buffer) => jpeg.indexOf(Buffer.from([0xff, 0xc0]));
  const patched = (at: number, value: number) => {
    const copy = Buffer.from(good);
    copy[at] = value;
    return copy;
  };

  it('says so for something that is not a JPEG, and for an empty buffer', async () => {
    const png = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#000' } }).png().toBuffer();
    expect(() => toProgressive(png)).toThrow(/not a JPEG/);
    expect(() => toProgressive(new Uint8Array(0))).toThrow(/not a JPEG/);
  });

  it('refuses progressive, arithmetic-coded, lossless and 12-bit JPEG and 4 components', async () => {
    const progressive = await sharp(good).jpeg({ progressive: true, mozjpeg: false }).toBuffer();
    expect(() => toProgressive(progressive)).toThrow(/already progressive/);
    expect(() => toProgressive(patched(sofAt(good) + 1, 0xc9))).toThrow(/arithmetic/);
    expect(() => toProgressive(patched(sofAt(good) + 1, 0xc3))).toThrow(/lossless/);
    expect(() => toProgressive(patched(sofAt(good) + 4, 12))).toThrow(/12-bit samples are not supported/);
    const cmyk = await sharp(good).toColourspace('cmyk').jpeg({ mozjpeg: false }).toBuffer();
    expect(() => toProgressive(cmyk)).toThrow(/4 components are not supported/);
  });

  it('refuses truncated data: cut in the header, in the entropy-coded data, or with a restart marker missing', () => {
    expect(() => toProgressive(good.subarray(0, sofAt(good) + 6))).toThrow(/truncated/);
    const scan = scanData(good);
    expect(() => toProgressive(good.subarray(0, scan + (good.length - scan) / 2))).toThrow(/truncated/);
    const ceph = readFileSync(dentalImages('ceph_lateral_alexcorvi_sample.jpg'));
    expect(() => toProgressive(ceph.subarray(0, ceph.length / 2))).toThrow(/truncated/);
    const withRestarts = Buffer.from(readFileSync(dentalImages('ceph_lateral_boltonbrush_B1893L12.jpg')));
    const rst = withRestarts.indexOf(Buffer.from([0xff, 0xd3]), scanData(withRestarts));
    expect(rst).toBeGreaterThan(0);
    withRestarts[rst + 1] = 0xd5; // RST3 where RST3 belongs, made RST5
    expect(() => toProgressive(withRestarts)).toThrow(/restart markers out of order/);
  });

  it('refuses corrupt entropy-coded data with an Error, not a wrong image', () => {
    const scan = scanData(good);
    const corrupt = Buffer.from(good);
    corrupt.fill(0xfe, scan + 20, scan + 60); // a run of long codes: not a valid sequence in these tables
    expect(() => toProgressive(corrupt)).toThrow(/progressive JPEG: /);
  });
});
