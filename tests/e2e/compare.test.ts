// Pins down comparing radiographs on the real app: 'compare with previous' beside the viewer
// opens the patient's latest earlier image of the same modality with the current one; the
// compare page shows both in Cornerstone viewports whose zoom and window follow each other
// (read from the cameras Cornerstone reports) until unlinked; the before/after view shows both
// images split by a divider the keyboard moves; each image shown is in the audit log.
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../main/cli/index.js';
import { openDatabase, type Database } from '../../main/db/database.js';
import { launchChromium, screenshotPath, type Chromium } from '../support/chromium.js';
import { dicomData, scratchDir } from '../support/paths.js';
import { startServe, type ServeProcess } from '../support/serve.js';

const dataDir = scratchDir('compare');
let serve: ServeProcess;
const browsers: Chromium[] = [];
let db: Database;
let patientId: string;
const ids: Record<string, string> = {};

async function cli(...args: string[]) {
  vi.spyOn(console, 'log').mockImplementation(() => undefined);
  try {
    expect(await main(['node', 'cusp', ...args, '--data', dataDir])).toBe(0);
  } finally {
    vi.restoreAllMocks();
  }
}

async function importImage(name: string, file: string): Promise<void> {
  const known = new Set(Object.values(ids));
  await cli('import', dicomData(...file.split('/')), '--patient', patientId);
  const added = (await db.knex('images').where({ patient_id: patientId }).select('id')).map((r) => r.id as string).filter((id) => !known.has(id));
  expect(added).toHaveLength(1);
  ids[name] = added[0]!;
}

async function signedInPage(username: string): Promise<Page> {
  const browser = await launchChromium();
  browsers.push(browser);
  const page = await browser.context.newPage();
  await page.setViewportSize({ width: 1400, height: 1000 });
  await page.goto(serve.url);
  const result = await page.evaluate(async (name) => {
    const response = await fetch('/rpc', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ method: 'auth.signIn', input: { username: name, password: 'demo-cusp-2026' } }),
    });
    return response.json();
  }, username);
  expect(result).toMatchObject({ ok: true });
  return page;
}

const scales = (page: Page) =>
  page.locator('.compare-viewport').evaluateAll((els) => els.map((el) => Number((el as HTMLElement).dataset.parallelScale)));
const vois = (page: Page) => page.locator('.compare-viewport').evaluateAll((els) => els.map((el) => (el as HTMLElement).dataset.voi ?? ''));

/** Spread of grey levels drawn on a viewport's canvas (a blank or uniform field has none). */
const canvasSpread = (page: Page, index: number) =>
  page.evaluate((i) => {
    const canvas = document.querySelectorAll<HTMLCanvasElement>('.compare-viewport canvas')[i]!;
    const copy = document.createElement('canvas');
    copy.width = canvas.width;
    copy.height = canvas.height;
    const context = copy.getContext('2d')!;
    context.drawImage(canvas, 0, 0);
    const { data } = context.getImageData(0, 0, copy.width, copy.height);
    const levels = new Set<number>();
    let min = 255;
    let max = 0;
    for (let p = 0; p < data.length; p += 4 * 89) {
      levels.add(data[p]!);
      min = Math.min(min, data[p]!);
      max = Math.max(max, data[p]!);
    }
    return { spread: max - min, levels: levels.size };
  }, index);

beforeAll(async () => {
  await cli('demo');
  db = await openDatabase({ client: 'sqlite', filename: `${dataDir}/cusp.sqlite` });
  patientId = (await db.knex('patients').orderBy('chart_number').first('id')).id;
  // Two intra-oral films of 2024-05-14, a panoramic and an intra-oral film of 2026-03-15 (dates from the files).
  await importImage('first', 'dental/IO_bitewing01_12bit_ExplicitVRLE.dcm');
  await importImage('second', 'dental/IO_bitewing01_8bit_ExplicitVRLE.dcm');
  await importImage('pano', 'synthetic/PX_pano_12bit.dcm');
  await importImage('third', 'synthetic/IO_signed16.dcm');
  serve = await startServe({ dataDir });
});

afterAll(async () => {
  for (const browser of browsers) await browser.close();
  await serve?.stop();
  await db?.close();
});

