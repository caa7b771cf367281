/**
 * Pins down: each file in dicom/malformed is refused with its own specific reason, without
 * allocating what its header claims, and `cusp derive` writes nothing for it and exits non-zero;
 * a folder run continues past bad files. Two files there are valid images with hostile or odd
 * headers: they must derive, and header text must not leak into the summary.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../../main/cli/index.js';
import { ImagingError } from '../../../main/imaging/errors.js';
import { loadImage } from '../../../main/imaging/image.js';
import { parseDicom } from '../../../main/imaging/parse.js';
import { dicomData, scratchDir } from '../../support/paths.js';

const expected: Record<string, ImagingError['reason']> = {
  'IO_bitewing01_8bit_trunc_mid_pixeldata.dcm': 'TRUNCATED',
  'IO_bitewing01_JPEGBaseline_trunc_mid_fragment.dcm': 'TRUNCATED',
  'IO_bitewing01_missing_PixelData.dcm': 'MISSING_PIXEL_DATA',
  'IO_bitewing01_no_DICM_magic.dcm': 'NOT_DICOM',
  'IO_bitewing01_pixeldata_length_exceeds_file.dcm': 'TRUNCATED',
  'IO_bitewing01_rows_exceed_pixeldata.dcm': 'PIXEL_LENGTH_MISMATCH',
  'IO_bitewing01_trunc_in_dataset_header.dcm': 'TRUNCATED',
  'IO_bitewing01_trunc_in_filemeta.dcm': 'TRUNCATED',
  'IO_bitewing01_trunc_in_preamble.dcm': 'TRUNCATED',
  'MR_small_jpegls_labelled_as_J2K.dcm': 'SYNTAX_MISMATCH',
  'MR_small_native_pixels_labelled_as_RLE.dcm': 'SYNTAX_MISMATCH',
  'png_file_renamed.dcm': 'NOT_DICOM',
  'pydicom_J2K_pixelrep_mismatch.dcm': 'INVALID_ATTRIBUTE',
  'pydicom_JPEG2000-embedded-sequence-delimiter.dcm': 'CORRUPT_CODESTREAM',
  'pydicom_MR_truncated.dcm': 'TRUNCATED',
  'pydicom_badVR.dcm': 'INVALID_ATTRIBUTE',
  'pydicom_meta_missing_tsyntax.dcm': 'MISSING_TRANSFER_SYNTAX',
  'pydicom_no_meta.dcm': 'NOT_DICOM',
  'pydicom_no_meta_group_length.dcm': 'MISSING_PIXEL_DATA',
  'pydicom_rtplan_truncated.dcm': 'TRUNCATED',
  'pydicomdata_emri_small_jpeg_2k_lossless_too_short.dcm': 'TRUNCATED',
  'random_bytes_4k.dcm': 'NOT_DICOM',
  'zero_length.dcm': 'NOT_DICOM',
};
/** Structurally valid images kept in malformed/ for their headers: hostile text, a UN sequence per CP-246. */
const validImages = ['IO_bitewing01_hostile_text_tags.dcm', 'pydicomdata_bad_sequence.dcm'];

const malformed = (name: string) => dicomData('malformed', name);

async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(a.join(' ')));
  vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void err.push(a.join(' ')));
  const code = await main(['node', 'cusp', ...args]);
  vi.restoreAllMocks();
  return { code, out: out.join('\n'), err: err.join('\n') };
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('loadImage refuses each malformed file with its reason', () => {
  it('the table covers every file in the folder', () => {
    expect(readdirSync(dicomData('malformed')).filter((f) => f !== 'README.md').sort()).toEqual([...Object.keys(expected), ...validImages].sort());
  });

  it.each(Object.entries(expected))('%s → %s', async (name, reason) => {
    const attempt = loadImage(readFileSync(malformed(name)));
    await expect(attempt).rejects.toBeInstanceOf(ImagingError);
    await expect(attempt).rejects.toMatchObject({ reason });
  });

  it('a pixel-data length bomb is refused without allocating it', async () => {
    const before = process.memoryUsage().arrayBuffers;
    await expect(loadImage(readFileSync(malformed('IO_bitewing01_pixeldata_length_exceeds_file.dcm')))).rejects.toMatchObject({ reason: 'TRUNCATED' });
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(64 * 1024 * 1024);
  });

  it('a header declaring a huge image is refused before anything is decoded (TOO_LARGE)', async () => {
    const bytes = Buffer.from(readFileSync(dicomData('dental', 'IO_bitewing01_8bit_ExplicitVRLE.dcm')));
    const ds = parseDicom(bytes).dataSet;
    bytes.writeUInt16LE(65535, ds.elements.x00280010!.dataOffset);
    bytes.writeUInt16LE(65535, ds.elements.x00280011!.dataOffset);
    await expect(loadImage(bytes)).rejects.toMatchObject({ reason: 'TOO_LARGE' });
  });
});

