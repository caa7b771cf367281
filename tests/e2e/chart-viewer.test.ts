// Pins down the imaging path a clinician uses, end to end on the real app: a radiograph imported
// by the real pipeline shows in the patient's chart; a dentist opens it in the viewer, which
// renders the stored view with real pixels; the front desk sees the thumbnail but no viewer; and
// the view is in the audit log.
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { openDatabase, type Database } from '../../main/db/database.js';
import { main } from '../../main/cli/index.js';
import { launchChromium, screenshotPath, type Chromium } from '../support/chromium.js';
import { dicomData, scratchDir } from '../support/paths.js';
import { startServe, type ServeProcess } from '../support/serve.js';

const dataDir = scratchDir('chart-viewer');
let serve: ServeProcess;
const browsers: Chromium[] = [];
let db: Database;
let patientId: string;

async function cli(...args: string[]) {
  vi.spyOn(console, 'log').mockImplementation(() => undefined);
  try {
    expect(await main(['node', 'cusp', ...args, '--data', dataDir])).toBe(0);
  } finally {
    vi.restoreAllMocks();
  }
}

/** A fresh Chromium profile per user, so each has its own session cookie. */
async function signedInPage(username: string): Promise<Page> {
  const browser = await launchChromium();
  browsers.push(browser);
  const page = await browser.context.newPage();
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

beforeAll(async () => {
  await cli('demo');
  db = await openDatabase({ client: 'sqlite', filename: `${dataDir}/cusp.sqlite` });
  patientId = (await db.knex('patients').orderBy('chart_number').first('id')).id;
  await cli('import', dicomData('dental', 'IO_bitewing01_12bit_ExplicitVRLE.dcm'), '--patient', patientId);
  serve = await startServe({ dataDir });
});

afterAll(async () => {
  for (const browser of browsers) await browser.close();
  await serve?.stop();
  await db?.close();
});

describe('chart → viewer', () => {
  it('opens an imported radiograph from the chart in the viewer, rendered and audited', async () => {
    const page = await signedInPage('dr.lavoie');
    await page.goto(`${serve.origin}/#/patients/${patientId}`);
    const thumbnail = page.locator('.thumbs a').first();
    await thumbnail.waitFor();
    await thumbnail.click();
    const viewer = page.locator('.cusp-viewer');
    await expect.poll(() => viewer.getAttribute('data-state'), { timeout: 30_000 }).toBe('ready');
    await expect.poll(() => viewer.getAttribute('data-variant'), { timeout: 30_000 }).toBe('view');

    // The canvas shows a radiograph, not a blank or uniform field: compare bright and dark areas.
    const stats = await page.evaluate(() => {
      const canvas = document.querySelector<HTMLCanvasElement>('.cusp-viewer canvas')!;
      const copy = document.createElement('canvas');
      copy.width = canvas.width;
      copy.height = canvas.height;
      const context = copy.getContext('2d')!;
      context.drawImage(canvas, 0, 0);
      const { data } = context.getImageData(0, 0, copy.width, copy.height);
      let min = 255;
      let max = 0;
      const levels = new Set<number>();
      for (let i = 0; i < data.length; i += 4 * 97) {
        min = Math.min(min, data[i]!);
        max = Math.max(max, data[i]!);
        levels.add(data[i]!);
      }
      return { min, max, levels: levels.size };
    });
    expect(stats.max - stats.min).toBeGreaterThan(100);
    expect(stats.levels).toBeGreaterThan(50);
    await page.screenshot({ path: screenshotPath('chart-viewer-bitewing') });

    const views = await db.knex('audit_log').where({ action: 'image.view', patient_id: patientId }).count<{ n: number }[]>({ n: '*' });
    expect(Number(views[0]!.n)).toBe(1);
  });

  it('shows the front desk the thumbnail without a link to the diagnostic viewer', async () => {
    const page = await signedInPage('accueil');
    await page.goto(`${serve.origin}/#/patients/${patientId}`);
    await page.locator('.thumbs img').first().waitFor();
    expect(await page.locator('.thumbs a').count()).toBe(0);
  });
});
