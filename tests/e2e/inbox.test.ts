// Pins down the imaging inbox on the real app (cusp serve + headless Chromium): images imported
// with DICOM patient ids nobody knows wait in the inbox, grouped as they arrived; a dentist files
// a group under a patient found by an accent-insensitive search (and the id is remembered, so the
// next exposure matches by itself), splits a group between two patients, merges two groups into
// one patient; every assignment is audited; a truncated file from the shared data shows in the
// quarantine with its reason, a retry leaves it there with the same reason, an admin discards it.
import { copyFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../main/cli/index.js';
import { openDatabase, type Database } from '../../main/db/database.js';
import { launchChromium, screenshotPath, type Chromium } from '../support/chromium.js';
import { distinctCopies } from '../support/dicom.js';
import { dicomData, scratchDir } from '../support/paths.js';
import { startServe, type ServeProcess } from '../support/serve.js';

const dataDir = scratchDir('inbox-e2e');
const incoming = scratchDir('inbox-files');
const source = dicomData('dental', 'IO_bitewing01_8bit_JPEGBaseline.dcm');
const truncated = 'IO_bitewing01_8bit_trunc_mid_pixeldata.dcm';
let serve: ServeProcess;
let db: Database;
const browsers: Chromium[] = [];
let page: Page;
const patients: Record<'helene' | 'noemie' | 'aurelien' | 'chloe', string> = { helene: '', noemie: '', aurelien: '', chloe: '' };

async function cli(...args: string[]) {
  vi.spyOn(console, 'log').mockImplementation(() => undefined);
  try {
    return await main(['node', 'cusp', ...args, '--data', dataDir]);
  } finally {
    vi.restoreAllMocks();
  }
}

async function signedInPage(username: string): Promise<Page> {
  const browser = await launchChromium({ locale: 'en-CA' });
  browsers.push(browser);
  const tab = await browser.context.newPage();
  await tab.goto(serve.url);
  expect(await callFromPage(tab, 'auth.signIn', { username, password: 'demo-cusp-2026' })).toMatchObject({ ok: true });
  // The demo practice speaks French; these checks read the English screens.
  await tab.evaluate(() => localStorage.setItem('cusp.language', 'en'));
  await tab.reload();
  await tab.waitForFunction(() => document.documentElement.lang === 'en');
  return tab;
}

async function callFromPage(tab: Page, method: string, input: unknown): Promise<{ ok: boolean; value?: unknown; error?: { code: string } }> {
  return tab.evaluate(
    async ([m, i]) => (await fetch('/rpc', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ method: m, input: i }) })).json(),
    [method, input] as const,
  );
}

const imagesOf = async (patientId: string) => Number((await db.knex('images').where({ patient_id: patientId }).count({ n: '*' }))[0]!.n);
const group = (dicomId: string) => page.locator(`article.inbox-group[data-dicom-id="${dicomId}"]`);

/** Chooses the patient in the assign dialog by an accent-free search, then files the images. */
async function assignTo(search: string, name: string, options: { remember?: boolean } = {}) {
  const dialog = page.getByRole('dialog');
  await dialog.getByLabel('Find the patient (name, chart number, birth date)').fill(search);
  await dialog.getByRole('radio', { name: new RegExp(name) }).check();
  if (options.remember) await dialog.getByRole('checkbox', { name: /Remember DICOM patient ID/ }).check();
  await page.screenshot({ path: screenshotPath(`inbox-assign-${search.split(' ')[0]}-en`) });
  await dialog.getByRole('button', { name: /^File \d+ images under/ }).click();
  await dialog.waitFor({ state: 'detached' });
}

