/**
 * Pins down: every file in dicom/compressed and dicom/dental decodes to the same stored values as
 * an independent decoder — its uncompressed twin, the source PNG, GDCM (`gdcmconv --raw`), dcmtk
 * (`dcmdjpeg`, `dcmdjpls`, `dcmdrle`) or, for HTJ2K which neither has, OpenJPEG — bit-exact for
 * lossless syntaxes, within ±1 (IDCT rounding) for lossy JPEG.
 */
import { readdirSync, readFileSync } from 'node:fs';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeJ2k } from '../../../main/imaging/codecs.js';
import { parseDicom } from '../../../main/imaging/parse.js';
import { dicomData, scratchDir } from '../../support/paths.js';
import { dcmtkDecompress, difference, gdcmRaw } from './reference.js';
import { decodeAll, values } from './support.js';

let dir: string;
beforeAll(() => {
  dir = scratchDir('imaging-decode');
});

const compressed = (name: string) => dicomData('compressed', name);
const dental = (name: string) => dicomData('dental', name);

/** Lossy syntaxes where a conforming decoder may differ by one in the last bit (IDCT rounding). */
const lossyTolerance: Record<string, number> = {
  'dicomParser_CT0012.fragmented_no_bot_jpeg_baseline.51.dcm': 1,
  'dicomParser_IM00001.fragmented_no_bot_jpeg_baseline.50.dcm': 1,
  'fodicom_GH538-jpeg1.dcm': 1,
  'pydicom_JPEG-lossy.dcm': 1,
  'pydicom_JPGExtended.dcm': 1,
  'IO_bitewing01_8bit_JPEGBaseline.dcm': 1,
};

async function expectSameAsReference(file: string, reference: string, tolerance = 0): Promise<void> {
  const ours = await decodeAll(file);
  const theirs = await decodeAll(reference);
  expect(ours.frames).toHaveLength(theirs.frames.length);
  ours.frames.forEach((frame, i) => {
    const d = difference(values(frame), values(theirs.frames[i]!));
    expect(d.max, `frame ${i + 1}: largest difference`).toBeLessThanOrEqual(tolerance);
    if (tolerance > 0) expect(d.mean, `frame ${i + 1}: mean difference`).toBeLessThan(0.2);
  });
}

describe('every compressed and dental file against GDCM', () => {
  const files = [
    ...readdirSync(dicomData('compressed')).map((f) => compressed(f)),
    ...readdirSync(dicomData('dental')).filter((f) => f.endsWith('.dcm')).map((f) => dental(f)),
  ].filter((f) => f.endsWith('.dcm') && !f.includes('HTJ2K'));
  it.each(files.map((f) => [f.split('/').pop()!, f]))('%s', async (name, file) => {
    await expectSameAsReference(file, gdcmRaw(file, dir), lossyTolerance[name] ?? 0);
  });

  it('the GDCM references are themselves native (so the comparison is not with our codecs)', () => {
    const raw = gdcmRaw(compressed('pydicom_MR_small_jp2klossless.dcm'), dir);
    expect(parseDicom(readFileSync(raw)).syntax.encapsulated).toBe(false);
  });
});

describe('twins of the same image', () => {
  it.each([
    'IO_bitewing01_12bit_J2K_Lossless.dcm',
    'IO_bitewing01_12bit_JPEGLS_Lossless.dcm',
    'IO_bitewing01_12bit_JPEGLossless_SV1.dcm',
    'IO_bitewing01_12bit_RLE.dcm',
  ])('%s equals the uncompressed 12-bit bitewing bit for bit', async (name) => {
    await expectSameAsReference(dental(name), dental('IO_bitewing01_12bit_ExplicitVRLE.dcm'));
  });

  it('the 8-bit bitewing equals its source PNG, and the 12-bit one is its bit replication', async () => {
    const { data, info } = await sharp(dental('IO_bitewing01_source.png')).extractChannel(0).raw().toBuffer({ resolveWithObject: true });
    const eight = await decodeAll(dental('IO_bitewing01_8bit_ExplicitVRLE.dcm'));
    expect([eight.frames[0]!.width, eight.frames[0]!.height]).toEqual([info.width, info.height]);
    expect(difference(values(eight.frames[0]!), data).max).toBe(0);
    const twelve = await decodeAll(dental('IO_bitewing01_12bit_ExplicitVRLE.dcm'));
    expect(difference(values(twelve.frames[0]!), Array.from(data, (v) => (v << 4) | (v >> 4))).max).toBe(0);
  });

  it.each([
    'pydicom_MR_small_RLE.dcm',
    'pydicom_MR_small_bigendian.dcm',
    'pydicom_MR_small_implicit.dcm',
    'pydicom_MR_small_jp2klossless.dcm',
    'pydicom_MR_small_jpeg_ls_lossless.dcm',
  ])('%s equals pydicom MR_small (explicit little endian)', async (name) => {
    await expectSameAsReference(compressed(name), compressed('pydicom_MR_small.dcm'));
  });

  it('CT0012: RLE and JPEG Lossless process 14 agree on both frames', async () => {
    await expectSameAsReference(compressed('dicomParser_CT0012.fragmented_no_bot_jpeg_lossless.57.dcm'), compressed('dicomParser_CT0012.not_fragmented_bot_rle.dcm'));
  });

  it('emri_small: RLE and JPEG-LS agree on all ten frames', async () => {
    const { frames } = await decodeAll(compressed('pydicomdata_emri_small_RLE.dcm'));
    expect(frames).toHaveLength(10);
    await expectSameAsReference(compressed('pydicomdata_emri_small_jpeg_ls_lossless.dcm'), compressed('pydicomdata_emri_small_RLE.dcm'));
  });
});

