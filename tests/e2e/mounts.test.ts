// Pins down mounts on the real app: a dentist creates a full-mouth series for a patient whose
// real radiographs were imported by the real pipeline, fills slots by HTML5 drag and drop and by
// keyboard, moves and removes a film; everything is still in place after a reload (and in the
// database); a new exposure imported for the patient lands in the next empty slot; double-click
// opens the film in the viewer.
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../main/cli/index.js';
import { openDatabase, type Database } from '../../main/db/database.js';
import { launchChromium, screenshotPath, type Chromium } from '../support/chromium.js';
import { dicomData, scratchDir } from '../support/paths.js';
import { startServe, type ServeProcess } from '../support/serve.js';

const dataDir = scratchDir('mounts');
let serve: ServeProcess;
const browsers: Chromium[] = [];
let db: Database;
let patientId: string;
/** Image ids in import order. */
const images: string[] = [];

async function cli(...args: string[]) {
  vi.spyOn(console, 'log').mockImplementation(() => undefined);
  try {
    expect(await main(['node', 'cusp', ...args, '--data', dataDir])).toBe(0);
  } finally {
    vi.restoreAllMocks();
  }
}

async function importImage(file: string): Promise<string> {
  const before = new Set(images);
  await cli('import', dicomData(...file.split('/')), '--patient', patientId);
  const rows = await db.knex('images').where({ patient_id: patientId }).select('id', 'created_at').orderBy('created_at');
  const added = rows.map((r) => r.id as string).filter((id) => !before.has(id));
  expect(added).toHaveLength(1);
  images.push(added[0]!);
  return added[0]!;
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

const slot = (page: Page, n: number) => page.locator(`.mount-grid li[data-slot="${n}"]`);
const slotImages = async (page: Page) =>
  page.locator('.mount-grid li[data-slot]').evaluateAll((items) =>
    Object.fromEntries(items.filter((li) => (li as HTMLElement).dataset.imageId).map((li) => [(li as HTMLElement).dataset.slot, (li as HTMLElement).dataset.imageId])),
  );

beforeAll(async () => {
  await cli('demo');
  db = await openDatabase({ client: 'sqlite', filename: `${dataDir}/cusp.sqlite` });
  patientId = (await db.knex('patients').orderBy('chart_number').first('id')).id;
  for (const file of ['dental/IO_bitewing01_12bit_ExplicitVRLE.dcm', 'dental/IO_bitewing01_8bit_ExplicitVRLE.dcm', 'dental/IO_bitewing01_8bit_JPEGBaseline.dcm']) await importImage(file);
  serve = await startServe({ dataDir });
});

afterAll(async () => {
  for (const browser of browsers) await browser.close();
  await serve?.stop();
  await db?.close();
});

describe('mounts', () => {
  it('fills a full-mouth series by drag and drop and by keyboard, keeps it after a reload, and files a new exposure in the next empty slot', async () => {
    const page = await signedInPage('dr.lavoie');
    await page.goto(`${serve.origin}/#/patients/${patientId}`);
    await page.locator(`a[href="#/patients/${patientId}/mounts"]`).click();
    await page.locator('form.mounts-new').waitFor();
    await page.locator('form.mounts-new select[name="template"]').selectOption('fmx18');
    await page.locator('form.mounts-new button[type="submit"]').click();
    await page.locator('.mount-grid').waitFor();
    expect(await page.locator('.mount-grid li[data-slot]').count()).toBe(18);
    // Slots say which teeth they cover (FDI by default, Universal on request).
    expect(await slot(page, 1).locator('.mount-slot-face').getAttribute('aria-label')).toMatch(/18 17 16/);
    const strip = (id: string) => page.locator(`.mounts-strip-list li[data-image-id="${id}"] button`);
    await strip(images[0]!).waitFor();

    // HTML5 drag and drop from the strip into the right molar bitewing (slot 8).
    await strip(images[0]!).dragTo(slot(page, 8).locator('.mount-slot-face'));
    await expect.poll(() => slotImages(page)).toEqual({ 8: images[0] });
    // Keyboard: Enter on an image, then Enter on a slot.
    await strip(images[1]!).focus();
    await page.keyboard.press('Enter');
    await slot(page, 1).locator('.mount-slot-face').focus();
    await page.keyboard.press('Enter');
    await expect.poll(() => slotImages(page)).toEqual({ 1: images[1], 8: images[0] });
    // A third one by drag, then moved from slot 9 to slot 12 by dragging the film itself.
    await strip(images[2]!).dragTo(slot(page, 9).locator('.mount-slot-face'));
    await expect.poll(() => slotImages(page)).toEqual({ 1: images[1], 8: images[0], 9: images[2] });
    await slot(page, 9).locator('.mount-slot-face').dragTo(slot(page, 12).locator('.mount-slot-face'));
    await expect.poll(() => slotImages(page)).toEqual({ 1: images[1], 8: images[0], 12: images[2] });
    // Remove, then put back by keyboard pick from its slot.
    await slot(page, 12).locator('.mount-slot-actions button').click();
    await expect.poll(() => slotImages(page)).toEqual({ 1: images[1], 8: images[0] });
    await strip(images[2]!).dragTo(slot(page, 12).locator('.mount-slot-face'));
    await expect.poll(() => slotImages(page)).toEqual({ 1: images[1], 8: images[0], 12: images[2] });

    // Universal numbering on request.
    await page.locator('.mounts-numbering input').check();
    expect(await slot(page, 1).locator('.mount-slot-face').getAttribute('aria-label')).toMatch(/1 2 3/);
    await page.locator('.mounts-numbering input').uncheck();

    // Reload: restored from main.
    await page.reload();
    await page.locator('.mount-grid li[data-slot="1"][data-image-id]').first().waitFor();
    await expect.poll(() => slotImages(page)).toEqual({ 1: images[1], 8: images[0], 12: images[2] });
    const mount = await db.knex('mounts').where({ patient_id: patientId }).first();
    expect(mount.version).toBe(7);
    expect(await db.knex('mount_slots').where({ mount_id: mount.id }).orderBy('slot').select('slot', 'image_id')).toEqual([
      { slot: 1, image_id: images[1] },
      { slot: 8, image_id: images[0] },
      { slot: 12, image_id: images[2] },
    ]);
    await page.screenshot({ path: screenshotPath('mounts-fmx'), fullPage: true });

    // A new exposure for the patient (through the same import pipeline) fills slot 2, the first empty one.
    // The open screen shows it without a reload (main pushes image.new), and so does a reload.
    const exposure = await importImage('synthetic/IO_signed16.dcm');
    await expect.poll(() => slotImages(page), { timeout: 20_000 }).toEqual({ 1: images[1], 2: exposure, 8: images[0], 12: images[2] });
    await page.reload();
    await page.locator('.mount-grid li[data-slot="1"][data-image-id]').first().waitFor();
    await expect.poll(() => slotImages(page), { timeout: 15_000 }).toEqual({ 1: images[1], 2: exposure, 8: images[0], 12: images[2] });
    expect(await db.knex('mount_slots').where({ image_id: exposure }).count<{ n: number }[]>({ n: '*' })).toEqual([{ n: 1 }]);
    await page.screenshot({ path: screenshotPath('mounts-fmx-after-exposure'), fullPage: true });

    // Double-click opens the film in the viewer.
    await slot(page, 8).locator('.mount-slot-face').dblclick();
    await expect.poll(() => page.evaluate(() => window.location.hash)).toBe(`#/patients/${patientId}/images/${images[0]}`);
    await page.locator('.cusp-viewer').waitFor();
  });

  it('creates four bitewings, and shows the front desk the mount without editing', async () => {
    const page = await signedInPage('dr.lavoie');
    await page.goto(`${serve.origin}/#/patients/${patientId}/mounts`);
    await page.locator('form.mounts-new').waitFor();
    await page.locator('form.mounts-new select[name="template"]').selectOption('bw4');
    await page.locator('form.mounts-new button[type="submit"]').click();
    await expect.poll(() => page.locator('.mount-grid li[data-slot]').count()).toBe(4);
    expect(await db.knex('mounts').where({ patient_id: patientId }).count<{ n: number }[]>({ n: '*' })).toEqual([{ n: 2 }]);

    const desk = await signedInPage('accueil');
    await desk.goto(`${serve.origin}/#/patients/${patientId}/mounts`);
    await desk.locator('.mounts-list a').first().waitFor();
    expect(await desk.locator('form.mounts-new').count()).toBe(0);
    expect(await desk.locator('.mount-slot-actions button').count()).toBe(0);
  });
});
