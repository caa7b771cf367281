// Pins down the front desk's day beyond booking (tests/e2e/workflows.test.ts books, moves and
// completes): the day's list beside the grid shows each booked patient's newest radiographs for
// pre-appointment review, and an image taken during the visit appears on the list and on the
// appointment without a reload; the edge of an appointment resizes it; the week view shows the
// week. Real `cusp serve`, real imports, headless Chromium.
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { MethodInput, MethodName, MethodOutput } from '../../contract/index.js';
import { main } from '../../main/cli/index.js';
import { openDatabase, type Database } from '../../main/db/database.js';
import { launchChromium, screenshotPath, type Chromium } from '../support/chromium.js';
import { dicomData, scratchDir } from '../support/paths.js';
import { startServe, type ServeProcess } from '../support/serve.js';

const dataDir = scratchDir('schedule-day');
let serve: ServeProcess;
let browser: Chromium;
let page: Page;
let db: Database;
let withImages: { id: string; name: string };
let withoutImages: { id: string; name: string };

async function cli(...args: string[]) {
  vi.spyOn(console, 'log').mockImplementation(() => undefined);
  try {
    expect(await main(['node', 'cusp', ...args, '--data', dataDir])).toBe(0);
  } finally {
    vi.restoreAllMocks();
  }
}

async function rpc(method: MethodName, input: unknown): Promise<{ ok: boolean; value?: unknown; error?: { code: string } }> {
  return page.evaluate(
    async ([m, i]) => (await fetch('/rpc', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ method: m, input: i }) })).json(),
    [method, input] as const,
  );
}

/** The contract from the page's session; throws on an error answer. */
async function call<M extends MethodName>(method: M, input: MethodInput<M>): Promise<MethodOutput<M>> {
  const result = await rpc(method, input);
  if (!result.ok) throw new Error(`${method}: ${JSON.stringify(result.error)}`);
  return result.value as MethodOutput<M>;
}

/** Today at `hour`:`minute` in the browser's (and this machine's) time zone, as an instant. */
const today = (hour: number, minute = 0) => {
  const d = new Date();
  d.setHours(hour, minute, 0, 0);
  return d.toISOString();
};

const visit = (patientId: string) => page.locator(`.day-list-visit:has(a[href="#/patients/${patientId}"])`);

beforeAll(async () => {
  await cli('demo', '--patients', '4');
  db = await openDatabase({ client: 'sqlite', filename: `${dataDir}/cusp.sqlite` });
  const patients = (await db.knex('patients').orderBy('chart_number').limit(2).select('id', 'family_name', 'given_name')) as Array<{ id: string; family_name: string; given_name: string }>;
  [withImages, withoutImages] = patients.map((p) => ({ id: p.id, name: `${p.family_name}, ${p.given_name}` })) as [typeof withImages, typeof withImages];
  await cli('import', dicomData('dental', 'IO_bitewing01_8bit_JPEGBaseline.dcm'), '--patient', withImages.id);
  await cli('import', dicomData('compressed', 'fodicom_CR-ModalitySequenceLUT.dcm'), '--patient', withImages.id);
  serve = await startServe({ dataDir });
  browser = await launchChromium({ viewport: { width: 1500, height: 1000 } });
  page = await browser.context.newPage();
  await page.goto(serve.url);
  expect(await rpc('auth.signIn', { username: 'accueil', password: 'demo-cusp-2026' })).toMatchObject({ ok: true });
  const [chair] = (await call('schedule.operatories', {})).operatories;
  const [provider] = (await call('schedule.providers', {})).providers;
  for (const [patient, hour] of [[withImages, 9], [withoutImages, 11]] as const) {
    await call('appointments.create', { patientId: patient.id, providerId: provider!.id, operatoryId: chair!.id, startsAt: today(hour), endsAt: today(hour, 30) });
  }
  await page.evaluate(() => localStorage.setItem('cusp.language', 'en'));
  await page.goto(`${serve.origin}/#/schedule`);
  await page.reload();
});

afterAll(async () => {
  await browser?.close();
  await serve?.stop();
  await db?.close();
});