describe('compare', () => {
  it('"compare with previous" opens the latest earlier image of the same modality beside the current one', async () => {
    const rows = await db.knex('images').where({ patient_id: patientId }).select('id', 'modality', 'acquired_at');
    const current = rows.find((r) => r.id === ids.third)!;
    // Expected independently of main's query: same modality, acquired before, the latest of those.
    const expected = rows
      .filter((r) => r.modality === current.modality && r.id !== current.id && r.acquired_at < current.acquired_at)
      .sort((a, b) => String(b.acquired_at).localeCompare(String(a.acquired_at)) || String(a.id).localeCompare(String(b.id)))[0]!;
    expect([ids.first, ids.second]).toContain(expected.id);
    // The panoramic is closer in time but another modality.
    const pano = rows.find((r) => r.id === ids.pano)!;
    expect(pano.acquired_at > expected.acquired_at).toBe(true);

    const page = await signedInPage('dr.lavoie');
    await page.goto(`${serve.origin}/#/patients/${patientId}/images/${ids.third}`);
    await page.locator('.compare-previous button').click();
    await expect.poll(() => page.evaluate(() => window.location.hash), { timeout: 15_000 }).toBe(`#/patients/${patientId}/compare?images=${expected.id},${ids.third}`);
    await expect.poll(() => page.locator('.compare-viewports').getAttribute('data-state'), { timeout: 30_000 }).toBe('ready');
    expect(await page.locator('.compare-cell').evaluateAll((cells) => cells.map((c) => (c as HTMLElement).dataset.imageId))).toEqual([expected.id, ids.third]);

    // The oldest films (taken together) have nothing earlier to compare with.
    await page.goto(`${serve.origin}/#/patients/${patientId}/images/${ids.first}`);
    await page.locator('.compare-previous button').click();
    await page.locator('.compare-previous [role="status"]').waitFor();
    expect(await page.evaluate(() => window.location.hash)).toBe(`#/patients/${patientId}/images/${ids.first}`);
  });

  it('keeps zoom and window in step across viewports until unlinked, and shows both images before/after', async () => {
    const page = await signedInPage('dr.lavoie');
    await page.goto(`${serve.origin}/#/patients/${patientId}/compare?images=${ids.first},${ids.second}`);
    const box = page.locator('.compare-viewports');
    await expect.poll(() => box.getAttribute('data-state'), { timeout: 30_000 }).toBe('ready');
    expect(await page.locator('.compare-caption').allInnerTexts()).toEqual([expect.stringMatching(/IO$/), expect.stringMatching(/IO$/)]);
    for (const i of [0, 1]) expect((await canvasSpread(page, i)).spread).toBeGreaterThan(100);
    const [start0, start1] = await scales(page);
    expect(start0).toBeGreaterThan(0);
    expect(start1).toBeCloseTo(start0!, 3);

    // Zoom the first viewport with the wheel: the second follows.
    const first = page.locator('.compare-viewport').nth(0);
    const rect = (await first.boundingBox())!;
    await page.mouse.move(rect.x + rect.width / 2, rect.y + rect.height / 2);
    for (let i = 0; i < 3; i += 1) await page.mouse.wheel(0, -120);
    await expect.poll(async () => (await scales(page))[0]).not.toBeCloseTo(start0!, 3);
    await expect.poll(async () => { const [a, b] = await scales(page); return Math.abs(a! - b!); }).toBeLessThan(1e-6);
    const zoomed = (await scales(page))[1]!;
    expect(zoomed).not.toBeCloseTo(start1!, 3);

    // Window/level by dragging on the second viewport: the first follows.
    const second = page.locator('.compare-viewport').nth(1);
    const r2 = (await second.boundingBox())!;
    const voiBefore = await vois(page);
    await page.mouse.move(r2.x + r2.width / 2, r2.y + r2.height / 2);
    await page.mouse.down();
    await page.mouse.move(r2.x + r2.width / 2 + 60, r2.y + r2.height / 2 + 40, { steps: 6 });
    await page.mouse.up();
    await expect.poll(async () => (await vois(page))[1]).not.toBe(voiBefore[1]);
    await expect.poll(async () => { const [a, b] = await vois(page); return a === b; }).toBe(true);
    await page.screenshot({ path: screenshotPath('compare-side-by-side') });

    // Unlinked: zooming the first no longer moves the second.
    await page.locator('.compare-toolbar input[name="linked"]').uncheck();
    await expect.poll(() => box.getAttribute('data-linked')).toBe('false');
    const [before0, before1] = await scales(page);
    await page.mouse.move(rect.x + rect.width / 2, rect.y + rect.height / 2);
    for (let i = 0; i < 3; i += 1) await page.mouse.wheel(0, -120);
    await expect.poll(async () => (await scales(page))[0]).not.toBeCloseTo(before0!, 3);
    await page.waitForTimeout(300);
    expect((await scales(page))[1]).toBeCloseTo(before1!, 6);

    // Before/after: both images in one box, the second clipped at the divider; the keyboard moves it.
    await page.locator('.compare-toolbar input[value="slider"]').check();
    await expect.poll(() => box.getAttribute('class')).toContain('compare-slider');
    await expect.poll(() => box.getAttribute('data-state'), { timeout: 30_000 }).toBe('ready');
    const cells = page.locator('.compare-cell');
    expect(await cells.count()).toBe(2);
    const [b0, b1] = [(await cells.nth(0).boundingBox())!, (await cells.nth(1).boundingBox())!];
    expect(b1).toEqual(b0);
    for (const i of [0, 1]) expect((await canvasSpread(page, i)).spread).toBeGreaterThan(100);
    const handle = page.getByRole('slider');
    expect(await handle.getAttribute('aria-valuenow')).toBe('50');
    expect(await cells.nth(1).evaluate((el) => (el as HTMLElement).style.clipPath)).toBe('inset(0px 0px 0px 50%)');
    await handle.focus();
    for (let i = 0; i < 5; i += 1) await page.keyboard.press('ArrowLeft');
    expect(await handle.getAttribute('aria-valuenow')).toBe('40');
    expect(await cells.nth(1).evaluate((el) => (el as HTMLElement).style.clipPath)).toBe('inset(0px 0px 0px 40%)');
    // Drag the divider with the mouse too.
    const h = (await handle.boundingBox())!;
    await page.mouse.move(h.x + h.width / 2, h.y + h.height / 2);
    await page.mouse.down();
    await page.mouse.move(b0.x + b0.width * 0.7, h.y + h.height / 2, { steps: 5 });
    await page.mouse.up();
    await expect.poll(async () => Number(await handle.getAttribute('aria-valuenow'))).toBeGreaterThan(65);
    await page.screenshot({ path: screenshotPath('compare-before-after') });

    // Each image shown was fetched through /img and audited.
    for (const id of [ids.first, ids.second]) {
      const views = await db.knex('audit_log').where({ action: 'image.view', image_id: id }).count<{ n: number }[]>({ n: '*' });
      expect(Number(views[0]!.n)).toBeGreaterThan(0);
    }
  });

  it('refuses a compare link with one image or another patient’s image', async () => {
    const page = await signedInPage('dr.lavoie');
    await page.goto(`${serve.origin}/#/patients/${patientId}/compare?images=${ids.first}`);
    await page.locator('.compare-page [role="alert"]').waitFor();
    expect(await page.locator('.compare-viewports').count()).toBe(0);
  });
});

