// Pins down treatment planning as a dentist does it, on the real `cusp serve` in headless
// Chromium: from the patient's chart, create a plan and a phase; chart fillings on two teeth by
// clicking them and finding the code by typing "resine" (no accent); switch the chart to
// Universal numbering (remembered); take one procedure to completed and see a skipped step
// refused in words; link a radiograph to a procedure; add two checkpoints with images and get
// the before/after link to the viewer's compare page; reload and find it all; the same screen in
// French; the front desk cannot open it. Main's audit log holds every change.
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../main/cli/index.js';
import { openDatabase, type Database } from '../../main/db/database.js';
import { launchChromium, screenshotPath, type Chromium } from '../support/chromium.js';
import { dentalImages, dicomData, scratchDir } from '../support/paths.js';
import { startServe, type ServeProcess } from '../support/serve.js';

const dataDir = scratchDir('treatment');
let serve: ServeProcess;
let browser: Chromium;
let page: Page;
let db: Database;
let patientId: string;
const imageIds: string[] = [];
const problems: string[] = [];

async function cli(...args: string[]) {
  vi.spyOn(console, 'log').mockImplementation(() => undefined);
  try {
    expect(await main(['node', 'cusp', ...args, '--data', dataDir])).toBe(0);
  } finally {
    vi.restoreAllMocks();
  }
}

async function importImage(file: string): Promise<string> {
  await cli('import', file, '--patient', patientId);
  const rows = await db.knex('images').where({ patient_id: patientId }).select('id');
  const added = rows.map((r) => r.id as string).filter((id) => !imageIds.includes(id));
  expect(added).toHaveLength(1);
  imageIds.push(added[0]!);
  return added[0]!;
}

let bitewing: string;
let ceph: string;

beforeAll(async () => {
  await cli('demo');
  db = await openDatabase({ client: 'sqlite', filename: `${dataDir}/cusp.sqlite` });
  patientId = (await db.knex('patients').orderBy('chart_number').first('id')).id;
  bitewing = await importImage(dicomData('dental', 'IO_bitewing01_12bit_ExplicitVRLE.dcm'));
  ceph = await importImage(dentalImages('ceph_lateral_alexcorvi_sample.jpg'));
  serve = await startServe({ dataDir });
  browser = await launchChromium({ timezoneId: 'America/Toronto' });
  page = await browser.context.newPage();
  page.on('pageerror', (error) => problems.push(error.message));
  await page.setViewportSize({ width: 1400, height: 1100 });
  page.setDefaultTimeout(15_000);
  await page.goto(serve.url);
  expect(await callFromPage('auth.signIn', { username: 'dr.lavoie', password: 'demo-cusp-2026' })).toMatchObject({ ok: true });
  // The dentist's own language follows them to any workstation: English first.
  expect(await callFromPage('settings.setUserLanguage', { language: 'en' })).toMatchObject({ ok: true });
});

/** Calls the contract from the page, with its cookie session. */
async function callFromPage(method: string, input: unknown): Promise<{ ok: boolean }> {
  return page.evaluate(
    async ([m, i]) => (await fetch('/rpc', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ method: m, input: i }) })).json(),
    [method, input] as const,
  );
}

afterAll(async () => {
  await page?.close();
  await browser?.close();
  await serve?.stop();
  await db?.close();
});

const row = (tooth: number | '') => page.locator(`tr[data-code][data-tooth="${tooth}"]`);
const tooth = (fdi: number) => page.locator(`.tooth[data-tooth="${fdi}"]`);
/** The plan screen from the top (chart, phases), then scrolled to the checkpoints. */
async function shot(name: string) {
  await page.evaluate(() => document.querySelector('.app-main')?.scrollTo(0, 0));
  await page.screenshot({ path: screenshotPath(`treatment-${name}`), fullPage: true });
  await page.locator('.checkpoints').scrollIntoViewIfNeeded();
  await page.screenshot({ path: screenshotPath(`treatment-${name}-checkpoints`), fullPage: true });
}
let planId: string;

/** The UI language, picked in the header if the page came up in the other one. */
async function ensureLanguage(language: 'en' | 'fr') {
  await page.locator('.language-switch select').waitFor();
  await expect
    .poll(async () => {
      const current = await page.getAttribute('html', 'lang');
      if (current !== language) await page.locator('.language-switch select').selectOption(language);
      return current;
    }, { timeout: 15_000 })
    .toBe(language);
}

async function setStatus(fdi: number, status: string) {
  await row(fdi).locator('select.status-select').selectOption(status);
}

