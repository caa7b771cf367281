// Pins down the Cornerstone3D viewer in Debian's headless Chromium, against ground truth computed
// here from the source files (never against stored screenshots):
// - what is on screen is the image with the expected window: the rendered pixels match the source
//   resampled to the displayed rectangle and passed through the viewport's window, for an 8-bit
//   derivative and for 12-bit DICOM masters (MONOCHROME1 with rescale included);
// - window/level, zoom and flip change the rendered pixels exactly as predicted;
// - lengths between the synthetic phantoms' fiducials read truth.json's mm to 0.1 mm (PixelSpacing,
//   not ImagerPixelSpacing, on the ceph); an uncalibrated image reads px; a manual calibration
//   changes it to the calibrated mm; choosing a measuring tool on a lossy view loads the master.
// The renderer is built into a scratch folder and served by the real HTTP transport with the
// folder-backed /img/ route (main/server/images.ts).
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import dicomParser from 'dicom-parser';
import type { Page } from 'playwright-core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type {} from '../../renderer/viewer/harness.js';
import type { ViewerImage } from '../../renderer/viewer/Viewer.js';
import { EventBus } from '../../main/app/events.js';
import { silentLogger } from '../../main/app/log.js';
import { startHttpServer, type HttpServer } from '../../main/server/http.js';
import { createImageRoute, folderImageSource } from '../../main/server/images.js';
import { launchChromium, screenshotPath, type Chromium } from '../support/chromium.js';
import { dentalImages, dicomData, repoRoot, scratchDir } from '../support/paths.js';

interface Truth {
  spacing_mm: number;
  /** [row, column] of each fiducial's centre (checked below: they are where the bright markers are). */
  fiducials_px: [[number, number], [number, number]];
  fiducial_distance_mm: number;
  window: [number, number];
  rescale?: [number, number];
}
const truth = JSON.parse(readFileSync(dicomData('synthetic', 'truth.json'), 'utf8')) as Record<string, Truth>;

/** A grey image in memory: one byte per pixel. */
interface Grey {
  width: number;
  height: number;
  data: Uint8Array;
}

const ids = {
  bitewing: '0190c2a4-0000-7000-8000-000000000001',
  ceph: '0190c2a4-0000-7000-8000-000000000002',
  pano: '0190c2a4-0000-7000-8000-000000000003',
  cephDicom: '0190c2a4-0000-7000-8000-000000000004',
};

let server: HttpServer;
let browser: Chromium;
let page: Page;
const pageErrors: string[] = [];
const sources: Record<string, Grey> = {};
const images: Record<keyof typeof ids, ViewerImage> = {} as Record<keyof typeof ids, ViewerImage>;

const baseRecord = { calibrationMmPerPx: null, window: null, lossy: false, thumb200: null } as const;

/** A DICOM master's stored values → modality LUT → the declared window → 8 bits, inverted for MONOCHROME1. */
function renderDicom(file: string): Grey {
  const bytes = readFileSync(file);
  const ds = dicomParser.parseDicom(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  const rows = ds.uint16('x00280010')!;
  const columns = ds.uint16('x00280011')!;
  const pixels = ds.elements.x7fe00010!;
  const stored = new Uint16Array(bytes.buffer.slice(bytes.byteOffset + pixels.dataOffset, bytes.byteOffset + pixels.dataOffset + rows * columns * 2));
  const slope = Number(ds.string('x00281053') ?? 1);
  const intercept = Number(ds.string('x00281052') ?? 0);
  const center = Number(ds.string('x00281050'));
  const width = Number(ds.string('x00281051'));
  const monochrome1 = ds.string('x00280004') === 'MONOCHROME1';
  const data = new Uint8Array(rows * columns);
  for (let i = 0; i < data.length; i++) {
    const value = stored[i]! * slope + intercept;
    let out = Math.min(255, Math.max(0, ((value - (center - width / 2)) / width) * 255));
    if (monochrome1) out = 255 - out;
    data[i] = Math.round(out);
  }
  return { width: columns, height: rows, data };
}

async function greyOf(input: string | Buffer): Promise<Grey> {
  const { data, info } = await sharp(input).greyscale().raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, data: new Uint8Array(data) };
}