describe("the front desk's day", () => {
  it("lists the day's patients in time order with their newest radiographs, without the diagnostic viewer", async () => {
    await expect.poll(() => page.locator('.day-list-patient').allTextContents(), { timeout: 20_000 }).toEqual([withImages.name, withoutImages.name]);
    await expect.poll(() => visit(withImages.id).locator('.day-list-thumbs img').count()).toBe(2);
    expect(await visit(withoutImages.id).locator('.day-list-thumbs img').count()).toBe(0);
    expect(await visit(withoutImages.id).textContent()).toContain('No images yet');
    // The front desk reviews thumbnails; opening the viewer is for clinicians.
    expect(await visit(withImages.id).locator('.day-list-thumbs a').count()).toBe(0);
    // Thumbnails are real images (decoded, not broken).
    const widths = await visit(withImages.id).locator('.day-list-thumbs img').evaluateAll((imgs) => imgs.map((img) => (img as HTMLImageElement).naturalWidth));
    expect(widths.every((w) => w > 0)).toBe(true);
    // Each patient whose thumbnails were shown is in the access log.
    const logged = (await db.knex('audit_log').where({ action: 'images.list' }).distinct('patient_id')) as Array<{ patient_id: string }>;
    expect(logged.map((r) => r.patient_id)).toContain(withImages.id);
    await page.screenshot({ path: screenshotPath('schedule-day-list-en'), fullPage: true });
  });

  it('shows an image taken during the visit on the list and on the appointment, live', async () => {
    // The patient is in the chair: the sensor's image is linked to this appointment.
    const appointment = (await call('appointments.list', { from: today(0), to: today(23, 59) })).appointments.find((a) => a.patientId === withoutImages.id)!;
    await call('appointments.setStatus', { id: appointment.id, version: appointment.version, status: 'in_chair' });
    await page.locator(`.rbc-event:has([data-appointment="${appointment.id}"])`).click();
    await expect.poll(() => page.locator('.appointment-panel').count()).toBe(1);
    expect(await page.locator('.appointment-panel .visit-images img').count()).toBe(0);
    await cli('import', dicomData('dental', 'IO_bitewing01_12bit_ExplicitVRLE.dcm'), '--patient', withoutImages.id);
    await expect.poll(() => page.locator('.appointment-panel .visit-images img').count(), { timeout: 20_000 }).toBe(1);
    await page.locator('.appointment-panel .icon').click();
    await expect.poll(() => visit(withoutImages.id).locator('.day-list-thumbs img').count(), { timeout: 20_000 }).toBe(1);
  });

  it('resizes an appointment by dragging its bottom edge', async () => {
    const appointment = (await call('appointments.list', { from: today(0), to: today(23, 59) })).appointments.find((a) => a.patientId === withImages.id)!;
    const event = page.locator(`.rbc-event:has([data-appointment="${appointment.id}"])`);
    await event.hover();
    const anchor = event.locator('.rbc-addons-dnd-resize-ns-anchor').last();
    const box = (await anchor.boundingBox())!;
    const slotHeight = (await page.locator('.rbc-time-content .rbc-day-slot').first().locator('.rbc-time-slot').first().boundingBox())!.height;
    const [x, y] = [box.x + box.width / 2, box.y + box.height / 2];
    await page.mouse.move(x, y);
    await page.mouse.down();
    // About two 15-minute slots further down: 9:00–9:30 becomes longer, on a quarter hour.
    for (let i = 1; i <= 10; i += 1) await page.mouse.move(x, y + (slotHeight * 2.5 * i) / 10);
    await page.mouse.up();
    await expect
      .poll(async () => (await call('appointments.get', { id: appointment.id })).endsAt, { timeout: 10_000 })
      .not.toBe(today(9, 30));
    const resized = await call('appointments.get', { id: appointment.id });
    expect([today(9, 45), today(10), today(10, 15)]).toContain(resized.endsAt);
    expect(resized.startsAt).toBe(today(9));
  });

  it('shows the week, one column per day', async () => {
    await page.getByRole('button', { name: 'Week' }).click();
    await expect.poll(() => page.locator('.calendar-frame').getAttribute('data-view')).toBe('week');
    await expect.poll(() => page.locator('.rbc-time-header .rbc-header').count()).toBeGreaterThanOrEqual(7);
    await expect.poll(() => page.locator('.rbc-event').count()).toBeGreaterThanOrEqual(2);
    // The day's list belongs to the day view.
    expect(await page.locator('.day-list').count()).toBe(0);
    await page.screenshot({ path: screenshotPath('schedule-week-en'), fullPage: true });
  });
});