describe('a treatment plan on the tooth chart', () => {
  it('creates a plan and a phase from the patient chart', async () => {
    await page.goto(`${serve.origin}/#/patients/${patientId}`);
    await page.locator('a.open-plans').click();
    await ensureLanguage('en');
    await page.locator('h1', { hasText: 'Treatment plans' }).waitFor();
    await page.getByLabel('New plan').fill('Restorations e2e');
    await page.getByRole('button', { name: 'Create the plan' }).click();
    await page.locator('h1', { hasText: 'Restorations e2e' }).waitFor();
    planId = /plans\/([\w-]+)$/.exec(page.url())![1]!;
    expect(await page.locator('.add-procedure').textContent()).toContain('Add a phase below');
    await page.getByLabel('New phase').fill('Phase 1 – fillings');
    await page.getByRole('button', { name: 'Add the phase' }).click();
    await page.locator('h2', { hasText: 'Phase 1 – fillings' }).waitFor();
    expect(await db.knex('treatment_phases').where({ plan_id: planId }).count<{ n: number }[]>({ n: '*' })).toEqual([{ n: 1 }]);
  });

  it('charts fillings on two teeth found by an accent-free search, and a whole-mouth radiograph', async () => {
    await tooth(36).click();
    await tooth(37).click();
    expect(await tooth(36).getAttribute('aria-pressed')).toBe('true');
    await page.locator('.selected-teeth', { hasText: 'Selected teeth: 36, 37' }).waitFor();
    // Without surfaces or code, the form says what is missing.
    await page.getByRole('button', { name: 'Add to the plan' }).click();
    await page.locator('.add-procedure .form-error', { hasText: 'Choose a procedure code' }).waitFor();
    await page.locator('input.code-search').fill('resine post');
    const options = page.locator('.code-options button');
    await options.first().waitFor();
    expect(await options.evaluateAll((buttons) => buttons.map((b) => b.getAttribute('data-code')))).toEqual(['D2391', 'D2392', 'D2393', 'D2394']);
    expect(await options.nth(1).textContent()).toContain('résine'); // found through the French description, accent ignored
    await options.nth(1).click();
    await page.locator('.code-chosen[data-code="D2392"]').waitFor();
    await page.getByRole('button', { name: 'Add to the plan' }).click();
    await page.locator('.add-procedure .form-error', { hasText: 'tick at least one' }).waitFor();
    await page.locator('.surfaces input[value="M"]').check();
    await page.locator('.surfaces input[value="O"]').check();
    await page.getByLabel('Fee ($)').fill('185.50');
    await page.getByRole('button', { name: 'Add to the plan' }).click();
    await row(37).waitFor();
    expect(await row(36).locator('td').nth(3).textContent()).toBe('MO');
    expect(await row(36).locator('td').nth(4).textContent()).toMatch(/\$185\.50/);
    expect(await tooth(36).getAttribute('data-status')).toBe('proposed');
    expect(await tooth(36).getAttribute('aria-pressed')).toBe('false'); // the selection is cleared

    await page.locator('input.code-search').fill('panoramique');
    await page.locator('.code-options button[data-code="D0330"]').click();
    await page.getByLabel('Fee ($)').fill('95');
    await page.getByRole('button', { name: 'Add to the plan' }).click();
    await row('').waitFor();
    expect(await row('').locator('td').nth(2).textContent()).toBe('Panoramic radiograph');
    expect(await page.locator('.plan-totals [data-total="proposed"] dd').textContent()).toMatch(/\$466\.00/);
  });

  it('switches the chart to Universal numbering and remembers it', async () => {
    await page.getByRole('button', { name: 'Universal' }).click();
    expect(await tooth(36).locator('.tooth-number').textContent()).toBe('19');
    expect(await tooth(11).locator('.tooth-number').textContent()).toBe('8');
    expect(await row(36).locator('td').first().textContent()).toBe('19');
    await page.reload();
    await ensureLanguage('en');
    await tooth(36).waitFor();
    expect(await tooth(36).locator('.tooth-number').textContent()).toBe('19');
    await page.getByRole('button', { name: 'FDI' }).click();
    expect(await tooth(36).locator('.tooth-number').textContent()).toBe('36');
    await page.getByLabel('Show primary teeth').check();
    expect(await page.locator('.tooth[data-tooth="55"]').count()).toBe(1);
  });

  it('takes one procedure to completed and refuses a skipped step in words', async () => {
    for (const status of ['accepted', 'scheduled', 'completed']) {
      await setStatus(36, status);
      await page.locator(`tr[data-tooth="36"][data-status="${status}"]`).waitFor();
    }
    expect(await tooth(36).getAttribute('data-status')).toBe('completed');
    expect(await page.locator('.plan-totals [data-total="completed"] dd').textContent()).toMatch(/\$185\.50/);
    expect(await page.locator('.phase-totals [data-total="accepted"] dd').textContent()).toMatch(/\$185\.50/);

    await setStatus(37, 'completed');
    const refusal = page.locator('.transition-error');
    await refusal.waitFor();
    expect(await refusal.textContent()).toBe('Not allowed: a procedure cannot go from “Proposed” to “Completed”. Next possible: Accepted, Declined.');
    const stored = await db.knex('procedures').where({ phase_id: (await db.knex('treatment_phases').where({ plan_id: planId }).first('id')).id, tooth: 37 }).first('status');
    expect(stored.status).toBe('proposed');
  });

  it('removes a procedure charted by mistake and an empty phase, after confirming; a decided one offers no removal', async () => {
    expect(await row(36).locator('button.remove-procedure').count()).toBe(0); // completed: part of the record
    await tooth(46).click();
    await page.locator('input.code-search').fill('D2740');
    await page.locator('.code-options button[data-code="D2740"]').click();
    await page.getByLabel('Fee ($)').fill('1300');
    await page.getByRole('button', { name: 'Add to the plan' }).click();
    await row(46).waitFor();
    page.once('dialog', (dialog) => void dialog.accept());
    await row(46).getByRole('button', { name: 'Remove D2740 from the plan' }).click();
    await row(46).waitFor({ state: 'detached' });
    const phases = db.knex('treatment_phases').where({ plan_id: planId }).select('id');
    expect(await db.knex('procedures').whereIn('phase_id', phases).where({ tooth: 46 }).first()).toBeUndefined();
    expect(await page.locator('.plan-totals [data-total="proposed"] dd').textContent()).toMatch(/\$466\.00/);
    const audited = await db.knex('audit_log').where({ patient_id: patientId, action: 'treatment.update' }).orderBy('seq', 'desc').first('detail');
    expect(typeof audited.detail === 'string' ? JSON.parse(audited.detail) : audited.detail).toMatchObject({ planId, removed: true });

    // A phase with a completed procedure cannot go; an empty one can.
    expect(await page.locator('section.phase button.remove-phase').count()).toBe(0);
    await page.getByLabel('New phase').fill('Mistake');
    await page.getByRole('button', { name: 'Add the phase' }).click();
    const mistake = page.locator('section.phase[data-phase="Mistake"]');
    page.once('dialog', (dialog) => void dialog.accept());
    await mistake.getByRole('button', { name: 'Remove the phase' }).click();
    await mistake.waitFor({ state: 'detached' });
    expect(await db.knex('treatment_phases').where({ plan_id: planId }).count<{ n: number }[]>({ n: '*' })).toEqual([{ n: 1 }]);
  });

  it('moves the plan itself from draft to presented to accepted', async () => {
    const status = page.getByLabel('Plan status');
    expect(await status.inputValue()).toBe('draft');
    for (const next of ['presented', 'accepted']) {
      await status.selectOption(next);
      await expect.poll(async () => (await db.knex('treatment_plans').where({ id: planId }).first('status')).status).toBe(next);
      await expect.poll(() => status.inputValue()).toBe(next); // the screen holds the saved plan (and its new version)
    }
  });

  it('links a radiograph to a procedure from a thumbnail picker', async () => {
    await row(36).locator('button.link-images').click();
    const picker = page.locator('dialog.modal');
    await picker.locator(`.thumb-toggle[data-image="${bitewing}"]`).click();
    await picker.locator(`.thumb-toggle[data-image="${bitewing}"][aria-pressed="true"]`).waitFor();
    await picker.getByRole('button', { name: 'Close' }).click();
    await row(36).locator(`li[data-image="${bitewing}"] img`).waitFor();
    expect(await db.knex('image_procedures').select('image_id')).toEqual([{ image_id: bitewing }]);
  });

  it('adds two checkpoints with images and links their before/after to the compare page', async () => {
    const form = page.locator('.add-checkpoint');
    await form.getByLabel('Date').fill('2026-11-02');
    await form.getByLabel('Note').fill('Before: caries on 36');
    await form.locator(`.thumb-toggle[data-image="${bitewing}"]`).click();
    await form.getByRole('button', { name: 'Add the checkpoint' }).click();
    await page.locator('.checkpoint').first().waitFor();
    await form.getByLabel('Date').fill('2026-11-27');
    await form.getByLabel('Note').fill('After the filling');
    await form.locator(`.thumb-toggle[data-image="${ceph}"]`).click();
    await form.getByRole('button', { name: 'Add the checkpoint' }).click();
    await page.locator('.checkpoint').nth(1).waitFor();
    const link = page.locator('.checkpoint').nth(1).locator('a.compare-previous');
    expect(await link.getAttribute('href')).toBe(`#/patients/${patientId}/compare?images=${bitewing},${ceph}`);
    expect(await page.locator('.checkpoint').first().locator('a.compare-previous').count()).toBe(0);
    await shot('plan-en');
  });

  it('shows everything again after a reload', async () => {
    await page.reload();
    await ensureLanguage('en');
    await row(36).waitFor();
    expect(await page.locator('h1').first().textContent()).toBe('Restorations e2e');
    expect(await row(36).getAttribute('data-status')).toBe('completed');
    expect(await row(37).getAttribute('data-status')).toBe('proposed');
    expect(await row('').getAttribute('data-code')).toBe('D0330');
    expect(await row(36).locator(`li[data-image="${bitewing}"]`).count()).toBe(1);
    expect(await page.locator('.checkpoint h3').allTextContents()).toEqual(['Nov 2, 2026', 'Nov 27, 2026']);
    expect(await page.locator('.checkpoint-note').allTextContents()).toEqual(['Before: caries on 36', 'After the filling']);
    expect(await page.locator('.plan-totals [data-total="completed"] dd').textContent()).toMatch(/\$185\.50/);
    // The chart lists the plan with a link back here.
    await page.goto(`${serve.origin}/#/patients/${patientId}`);
    await ensureLanguage('en');
    await page.locator(`.plan-list a[href="#/patients/${patientId}/plans/${planId}"]`).click();
    await page.locator('h1', { hasText: 'Restorations e2e' }).waitFor();
  });

  it('shows the plan screen in French, search included', async () => {
    expect(await callFromPage('settings.setUserLanguage', { language: 'fr' })).toMatchObject({ ok: true });
    await page.reload();
    await ensureLanguage('fr');
    await page.locator('h2', { hasText: 'Odontogramme' }).waitFor();
    expect(await row(36).locator('.badge').textContent()).toBe('Réalisé');
    expect(await row('').locator('td').nth(2).textContent()).toBe('Radiographie panoramique');
    expect(await page.locator('#checkpoints-title').textContent()).toBe('Points de suivi');
    await page.locator('input.code-search').fill('RESINE anterieure une');
    expect(await page.locator('.code-options button').evaluateAll((buttons) => buttons.map((b) => b.getAttribute('data-code')))).toEqual(['D2330']);
    await page.locator('input.code-search').fill('');
    await setStatus(37, 'scheduled');
    expect(await page.locator('.transition-error').textContent()).toBe(
      'Refusé : un acte ne peut pas passer de « Proposé » à « Planifié ». Étape suivante possible : Accepté, Refusé.',
    );
    await shot('plan-fr');
  });

  it('opens the compare route from the before/after link', async () => {
    const href = await page.locator('a.compare-previous').getAttribute('href');
    await page.locator('a.compare-previous').click();
    await expect.poll(() => page.evaluate(() => window.location.hash)).toBe(href);
    // The viewer's compare page (another feature) opens on the route.
    await page.locator('.compare-page').waitFor();
    expect(await page.locator('.treatment-plan').count()).toBe(0);
  });

  it('keeps the plan screens from the front desk, who see no plans on the chart either', async () => {
    const desk = await launchChromium({ locale: 'en-CA' });
    try {
      const deskPage = await desk.context.newPage();
      await deskPage.goto(serve.url);
      const signedIn = await deskPage.evaluate(async () =>
        (await fetch('/rpc', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ method: 'auth.signIn', input: { username: 'accueil', password: 'demo-cusp-2026' } }) })).json(),
      );
      expect(signedIn).toMatchObject({ ok: true });
      await deskPage.goto(`${serve.origin}/#/patients/${patientId}/plans/${planId}`);
      await deskPage.locator('h1').first().waitFor();
      expect(await deskPage.locator('h1').first().textContent()).toMatch(/^(Not available for your role|Non disponible pour votre rôle)$/);
      expect(await deskPage.locator('.treatment-plan, .tooth-chart').count()).toBe(0);
      await deskPage.goto(`${serve.origin}/#/patients/${patientId}`);
      await deskPage.locator('#page-title').waitFor();
      expect(await deskPage.locator('a.open-plans').count()).toBe(0);
    } finally {
      await desk.close();
    }
  });

  it('audited every change against the patient, with ids only', async () => {
    const entries = await db.knex('audit_log').where({ patient_id: patientId }).select('action', 'detail');
    const actions = entries.map((e) => e.action as string);
    expect(actions.filter((a) => a === 'treatment.create')).toHaveLength(1);
    expect(actions.filter((a) => a === 'treatment.checkpoint')).toHaveLength(2);
    expect(actions.filter((a) => a === 'image.link')).toHaveLength(1);
    const statuses = entries
      .filter((e) => e.action === 'treatment.update')
      .map((e) => (typeof e.detail === 'string' ? JSON.parse(e.detail) : e.detail) as { status?: string })
      .map((d) => d.status)
      .filter(Boolean);
    expect(statuses).toEqual(['accepted', 'scheduled', 'completed']);
    expect(problems).toEqual([]);
  });
});