const sharpOf = (grey: Grey) => sharp(Buffer.from(grey.data), { raw: { width: grey.width, height: grey.height, channels: 1 } });

/** The derivatives main/imaging makes: view (full size), preview (long side 1024), thumb200 (JPEG). */
async function writeDerivatives(folder: string, grey: Grey): Promise<void> {
  mkdirSync(folder, { recursive: true });
  writeFileSync(join(folder, 'view'), await sharpOf(grey).jpeg({ quality: 90, progressive: true }).toBuffer());
  writeFileSync(join(folder, 'preview'), await sharpOf(grey).resize(1024, 1024, { fit: 'inside' }).jpeg({ quality: 85, progressive: true }).toBuffer());
  writeFileSync(join(folder, 'thumb200'), await sharpOf(grey).resize(200, 200, { fit: 'inside' }).jpeg({ quality: 80 }).toBuffer());
}

beforeAll(async () => {
  const root = scratchDir('viewer-e2e');
  const rendererDir = join(root, 'renderer');
  execFileSync(join(repoRoot, 'node_modules', '.bin', 'vite'), ['build', '--outDir', rendererDir, '--emptyOutDir', '--logLevel', 'error'], { cwd: repoRoot, stdio: 'pipe' });

  const store = join(root, 'img');
  // A real bitewing (8-bit PNG) with no header: no spacing at all.
  sources.bitewing = await greyOf(dicomData('dental', 'IO_bitewing01_source.png'));
  await writeDerivatives(join(store, ids.bitewing), sources.bitewing);
  // A real lateral ceph (JPEG, 2272 × 1818): asymmetric, for flips; uncalibrated.
  sources.ceph = await greyOf(dentalImages('ceph_lateral_alexcorvi_sample.jpg'));
  await writeDerivatives(join(store, ids.ceph), sources.ceph);
  // The synthetic pano and ceph: derivatives rendered here from the DICOM, and the DICOM as master.
  for (const [key, file] of [
    ['pano', 'PX_pano_12bit.dcm'],
    ['cephDicom', 'DX_ceph_mono1_rescale.dcm'],
  ] as const) {
    sources[key] = renderDicom(dicomData('synthetic', file));
    await writeDerivatives(join(store, ids[key]), sources[key]);
    copyFileSync(dicomData('synthetic', file), join(store, ids[key], 'master'));
  }
  const thumb = async (key: keyof typeof ids) => `data:image/jpeg;base64,${readFileSync(join(store, ids[key], 'thumb200')).toString('base64')}`;

  images.bitewing = {
    ...baseRecord,
    id: ids.bitewing,
    modality: 'IO',
    rows: sources.bitewing.height,
    columns: sources.bitewing.width,
    pixelSpacing: null,
    lossy: true,
    thumb200: await thumb('bitewing'),
    variants: ['thumb200', 'preview', 'view'],
  };
  images.ceph = { ...baseRecord, id: ids.ceph, modality: 'DX', rows: 1818, columns: 2272, pixelSpacing: null, lossy: true, variants: ['thumb200', 'preview', 'view'] };
  images.pano = {
    ...baseRecord,
    id: ids.pano,
    modality: 'PX',
    rows: 1400,
    columns: 2800,
    pixelSpacing: { row: 0.1, column: 0.1, source: 'imager_pixel_spacing' },
    window: { center: 1800, width: 3200 },
    variants: ['thumb200', 'preview', 'view', 'master'],
  };
  images.cephDicom = {
    ...baseRecord,
    id: ids.cephDicom,
    modality: 'DX',
    rows: 1200,
    columns: 1000,
    pixelSpacing: { row: 0.11, column: 0.11, source: 'pixel_spacing' },
    window: { center: 1900, width: 3600 },
    variants: ['thumb200', 'preview', 'view', 'master'],
  };

  server = await startHttpServer({
    dispatch: async () => ({ ok: false, error: { code: 'UNAVAILABLE', message: 'no contract in this test' } }),
    events: new EventBus(),
    log: silentLogger,
    workstation: 'viewer-test',
    staticDir: rendererDir,
    routes: { '/img/': createImageRoute({ source: folderImageSource(store) }) },
    resolveUser: () => ({ id: 'dentist-1', role: 'dentist', practiceId: 'practice-1' }),
  });
  browser = await launchChromium({ viewport: { width: 1400, height: 1300 } });
  page = await browser.context.newPage();
  page.on('pageerror', (error) => pageErrors.push(error.message));
  page.on('console', (message) => {
    if (message.type() === 'error') pageErrors.push(message.text());
  });
  await page.goto(`${server.origin}/viewer/harness.html?token=${server.token}`);
  await page.waitForFunction(() => 'cuspViewerHarness' in window);
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

async function open(key: keyof typeof ids, language = 'en', until = 'view'): Promise<void> {
  await page.evaluate(([image, lang]) => window.cuspViewerHarness.open(image as ViewerImage, lang as string), [images[key], language] as const);
  await expect.poll(() => page.locator('.cusp-viewer').getAttribute('data-variant'), { timeout: 30_000 }).toBe(until);
  await settle();
}

/** Two animation frames: Cornerstone renders on the next frame after a change. */
async function settle(): Promise<void> {
  await page.evaluate(() => new Promise<void>((resolve) => requestAnimationFrame(() => requestAnimationFrame(() => resolve()))));
  await page.waitForTimeout(150);
}

/** Where the image's edges are on the page (left/right swap when flipped). */
async function imageEdges(rows: number, columns: number) {
  return page.evaluate(
    ([r, c]) => {
      const [x0, y0] = window.cuspViewerHarness.pixelToPage(0, 0);
      const [x1, y1] = window.cuspViewerHarness.pixelToPage(c - 1, r - 1);
      const sx = (x1 - x0) / (c - 1);
      const sy = (y1 - y0) / (r - 1);
      return { left: x0 - sx / 2, right: x1 + sx / 2, top: y0 - sy / 2, bottom: y1 + sy / 2, scale: Math.abs(sx) };
    },
    [rows, columns] as const,
  );
}

/** The bounding box of the displayed image, whatever its rotation. */
async function rotatedEdges(rows: number, columns: number) {
  return page.evaluate(
    ([r, c]) => {
      const corners = [
        [0, 0],
        [c - 1, 0],
        [0, r - 1],
        [c - 1, r - 1],
      ].map(([x, y]) => window.cuspViewerHarness.pixelToPage(x!, y!));
      const [ax, ay] = window.cuspViewerHarness.pixelToPage(0, 0);
      const [bx, by] = window.cuspViewerHarness.pixelToPage(1, 0);
      const half = Math.hypot(bx - ax, by - ay) / 2;
      const xs = corners.map((p) => p[0]);
      const ys = corners.map((p) => p[1]);
      return { left: Math.min(...xs) - half, right: Math.max(...xs) + half, top: Math.min(...ys) - half, bottom: Math.max(...ys) + half, scale: half * 2 };
    },
    [rows, columns] as const,
  );
}

interface Comparison {
  correlation: number;
  meanAbsDiff: number;
  pixels: number;
  renderedMean: number;
}

/**
 * The viewport as a person sees it, against the source resampled to where the viewer says the
 * image is, through `lut` (the window): correlation and mean absolute difference over the visible part.
 */
async function compareWithSource(source: Grey, lut: (v: number) => number = (v) => v, options: { flop?: boolean; rotate?: 90 } = {}): Promise<Comparison> {
  const box = (await page.locator('.viewer-viewport').boundingBox())!;
  const shot = await greyOf(await page.locator('.viewer-viewport').screenshot());
  const edges = options.rotate ? await rotatedEdges(source.height, source.width) : await imageEdges(source.height, source.width);
  const flipped = edges.left > edges.right;
  const width = Math.round(Math.abs(edges.right - edges.left));
  const height = Math.round(Math.abs(edges.bottom - edges.top));
  let expected = options.rotate ? sharp(await sharpOf(source).rotate(options.rotate).png().toBuffer()).resize(width, height, { fit: 'fill' }) : sharpOf(source).resize(width, height, { fit: 'fill' });
  if (flipped !== !!options.flop) expected = expected.flop();
  const predicted = await greyOf(await expected.png().toBuffer());
  const ox = Math.min(edges.left, edges.right) - box.x;
  const oy = Math.min(edges.top, edges.bottom) - box.y;
  const margin = 4;
  let n = 0;
  let sumA = 0;
  let sumB = 0;
  let sumAA = 0;
  let sumBB = 0;
  let sumAB = 0;
  let sumAbs = 0;
  for (let y = margin; y < shot.height - margin; y++) {
    const py = Math.round(y - oy);
    if (py < margin || py >= predicted.height - margin) continue;
    for (let x = margin; x < shot.width - margin; x++) {
      const px = Math.round(x - ox);
      if (px < margin || px >= predicted.width - margin) continue;
      const a = shot.data[y * shot.width + x]!;
      const b = Math.min(255, Math.max(0, lut(predicted.data[py * predicted.width + px]!)));
      n++;
      sumA += a;
      sumB += b;
      sumAA += a * a;
      sumBB += b * b;
      sumAB += a * b;
      sumAbs += Math.abs(a - b);
    }
  }
  const cov = sumAB / n - (sumA / n) * (sumB / n);
  const varA = sumAA / n - (sumA / n) ** 2;
  const varB = sumBB / n - (sumB / n) ** 2;
  return { correlation: cov / Math.sqrt(varA * varB), meanAbsDiff: sumAbs / n, pixels: n, renderedMean: sumA / n };
}

/** The 8-bit linear VOI Cornerstone applies for a [lower, upper] range. */
const windowLut = (range: { lower: number; upper: number }) => (v: number) => ((v - range.lower) / (range.upper - range.lower)) * 255;

async function voi(): Promise<{ lower: number; upper: number }> {
  return (await page.evaluate(() => window.cuspViewerHarness.voiRange()))!;
}

/** Centres full-resolution pixel (column, row) in the viewport at `scale` screen px per image px. */
async function focus(column: number, row: number, scale: number): Promise<void> {
  await page.evaluate(([c, r, s]) => window.cuspViewerHarness.focus(c, r, s), [column, row, scale] as const);
  await settle();
}

async function drawLine(from: readonly [number, number], to: readonly [number, number]): Promise<void> {
  const [x0, y0] = await page.evaluate(([c, r]) => window.cuspViewerHarness.pixelToPage(c, r), from);
  const [x1, y1] = await page.evaluate(([c, r]) => window.cuspViewerHarness.pixelToPage(c, r), to);
  await page.mouse.move(x0, y0);
  await page.mouse.down();
  await page.mouse.move((x0 + x1) / 2, (y0 + y1) / 2, { steps: 4 });
  await page.mouse.move(x1, y1, { steps: 4 });
  await page.mouse.up();
  await settle();
}

/** truth.json's [row, column] as the viewer's (column, row). */
const columnRow = ([row, column]: readonly [number, number]) => [column, row] as const;

/** The grey level on screen at full-resolution pixel (column, row). */
async function screenValueAt(column: number, row: number): Promise<number> {
  const box = (await page.locator('.viewer-viewport').boundingBox())!;
  const shot = await greyOf(await page.locator('.viewer-viewport').screenshot());
  const [x, y] = await page.evaluate(([c, r]) => window.cuspViewerHarness.pixelToPage(c, r), [column, row] as const);
  return shot.data[Math.round(y - box.y) * shot.width + Math.round(x - box.x)]!;
}

const measurementTexts = () => page.locator('.viewer-measurements output').allTextContents();

describe('the viewer in Chromium', () => {
  it('shows the bitewing progressively (thumbnail, preview, view) as acquired, marked lossy', async () => {
    await open('bitewing');
    const marks = await page.evaluate(() => window.cuspViewerHarness.performanceMarks());
    const shown = marks.filter((m) => m.startsWith('cusp:viewer:'));
    expect(shown).toEqual(['cusp:viewer:thumbnail-shown', 'cusp:viewer:preview-shown', 'cusp:viewer:view-shown']);
    expect(await page.locator('[data-lossy]').textContent()).toBe('Lossy — not for diagnosis');
    expect(await page.locator('.viewer-diagnostic').isDisabled()).toBe(true);

    const range = await voi();
    const comparison = await compareWithSource(sources.bitewing!, windowLut(range));
    expect(comparison.pixels).toBeGreaterThan(200_000);
    expect(comparison.correlation).toBeGreaterThan(0.97);
    expect(comparison.meanAbsDiff).toBeLessThan(6);
    await page.screenshot({ path: screenshotPath('viewer-bitewing-en') });
    expect(pageErrors).toEqual([]);
  });

  it('narrows the window with a preset and by dragging: rendered pixels follow the new window', async () => {
    const before = await compareWithSource(sources.bitewing!, windowLut(await voi()));
    await page.locator('.cusp-viewer').focus();
    await page.keyboard.press('2'); // IO preset 2: caries, the middle half of the window
    await settle();
    const caries = await voi();
    const base = { lower: caries.lower - (caries.upper - caries.lower) * 0.5, upper: caries.upper + (caries.upper - caries.lower) * 0.5 };
    expect(caries.upper - caries.lower).toBeCloseTo((base.upper - base.lower) / 2, 3);
    const narrowed = await compareWithSource(sources.bitewing!, windowLut(caries));
    expect(narrowed.correlation).toBeGreaterThan(0.97);
    expect(narrowed.meanAbsDiff).toBeLessThan(8);
    // The old window no longer explains the screen.
    expect((await compareWithSource(sources.bitewing!, windowLut(base))).meanAbsDiff).toBeGreaterThan(before.meanAbsDiff + 10);

    // Window/level drag (the default left-button tool): to the right widens, down raises the level.
    const box = (await page.locator('.viewer-viewport').boundingBox())!;
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width / 2 + 60, box.y + box.height / 2 + 40, { steps: 6 });
    await page.mouse.up();
    await settle();
    const dragged = await voi();
    expect(dragged).not.toEqual(caries);
    const afterDrag = await compareWithSource(sources.bitewing!, windowLut(dragged));
    expect(afterDrag.correlation).toBeGreaterThan(0.97);
    expect(afterDrag.meanAbsDiff).toBeLessThan(8);
    await page.screenshot({ path: screenshotPath('viewer-bitewing-window') });
  });

  it('zooms (right-button drag): the image grows about the same place and still matches the source', async () => {
    await page.keyboard.press('0');
    await settle();
    const fit = await imageEdges(sources.bitewing!.height, sources.bitewing!.width);
    const box = (await page.locator('.viewer-viewport').boundingBox())!;
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.down({ button: 'right' });
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2 + 120, { steps: 8 });
    await page.mouse.up({ button: 'right' });
    await settle();
    const zoomed = await imageEdges(sources.bitewing!.height, sources.bitewing!.width);
    expect(zoomed.scale / fit.scale).toBeGreaterThan(1.3);
    const comparison = await compareWithSource(sources.bitewing!, windowLut(await voi()));
    expect(comparison.correlation).toBeGreaterThan(0.95);
    // Only part of the image is visible now, filling the viewport.
    expect(comparison.pixels).toBeGreaterThan(box.width * box.height * 0.8);
    await page.screenshot({ path: screenshotPath('viewer-bitewing-zoom') });
  });

  it('flips the asymmetric ceph: the screen matches the mirrored source, not the original', async () => {
    await open('ceph');
    const lut = windowLut(await voi());
    const upright = await compareWithSource(sources.ceph!, lut);
    expect(upright.correlation).toBeGreaterThan(0.97);
    await page.locator('.cusp-viewer').focus();
    await page.keyboard.press('h');
    await settle();
    const edges = await imageEdges(sources.ceph!.height, sources.ceph!.width);
    expect(edges.left).toBeGreaterThan(edges.right);
    const mirrored = await compareWithSource(sources.ceph!, lut);
    expect(mirrored.correlation).toBeGreaterThan(0.97);
    // Compared with the unflipped source at the same place, the screen no longer matches.
    expect((await compareWithSource(sources.ceph!, lut, { flop: true })).correlation).toBeLessThan(0.75);
    await page.screenshot({ path: screenshotPath('viewer-ceph-flipped') });
    await page.keyboard.press('h');
    await page.keyboard.press('n'); // invert
    await settle();
    const inverted = await compareWithSource(sources.ceph!, (v) => 255 - lut(v));
    expect(inverted.correlation).toBeGreaterThan(0.97);
    expect(inverted.meanAbsDiff).toBeLessThan(8);
    await page.keyboard.press('n');
    await page.keyboard.press('r'); // 90° clockwise: the top-left pixel goes to the top right
    await settle();
    const [x00, y00] = await page.evaluate(() => window.cuspViewerHarness.pixelToPage(0, 0));
    const [xEnd, yEnd] = await page.evaluate(([r, c]) => window.cuspViewerHarness.pixelToPage(c - 1, r - 1), [sources.ceph!.height, sources.ceph!.width] as const);
    expect(x00).toBeGreaterThan(xEnd);
    expect(y00).toBeLessThan(yEnd);
    const rotated = await compareWithSource(sources.ceph!, lut, { rotate: 90 });
    expect(rotated.correlation).toBeGreaterThan(0.97);
    await page.screenshot({ path: screenshotPath('viewer-ceph-rotated') });
    await page.keyboard.press('0');
  });

  it('measures px on the uncalibrated ceph, then mm after a manual calibration', async () => {
    await open('ceph');
    await page.locator('[data-tool="length"]').click();
    expect(await page.locator('.viewer-calibration').getAttribute('data-calibration')).toBe('none');
    await focus(1000, 900, 1.2);
    await drawLine([1000, 700], [1000, 1100]);
    await expect.poll(measurementTexts).toEqual(['400.0\u00a0px']);
    const [cornerstone] = await page.evaluate(() => window.cuspViewerHarness.cornerstoneLengths());
    expect(cornerstone!.unit).toBe('px');
    expect(cornerstone!.length).toBeCloseTo(400, 0);

    // A 20 mm object drawn over 500 px: 0.04 mm per pixel.
    await page.locator('[data-tool="calibrate"]').click();
    await drawLine([800, 700], [1300, 700]);
    await expect.poll(() => page.locator('.viewer-calibrate').isVisible()).toBe(true);
    await page.locator('.viewer-calibrate input[name="knownMm"]').fill('20');
    await page.locator('.viewer-calibrate button[type="submit"]').click();
    await expect.poll(measurementTexts).toEqual(['16.0\u00a0mm']);
    const saved = await page.evaluate(() => window.cuspViewerHarness.savedCalibrations);
    expect(saved).toHaveLength(1);
    expect(saved[0]).toBeCloseTo(0.04, 4);
    expect(await page.locator('.viewer-calibration').getAttribute('data-calibration')).toBe('manual');
    await expect.poll(async () => (await page.evaluate(() => window.cuspViewerHarness.cornerstoneLengths()))[0]?.unit).toBe('mm');
    expect((await page.evaluate(() => window.cuspViewerHarness.cornerstoneLengths()))[0]!.length).toBeCloseTo(16, 1);
    await page.screenshot({ path: screenshotPath('viewer-ceph-manual-calibration') });
  });
});