beforeAll(async () => {
  expect(await cli('demo')).toBe(0);
  // Four arrivals nobody can match: A (3 images), B (4, two patients' images mixed), C1 and C2
  // (the same person sent under two ids), and a file truncated in its pixel data.
  await distinctCopies(source, 3, { patientId: 'UNK-A', patientName: 'INCONNU^ALPHA', newStudy: true, dir: incoming });
  const betaDir = scratchDir('inbox-beta');
  await distinctCopies(source, 4, { patientId: 'UNK-B', patientName: 'INCONNU^BETA', newStudy: true, dir: betaDir });
  const c1 = scratchDir('inbox-c1');
  const c2 = scratchDir('inbox-c2');
  await distinctCopies(source, 2, { patientId: 'UNK-C1', patientName: 'DOUBLE^CHARLIE', newStudy: true, dir: c1 });
  await distinctCopies(source, 1, { patientId: 'UNK-C2', patientName: 'DOUBLE^CHARLIE', newStudy: true, dir: c2 });
  await copyFile(dicomData('malformed', truncated), join(incoming, truncated));
  // The truncated file fails: the import reports it (process exit code 1) and quarantines it.
  await cli('import', incoming, betaDir, c1, c2);
  process.exitCode = 0;
  db = await openDatabase({ client: 'sqlite', filename: join(dataDir, 'cusp.sqlite') });
  expect(await db.knex('ingest_jobs').where({ outcome: 'inbox' }).count({ n: '*' })).toEqual([{ n: 10 }]);
  expect(await db.knex('ingest_jobs').where({ state: 'quarantined' }).count({ n: '*' })).toEqual([{ n: 1 }]);
  serve = await startServe({ dataDir });
  page = await signedInPage('dr.lavoie');
  const names = { helene: ['Zéphirin', 'Hélène'], noemie: ['Quévillon', 'Noémie'], aurelien: ['Wéry', 'Aurélien'], chloe: ['Ébrard', 'Chloé'] } as const;
  for (const [key, [familyName, givenName]] of Object.entries(names)) {
    const created = await callFromPage(page, 'patients.create', { familyName, givenName, birthDate: '1980-02-03' });
    expect(created).toMatchObject({ ok: true });
    patients[key as keyof typeof patients] = (created.value as { id: string }).id;
  }
}, 240_000);

afterAll(async () => {
  for (const browser of browsers) await browser.close();
  await serve?.stop();
  await db?.close();
});