describe('CBCT in three planes', () => {
  it('reconstructs an imported CT series as axial, coronal and sagittal views from the lossless masters', async () => {
    await cli('import', dicomData('synthetic', 'CBCT_series'), '--patient', patientId);
    const slices = await db.knex('images').where({ patient_id: patientId, modality: 'CT' }).select('id', 'series_id');
    expect(slices).toHaveLength(24);
    expect(new Set(slices.map((s) => s.series_id)).size).toBe(1);

    const page = await signedInPage('dr.lavoie');
    await page.goto(`${serve.origin}/#/patients/${patientId}/images/${slices[0]!.id}`);
    await page.locator(`a[href="#/patients/${patientId}/mpr?series=${slices[0]!.series_id}"]`).click();
    const box = page.locator('.mpr-viewports');
    await expect.poll(() => box.getAttribute('data-state'), { timeout: 60_000 }).toBe('ready');
    const slicesOf = (plane: string) => page.locator(`.compare-viewport[data-plane="${plane}"]`).getAttribute('data-slices');
    // 24 axial slices of 192 × 192 pixels: 24 positions along the axial normal, 192 along the others.
    await expect.poll(() => slicesOf('axial'), { timeout: 30_000 }).toBe('24');
    expect(await slicesOf('coronal')).toBe('192');
    expect(await slicesOf('sagittal')).toBe('192');
    await page.waitForTimeout(500);
    for (const i of [0, 1, 2]) expect((await canvasSpread(page, i)).spread).toBeGreaterThan(30);

    // The wheel moves through the axial slices.
    const axial = page.locator('.compare-viewport[data-plane="axial"]');
    const before = await axial.getAttribute('data-slice');
    const r = (await axial.boundingBox())!;
    await page.mouse.move(r.x + r.width / 2, r.y + r.height / 2);
    for (let i = 0; i < 4; i += 1) await page.mouse.wheel(0, 120);
    await expect.poll(() => axial.getAttribute('data-slice')).not.toBe(before);
    await page.screenshot({ path: screenshotPath('cbct-mpr') });
  });
});
