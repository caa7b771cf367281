/**
 * Pins down: `render()` — modality LUT (rescale or LUT Sequence), VOI (file window, VOI LUT
 * Sequence, automatic), MONOCHROME1 inversion, signed data — produces the same 8-bit image as
 * dcmtk's own pipeline (`dcm2pnm`), and the automatic window rescues files whose window is
 * missing or useless.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadImage, type DicomSource } from '../../../main/imaging/image.js';
import { defaultWindow, render, type Window } from '../../../main/imaging/render.js';
import { dicomData, scratchDir } from '../../support/paths.js';
import { dcm2pnm, difference, gdcmRaw } from './reference.js';

let dir: string;
beforeAll(() => {
  dir = scratchDir('imaging-render');
});

const load = async (path: string) => (await loadImage(readFileSync(path))) as DicomSource;
const distinct = (data: Uint8Array) => new Set(data).size;
const indexOfExtreme = (values: ArrayLike<number>, pick: (a: number, b: number) => boolean) => {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (pick(values[i]!, values[best]!)) best = i;
  return best;
};

/** dcmtk and we both truncate; a value landing exactly on a step boundary may round the other way. */
function expectSameAsDcmtk(ours: Uint8Array, theirs: Uint8Array): void {
  const d = difference(ours, theirs);
  expect(d.max).toBeLessThanOrEqual(1);
  expect(d.mean).toBeLessThan(0.05);
}

describe('render() against dcm2pnm', () => {
  it.each([
    ['MONOCHROME1 with rescale slope 2 / intercept -100', 'synthetic/DX_ceph_mono1_rescale.dcm'],
    ['signed 16-bit', 'synthetic/IO_signed16.dcm'],
    ['12-bit panoramic', 'synthetic/PX_pano_12bit.dcm'],
    ['12-bit bitewing', 'dental/IO_bitewing01_12bit_ExplicitVRLE.dcm'],
    ['signed MR', 'compressed/pydicom_MR_small.dcm'],
  ])('%s with the file’s window', async (_what, name) => {
    const image = await load(dicomData(name));
    const ours = render(image.frame, image.pipeline);
    expect(ours.window?.source).toBe('file');
    expectSameAsDcmtk(ours.data, dcm2pnm(dicomData(name), dir, ['+Wi', '1']).data);
  });

  it.each([
    ['15-bit CR, JPEG 2000 lossy, MONOCHROME1', 'compressed/pydicomdata_RG1_J2KI.dcm'],
    ['10-bit CR, JPEG 2000 lossless, MONOCHROME1', 'compressed/pydicomdata_RG3_J2KR.dcm'],
  ])('%s (dcmtk reads GDCM’s uncompressed copy)', async (_what, name) => {
    const image = await load(dicomData(name));
    expectSameAsDcmtk(render(image.frame, image.pipeline).data, dcm2pnm(gdcmRaw(dicomData(name), dir), dir, ['+Wi', '1']).data);
  });

  it('applies a Modality LUT Sequence rather than rescale', async () => {
    const name = 'compressed/fodicom_CR-ModalitySequenceLUT.dcm';
    const image = await load(dicomData(name));
    expect('data' in image.pipeline!.modality).toBe(true);
    const window: Window = { center: 500, width: 600, source: 'explicit' };
    const reference = dcm2pnm(gdcmRaw(dicomData(name), dir), dir, ['+Ww', '500', '600']).data;
    expectSameAsDcmtk(render(image.frame, image.pipeline, window).data, reference);
  });

  it('reads a file without File Meta (ACR-NEMA style, implicit VR) and renders it like dcmtk', async () => {
    const name = 'compressed/fodicom_CR-MONO1-10-chest_nometa.dcm';
    const image = await load(dicomData(name));
    expect(image.parsed.hasFileMeta).toBe(false);
    const window: Window = { center: 500, width: 800, source: 'explicit' };
    expectSameAsDcmtk(render(image.frame, image.pipeline, window).data, dcm2pnm(dicomData(name), dir, ['+Ww', '500', '800']).data);
  });

  it('inverts MONOCHROME1: the largest stored value is the darkest pixel', async () => {
    const image = await load(dicomData('synthetic/DX_ceph_mono1_rescale.dcm'));
    const { data } = render(image.frame, image.pipeline);
    const brightest = indexOfExtreme(image.frame.samples, (a, b) => a > b);
    const darkest = indexOfExtreme(image.frame.samples, (a, b) => a < b);
    expect(data[brightest]!).toBeLessThan(data[darkest]!);
  });

  it('keeps negative stored values negative (signed 16-bit)', async () => {
    const image = await load(dicomData('synthetic/IO_signed16.dcm'));
    expect(image.metadata.signed).toBe(true);
    const samples = image.frame.samples;
    expect(samples[indexOfExtreme(samples, (a, b) => a < b)]!).toBeLessThan(0);
  });
});