describe('DICOM masters and calibrated lengths', () => {
  it('loads the ceph master before measuring, renders MONOCHROME1 with rescale and window, and reads 30.0 mm from PixelSpacing', async () => {
    await open('cephDicom', 'fr');
    expect(await page.locator('[data-lossy]').textContent()).toBe('Compressée avec perte — pas pour le diagnostic');
    await page.locator('[data-tool="length"]').click();
    await expect.poll(() => page.locator('.cusp-viewer').getAttribute('data-variant'), { timeout: 30_000 }).toBe('master');
    await settle();
    expect(await page.locator('[data-lossy]').count()).toBe(0);
    expect(await page.locator('.viewer-calibration').getAttribute('data-calibration')).toBe('pixel_spacing');

    const comparison = await compareWithSource(sources.cephDicom!);
    expect(comparison.correlation).toBeGreaterThan(0.98);
    expect(comparison.meanAbsDiff).toBeLessThan(6);

    const ceph = truth['DX_ceph_mono1_rescale.dcm']!;
    const [from, to] = ceph.fiducials_px.map(columnRow) as [readonly [number, number], readonly [number, number]];
    await focus((from[0] + to[0]) / 2, from[1], 3);
    // The markers are white on screen (stored 0 → −100 after rescale → white in MONOCHROME1).
    for (const [column, row] of [from, to]) {
      expect(sources.cephDicom!.data[row * sources.cephDicom!.width + column]).toBe(255);
      // A single pixel, drawn with linear interpolation: far brighter than the bone around it (~45).
      expect(await screenValueAt(column, row)).toBeGreaterThan(120);
    }
    await drawLine(from, to);
    await expect.poll(measurementTexts).toEqual(['30,0\u00a0mm']);
    const [cornerstone] = await page.evaluate(() => window.cuspViewerHarness.cornerstoneLengths());
    expect(cornerstone!.unit).toBe('mm');
    expect(Math.abs(cornerstone!.length - ceph.fiducial_distance_mm)).toBeLessThan(0.05);
    await page.screenshot({ path: screenshotPath('viewer-ceph-master-fr') });

    // An elliptical region with semi-axes of 100 and 50 pixels: π · 100 · 50 · 0.11² mm².
    await page.locator('[data-tool="ellipse"]').click();
    await focus(550, 625, 1.5);
    await drawLine([500, 600], [600, 650]);
    await expect.poll(async () => (await page.evaluate(() => window.cuspViewerHarness.cornerstoneStats('EllipticalROI')))[0]?.areaUnit).toBe('mm²');
    const [ellipse] = await page.evaluate(() => window.cuspViewerHarness.cornerstoneStats('EllipticalROI'));
    expect(Math.abs((ellipse!.area as number) - Math.PI * 100 * 50 * 0.11 ** 2)).toBeLessThan(1);
  });

  it('keeps zoom, pan and window when the pano master replaces the view, and reads ≈ 40.0 mm at the detector', async () => {
    await open('pano');
    const pano = truth['PX_pano_12bit.dcm']!;
    await page.locator('.cusp-viewer').focus();
    await page.keyboard.press('2'); // PX preset 2: bone, 30 %–95 % of the image's own window
    const [from, to] = pano.fiducials_px.map(columnRow) as [readonly [number, number], readonly [number, number]];
    const bone = (v: number) => ((v - 0.3 * 255) / (0.65 * 255)) * 255;
    expect((await compareWithSource(sources.pano!, bone)).correlation).toBeGreaterThan(0.97);
    await focus((from[0] + to[0]) / 2, from[1], 2.5);
    const before = await imageEdges(1400, 2800);
    await page.locator('.viewer-diagnostic').click();
    await expect.poll(() => page.locator('.cusp-viewer').getAttribute('data-variant'), { timeout: 30_000 }).toBe('master');
    await settle();
    const after = await imageEdges(1400, 2800);
    expect(Math.abs(after.left - before.left)).toBeLessThan(1);
    expect(Math.abs(after.top - before.top)).toBeLessThan(1);
    expect(after.scale).toBeCloseTo(before.scale, 3);

    // The same preset on the 12-bit master: 30 %–95 % of its declared window (center 1800, width 3200).
    const masterVoi = await voi();
    expect(masterVoi.lower).toBeCloseTo(200 + 0.3 * 3200, -1);
    expect(masterVoi.upper).toBeCloseTo(200 + 0.95 * 3200, -1);
    for (const [column, row] of [from, to]) expect(await screenValueAt(column, row)).toBeGreaterThan(200);
    await focus(1400, 700, 0.35);
    const comparison = await compareWithSource(sources.pano!, bone);
    expect(comparison.correlation).toBeGreaterThan(0.98);
    expect(comparison.meanAbsDiff).toBeLessThan(6);
    expect(await page.locator('.viewer-calibration').getAttribute('data-calibration')).toBe('detector');
    await focus((from[0] + to[0]) / 2, from[1], 2.5);

    await page.locator('[data-tool="length"]').click();
    await drawLine(from, to);
    await expect.poll(measurementTexts).toEqual(['≈ 40.0\u00a0mm']);
    const [cornerstone] = await page.evaluate(() => window.cuspViewerHarness.cornerstoneLengths());
    expect(cornerstone!.unit).toBe('mm');
    expect(Math.abs(cornerstone!.length - pano.fiducial_distance_mm)).toBeLessThan(0.05);
    const marks = await page.evaluate(() => window.cuspViewerHarness.performanceMarks());
    expect(marks).toContain('cusp:viewer:master-shown');
    await page.screenshot({ path: screenshotPath('viewer-pano-master') });

    // Undo takes the line away, redo brings it back.
    await page.keyboard.press('Control+z');
    await expect.poll(measurementTexts).toEqual([]);
    await page.keyboard.press('Control+y');
    await expect.poll(measurementTexts).toEqual(['≈ 40.0\u00a0mm']);
    expect(pageErrors).toEqual([]);
  });

  it('lists its keyboard shortcuts in a help panel, in French too', async () => {
    await open('bitewing', 'fr');
    await page.locator('.cusp-viewer').focus();
    await page.keyboard.press('?');
    const help = page.getByRole('dialog', { name: 'Raccourcis clavier' });
    await expect.poll(() => help.isVisible()).toBe(true);
    const text = await help.textContent();
    for (const entry of ['LLongueur', 'WFenêtrage', 'RPivoter de 90°', 'HMiroir horizontal', 'DQualité diagnostique', 'Ctrl+Z / Ctrl+YAnnuler / Rétablir']) expect(text).toContain(entry);
    await page.screenshot({ path: screenshotPath('viewer-help-fr') });
    await page.keyboard.press('Escape');
    await expect.poll(() => help.count()).toBe(0);

    // An arrow asks for its text in the viewer's own dialog (Electron has no window.prompt).
    await page.keyboard.press('t');
    await drawLine([600, 500], [700, 420]);
    const dialog = page.getByRole('dialog', { name: 'Texte de la flèche' });
    await expect.poll(() => dialog.isVisible()).toBe(true);
    await dialog.locator('input').fill('Carie distale 36 ?');
    await dialog.getByRole('button', { name: 'Enregistrer' }).click();
    await expect.poll(() => page.evaluate(() => window.cuspViewerHarness.arrowTexts())).toEqual(['Carie distale 36 ?']);
    await expect.poll(() => page.locator('.viewer-viewport svg text').allTextContents()).toContain('Carie distale 36 ?');
    await page.screenshot({ path: screenshotPath('viewer-arrow-fr') });
    expect(pageErrors).toEqual([]);
  });
});