describe('dcmtk decompressors agree', () => {
  it.each([
    ['dcmdjpeg', 'pydicom_JPGExtended.dcm', 1],
    ['dcmdjpeg', 'dicomParser_CT0012.fragmented_no_bot_jpeg_baseline.51.dcm', 1],
    ['dcmdjpeg', 'fodicom_CR-ModalitySequenceLUT.dcm', 0],
    ['dcmdjpls', 'pydicomdata_JLSL_16_15_1_1F.dcm', 0],
    ['dcmdjpls', 'pydicom_JPEGLSNearLossless_16.dcm', 0],
    ['dcmdrle', 'fodicom_D_CLUNIE_CT1_RLE_FRAGS.dcm', 0],
  ] as const)('%s on %s', async (tool, name, tolerance) => {
    await expectSameAsReference(compressed(name), dcmtkDecompress(tool, compressed(name), dir), tolerance);
  });

  it('12-bit JPEG has no level-shift bias (Cornerstone’s JS decoder adds +15 unless corrected)', async () => {
    const ours = await decodeAll(compressed('pydicom_JPGExtended.dcm'));
    const theirs = await decodeAll(dcmtkDecompress('dcmdjpeg', compressed('pydicom_JPGExtended.dcm'), dir));
    const a = values(ours.frames[0]!), b = values(theirs.frames[0]!);
    let bias = 0;
    for (let i = 0; i < a.length; i++) bias += a[i]! - b[i]!;
    expect(Math.abs(bias / a.length)).toBeLessThan(0.5);
  });
});

describe('colour', () => {
  it('HTJ2K RGB (which GDCM and dcmtk here cannot read) equals OpenJPEG’s decoding of the same codestream', async () => {
    const file = compressed('pydicomdata_HTJ2KLossless_08_RGB.dcm');
    const ours = await decodeAll(file);
    const parsed = parseDicom(readFileSync(file));
    const fragment = parsed.dataSet.elements.x7fe00010!.fragments![0]!;
    const openjpeg = await decodeJ2k(parsed.bytes.subarray(fragment.position, fragment.position + fragment.length));
    expect(ours.pixel.photometric).toBe('RGB');
    expect(ours.frames[0]!.channels).toBe(3);
    expect(difference(ours.frames[0]!.samples, openjpeg.bytes).max).toBe(0);
  });

  it('YBR_FULL JPEG equals dcmtk’s RGB conversion within ±1, and planar and interleaved layouts decode alike', async () => {
    const file = compressed('fodicom_GH538-jpeg1.dcm');
    const rgb = dcmtkDecompress('dcmdjpeg', file, dir, ['+ca']);
    const planar = dcmtkDecompress('dcmdjpeg', file, dir, ['+ca', '+pl']);
    const ybr = dcmtkDecompress('dcmdjpeg', file, dir, ['+cn']);
    const planarFile = parseDicom(readFileSync(planar));
    expect(planarFile.dataSet.uint16('x00280006')).toBe(1);
    expect(parseDicom(readFileSync(ybr)).dataSet.string('x00280004')).toBe('YBR_FULL');
    await expectSameAsReference(file, rgb, 1);
    await expectSameAsReference(planar, rgb, 0);
    // Native YBR_FULL converted by our own formula, against dcmtk's (also within rounding).
    await expectSameAsReference(ybr, rgb, 2);
  });

  it('multi-frame YBR JPEG: all eight frames decode, each within ±1 of GDCM', async () => {
    const file = compressed('dicomParser_IM00001.fragmented_no_bot_jpeg_baseline.50.dcm');
    const { frames } = await decodeAll(file);
    expect(frames).toHaveLength(8);
    expect(frames.every((f) => f.channels === 3)).toBe(true);
  });

  it('YBR_FULL_422 JPEG from img2dcm matches sharp’s decoding of the same JPEG', async () => {
    const jpeg = `${dir}/colour.jpg`;
    await sharp(dicomData('..', 'dental-images', 'ceph_lateral_alexcorvi_traced_overlay.png')).resize(300).removeAlpha().jpeg({ quality: 90, chromaSubsampling: '4:2:0' }).toFile(jpeg);
    const dcm = `${dir}/colour.dcm`;
    const { execFileSync } = await import('node:child_process');
    execFileSync('img2dcm', [jpeg, dcm], { stdio: 'ignore' });
    expect(parseDicom(readFileSync(dcm)).dataSet.string('x00280004')).toBe('YBR_FULL_422');
    const ours = await decodeAll(dcm);
    const { data } = await sharp(jpeg).raw().toBuffer({ resolveWithObject: true });
    const d = difference(ours.frames[0]!.samples, data);
    expect(d.max).toBeLessThanOrEqual(2);
    expect(d.mean).toBeLessThan(0.1);
  });
});