describe('VOI LUT Sequence', () => {
  it('renders through the VOI LUT exactly as dcmtk does (file generated with dump2dcm)', async () => {
    const size = 64;
    const pixels = new Uint16Array(size * size).map((_, i) => (i * 4095) / (size * size - 1));
    const lut = new Uint16Array(4096).map((_, i) => Math.round(Math.sqrt(i / 4095) * 4095)); // a gamma curve, not a window
    writeFileSync(join(dir, 'pixels.raw'), pixels);
    writeFileSync(join(dir, 'lut.raw'), lut);
    const dump = [
      '(0002,0010) UI =LittleEndianExplicit',
      '(0008,0016) UI =SecondaryCaptureImageStorage',
      '(0008,0018) UI [1.2.826.0.1.3680043.10.1371.99.1]',
      '(0008,0060) CS [OT]',
      '(0028,0002) US 1',
      '(0028,0004) CS [MONOCHROME2]',
      `(0028,0010) US ${size}`,
      `(0028,0011) US ${size}`,
      '(0028,0100) US 16',
      '(0028,0101) US 12',
      '(0028,0102) US 11',
      '(0028,0103) US 0',
      '(0028,3010) SQ (Sequence with undefined length #=1)',
      '  (fffe,e000) na (Item with undefined length #=2)',
      '    (0028,3002) US 4096\\0\\12',
      `    (0028,3006) OW =${join(dir, 'lut.raw')}`,
      '  (fffe,e00d) na (ItemDelimitationItem)',
      '(fffe,e0dd) na (SequenceDelimitationItem)',
      `(7fe0,0010) OW =${join(dir, 'pixels.raw')}`,
    ].join('\n');
    writeFileSync(join(dir, 'voilut.dump'), dump);
    const file = join(dir, 'voilut.dcm');
    execFileSync('dump2dcm', [join(dir, 'voilut.dump'), file], { stdio: 'ignore' });
    const image = await load(file);
    expect(image.pipeline?.voiLut?.data.length).toBe(4096);
    const ours = render(image.frame, image.pipeline);
    expect(ours.window?.source).toBe('voiLut');
    expectSameAsDcmtk(ours.data, dcm2pnm(file, dir, ['+Wl', '1']).data);
    // Not a linear ramp: the middle grey of the input comes out brighter than half-way.
    expect(ours.data[(size * size) / 2]!).toBeGreaterThan(170);
  });
});

describe('automatic window', () => {
  it('shows the private-window panoramic (narrow band in a 16-bit range, extreme borders) instead of a grey blank', async () => {
    const file = dicomData('synthetic/PX_pano_private_window_16bit.dcm');
    const image = await load(file);
    expect(image.pipeline?.fileWindows).toEqual([]);
    // The hazard is real: dcmtk's min-max window shows almost nothing.
    const naive = dcm2pnm(file, dir, ['+Wm']).data;
    const ours = render(image.frame, image.pipeline);
    expect(ours.window?.source).toBe('auto');
    expect(ours.window!.center).toBeGreaterThan(30000);
    expect(ours.window!.center).toBeLessThan(31000);
    expect(ours.window!.width).toBeLessThanOrEqual(1100);
    expect(distinct(naive)).toBeLessThan(12);
    expect(distinct(ours.data)).toBeGreaterThan(150);
  });

  it('replaces a declared window that leaves the picture blank', async () => {
    const image = await load(dicomData('synthetic/PX_pano_12bit.dcm'));
    const pipeline = { ...image.pipeline!, fileWindows: [{ center: 60000, width: 10 }] };
    const window = defaultWindow(image.frame, pipeline);
    expect(window.source).toBe('auto');
    expect(distinct(render(image.frame, pipeline, window).data)).toBeGreaterThan(150);
  });

  it('keeps a plausible declared window', async () => {
    const image = await load(dicomData('synthetic/PX_pano_12bit.dcm'));
    expect(defaultWindow(image.frame, image.pipeline!)).toEqual({ center: 1800, width: 3200, source: 'file' });
  });
});

describe('colour', () => {
  it('returns RGB untouched (no VOI on colour)', async () => {
    const image = await loadImage(readFileSync(dicomData('compressed/pydicomdata_US1_J2KR.dcm')));
    const out = render(image.frame, image.pipeline);
    expect(out.channels).toBe(3);
    expect(Array.from(out.data.subarray(0, 300))).toEqual(Array.from(image.frame.samples.subarray(0, 300)));
  });
});