describe('imaging inbox', () => {
  it('lists the unmatched images grouped as they arrived, with thumbnails', async () => {
    await page.goto(`${serve.origin}/#/inbox`);
    await group('UNK-A').waitFor();
    expect(await page.locator('article.inbox-group').count()).toBe(4);
    expect(await group('UNK-A').locator('.thumbs img').count()).toBe(3);
    expect(await group('UNK-B').locator('.thumbs img').count()).toBe(4);
    expect(await group('UNK-A').locator('h3').textContent()).toBe('INCONNU, ALPHA');
    expect(await group('UNK-A').locator('.inbox-facts').textContent()).toContain('Imported file');
    // Thumbnails are real images, decoded by the browser.
    const width = await group('UNK-A').locator('.thumbs img').first().evaluate((img: HTMLImageElement) => img.naturalWidth);
    expect(width).toBeGreaterThan(50);
    await page.screenshot({ path: screenshotPath('inbox-en'), fullPage: true });
    // The same screen in French, the demo practice's language.
    await page.getByLabel('Language').selectOption('fr');
    await expect.poll(() => page.locator('h1').textContent()).toBe('Images à classer');
    expect(await group('UNK-A').getByRole('button').textContent()).toBe('Rattacher ces 3 images…');
    await page.screenshot({ path: screenshotPath('inbox-fr'), fullPage: true });
    await page.getByLabel('Langue').selectOption('en');
    await expect.poll(() => page.locator('h1').textContent()).toBe('Imaging inbox');
  });

  it('assigns a group to a patient found without accents, remembering the DICOM id', async () => {
    await group('UNK-A').getByRole('button', { name: 'Assign these 3 images…' }).click();
    await assignTo('zephirin helene', 'Zéphirin, Hélène', { remember: true });
    await expect.poll(() => group('UNK-A').count()).toBe(0);
    expect(await page.locator('.inbox-done').textContent()).toContain('Images filed: 3');
    expect(await imagesOf(patients.helene)).toBe(3);
    expect(await db.knex('patient_dicom_ids').where({ patient_id: patients.helene }).pluck('dicom_patient_id')).toEqual(['UNK-A']);
    const audits = await db.knex('audit_log').where({ action: 'image.assign', patient_id: patients.helene });
    expect(audits).toHaveLength(3);
    expect(audits.every((a: { image_id: string | null }) => a.image_id)).toBe(true);

    await page.goto(`${serve.origin}/#/patients/${patients.helene}`);
    await expect.poll(() => page.locator('.thumbs img').count()).toBe(3);

    // The next exposure under UNK-A finds Hélène by itself.
    const next = await distinctCopies(source, 1, { patientId: 'UNK-A', patientName: 'INCONNU^ALPHA' });
    expect(await cli('import', next[0]!)).toBe(0);
    expect(await imagesOf(patients.helene)).toBe(4);
  });

  it('splits a group between two patients', async () => {
    await page.goto(`${serve.origin}/#/inbox`);
    const beta = group('UNK-B');
    await beta.waitFor();
    await beta.getByRole('checkbox', { name: 'Select image 1 of INCONNU, BETA' }).check();
    await beta.getByRole('checkbox', { name: 'Select image 2 of INCONNU, BETA' }).check();
    expect(await page.getByTestId('selection-count').textContent()).toBe('Selected: 2');
    await page.getByRole('button', { name: 'Assign the selection…' }).click();
    await assignTo('quevillon', 'Quévillon, Noémie');
    await expect.poll(() => beta.locator('.thumbs img').count()).toBe(2);

    await beta.getByRole('checkbox', { name: 'Select every image of INCONNU, BETA' }).check();
    await page.getByRole('button', { name: 'Assign the selection…' }).click();
    await assignTo('wery aurelien', 'Wéry, Aurélien');
    await expect.poll(() => beta.count()).toBe(0);
    expect(await imagesOf(patients.noemie)).toBe(2);
    expect(await imagesOf(patients.aurelien)).toBe(2);
  });

  it('merges two groups into one patient in one action', async () => {
    await group('UNK-C1').getByRole('checkbox', { name: 'Select every image of DOUBLE, CHARLIE' }).check();
    await group('UNK-C2').getByRole('checkbox', { name: 'Select every image of DOUBLE, CHARLIE' }).check();
    expect(await page.getByTestId('selection-count').textContent()).toBe('Selected: 3');
    await page.getByRole('button', { name: 'Assign the selection…' }).click();
    // Two different DICOM ids: nothing to remember.
    expect(await page.getByRole('dialog').getByRole('checkbox', { name: /Remember/ }).count()).toBe(0);
    await assignTo('ebrard chloe', 'Ébrard, Chloé');
    await expect.poll(() => page.locator('article.inbox-group').count()).toBe(0);
    expect(await page.getByText('No image is waiting: every image found its patient.').count()).toBe(1);
    expect(await imagesOf(patients.chloe)).toBe(3);
    expect(await db.knex('ingest_jobs').where({ outcome: 'inbox' }).count({ n: '*' })).toEqual([{ n: 0 }]);
  });

  it('shows the truncated file in quarantine with its reason; a retry keeps it there; an admin discards it', async () => {
    const row = page.locator('.quarantine-table tbody tr', { hasText: truncated });
    await row.waitFor();
    expect(await row.locator('.quarantine-reason').textContent()).toMatch(/TRUNCATED/);
    const jobId = (await row.getAttribute('data-job-id'))!;
    const before = await db.knex('ingest_jobs').where({ id: jobId }).first('reason', 'updated_at');
    // Only admins see Discard.
    expect(await row.getByRole('button', { name: 'Discard' }).count()).toBe(0);
    await row.getByRole('button', { name: 'Retry' }).click();
    // The import runner of cusp serve runs it again: the cause is still there, so it is back in quarantine.
    // (Polled until it is quarantined *again*: right after the click it may still be the first time.)
    await expect
      .poll(async () => {
        const job = (await db.knex('ingest_jobs').where({ id: jobId }).first('state', 'updated_at')) as { state: string; updated_at: string };
        return job.state === 'quarantined' && job.updated_at > before.updated_at;
      }, { timeout: 30_000 })
      .toBe(true);
    const after = await db.knex('ingest_jobs').where({ id: jobId }).first('reason', 'updated_at', 'attempts');
    expect(after.updated_at > before.updated_at).toBe(true);
    expect(after.reason).toBe(before.reason);
    expect(after.attempts).toBe(1);
    expect(await db.knex('audit_log').where({ action: 'ingest.retry' }).count({ n: '*' })).toEqual([{ n: 1 }]);
    await page.screenshot({ path: screenshotPath('inbox-quarantine-en'), fullPage: true });

    const frontdesk = await signedInPage('accueil');
    expect(await callFromPage(frontdesk, 'ingest.assignMany', { jobIds: [jobId], patientId: patients.chloe })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    expect(await callFromPage(page, 'ingest.discard', { jobId })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });

    const admin = await signedInPage('admin');
    await admin.goto(`${serve.origin}/#/inbox`);
    const adminRow = admin.locator('.quarantine-table tbody tr', { hasText: truncated });
    await adminRow.getByRole('button', { name: 'Discard' }).click();
    await expect.poll(() => adminRow.count()).toBe(0);
    expect(await db.knex('ingest_jobs').where({ id: jobId }).first()).toBeUndefined();
    expect(await db.knex('audit_log').where({ action: 'ingest.discard' }).count({ n: '*' })).toEqual([{ n: 1 }]);
  });
});