describe('damaged copies of good files', () => {
  /** Deterministic pseudo-random numbers (the same damage on every run). */
  function random(seed: number): () => number {
    let state = seed;
    return () => (state = (state * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
  }

  it.each([
    'dental/IO_bitewing01_8bit_JPEGBaseline.dcm',
    'compressed/pydicom_MR_small_jpeg_ls_lossless.dcm',
    'compressed/pydicom_MR_small_RLE.dcm',
    'compressed/pydicom_MR_small_jp2klossless.dcm',
    'compressed/pydicomdata_JPEG-LL.dcm',
    'compressed/pydicom_JPGExtended.dcm',
    'compressed/pydicom_image_dfl.dcm',
    'compressed/pydicomdata_HTJ2KLossless_08_RGB.dcm',
    'compressed/fodicom_CR-MONO1-10-chest_nometa.dcm',
  ])('%s: truncated anywhere or with bytes overwritten, it decodes or fails with an ImagingError, nothing else', async (name) => {
    const original = readFileSync(dicomData(name));
    const next = random(name.length);
    for (let k = 0; k < 30; k++) {
      let damaged: Buffer;
      if (k < 10) {
        damaged = original.subarray(0, Math.floor(next() * original.length));
      } else {
        damaged = Buffer.from(original);
        // Half the time in the header, where lengths and attributes live; otherwise anywhere.
        const span = k < 20 ? Math.min(original.length, 2000) : original.length;
        for (let j = 0; j < 1 + Math.floor(next() * 8); j++) damaged[Math.floor(next() * span)] = Math.floor(next() * 256);
      }
      try {
        await loadImage(damaged);
      } catch (e) {
        expect(e, `damage #${k}`).toBeInstanceOf(ImagingError);
      }
    }
  });
});

describe('cusp derive on malformed files', () => {
  it.each(Object.entries(expected))('%s: exits non-zero, says %s, writes nothing', async (name, reason) => {
    const out = scratchDir('derive-bad');
    const result = await cli('derive', malformed(name), '--out', out);
    expect(result.code).toBe(1);
    expect(result.err).toContain(`${name}: ${reason}: `);
    expect(await readdir(out)).toEqual([]);
  });

  it('a folder run continues past bad files, writes the good ones and reports every file', async () => {
    const out = scratchDir('derive-folder');
    const result = await cli('derive', dicomData('malformed'), '--out', out, '--json');
    expect(result.code).toBe(1);
    const reports = JSON.parse(result.out) as { file: string; ok: boolean; reason?: string }[];
    expect(reports).toHaveLength(Object.keys(expected).length + validImages.length);
    for (const [name, reason] of Object.entries(expected)) expect(reports.find((r) => r.file === name)).toMatchObject({ ok: false, reason });
    for (const name of validImages) expect(reports.find((r) => r.file === name)).toMatchObject({ ok: true });
    const written = await readdir(out);
    expect(written.filter((f) => f.includes('.partial'))).toEqual([]);
    expect(written.filter((f) => f.endsWith('.json')).sort()).toEqual(validImages.map((n) => n.replace('.dcm', '.json')).sort());
  });

  it('hostile header text stays out of the summary (no patient name, no markup)', async () => {
    const out = scratchDir('derive-hostile');
    const result = await cli('derive', malformed('IO_bitewing01_hostile_text_tags.dcm'), '--out', out);
    expect(result.code).toBe(0);
    const summary = readFileSync(`${out}/IO_bitewing01_hostile_text_tags.json`, 'utf8');
    expect(summary).not.toMatch(/<script|<svg|onload|\.\.\//i);
    const image = await loadImage(readFileSync(malformed('IO_bitewing01_hostile_text_tags.dcm')));
    expect(image.kind === 'dicom' && image.metadata.patient.name).toMatch(/<script/i); // kept verbatim for matching, as text
  });
});
