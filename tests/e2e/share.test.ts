// Pins down sharing with the patient on the real app (cusp serve + headless Chromium, real
// radiographs): the chair makes the PDF from the chart; it is in the patient's language with the
// letterhead, the patient's name, the radiographs and the plan (read back with pdf.js); the link
// made in the chart opens without any Cusp credential, stops with 410 once revoked, and a link
// given 60 s (the shortest the contract allows) answers 410 once that minute has passed, on the
// server's real clock. Every step is in the audit log.
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../../main/db/database.js';
import { screenshotPath, type Chromium } from '../support/chromium.js';
import { scratchDir } from '../support/paths.js';
import { startServe, type ServeProcess } from '../support/serve.js';
import { practiceWithPatients, rpc, signedIn, type SharePatient } from '../main/share/e2e-practice.js';
import { pdfPages } from '../main/share/pdf-text.js';

const dataDir = scratchDir('share-e2e');
let serve: ServeProcess;
let db: Database;
const browsers: Chromium[] = [];
let fr: SharePatient;
let en: SharePatient;
let chair: Page;
/** A link made at the start with the shortest lifetime; checked at the end, once it has passed. */
let shortLink: { path: string; expiresAt: string };

/** Fetches a path as the patient would: no cookie, no token. */
const asPatient = (path: string) => fetch(`${serve.origin}${path}`, { redirect: 'manual' });

/** Downloads a PDF inside the chair's page (its session) and returns the bytes. */
async function staffDownload(page: Page, shareId: string): Promise<{ status: number; bytes: Uint8Array }> {
  // Base64 across the page boundary: an array of a million numbers would take seconds to copy.
  const { status, data } = await page.evaluate(async (id) => {
    const response = await fetch(`/shares/${id}.pdf`);
    const blob = await response.blob();
    const url = await new Promise<string>((resolve) => {
      const reader = new FileReader();
      reader.onload = () => resolve(reader.result as string);
      reader.readAsDataURL(blob);
    });
    return { status: response.status, data: url.slice(url.indexOf(',') + 1) };
  }, shareId);
  return { status, bytes: new Uint8Array(Buffer.from(data, 'base64')) };
}

async function audited(patientId: string): Promise<string[]> {
  const rows = await db.knex('audit_log').where({ patient_id: patientId }).orderBy('seq').select('action');
  return rows.map((r) => r.action as string);
}

beforeAll(async () => {
  ({ fr, en } = await practiceWithPatients(dataDir));
  serve = await startServe({ dataDir });
  db = await openDatabase({ client: 'sqlite', filename: `${dataDir}/cusp.sqlite` });
  chair = (await signedIn(serve, browsers, 'dr.lavoie')).page;
  const admin = (await signedIn(serve, browsers, 'admin')).page;
  // The administrator fills in the letterhead from the chart's card.
  await admin.goto(`${serve.origin}/#/patients/${fr.id}`);
  const letterhead = admin.locator('details.letterhead');
  await letterhead.locator('summary').click();
  const [address, phone] = [letterhead.locator('input').nth(0), letterhead.locator('input').nth(1)];
  await address.fill('250 rue Saint-Joseph Est, Québec');
  await phone.fill('418 555-0142');
  await letterhead.locator('button[type="submit"]').click();
  await letterhead.getByRole('status').waitFor();
  expect(await rpc(admin, 'share.letterhead', {})).toMatchObject({ ok: true, value: { address: '250 rue Saint-Joseph Est, Québec', phone: '418 555-0142' } });
  // Only an administrator may change it.
  expect(await rpc(chair, 'share.setLetterhead', { address: 'x', phone: null })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
  // The short link starts its minute now; the last test checks it after the others ran.
  const share = await rpc(chair, 'share.createPdf', { patientId: en.id, imageIds: en.imageIds });
  expect(share).toMatchObject({ ok: true });
  const link = await rpc(chair, 'share.createLink', { id: share.value.id, expiresInSeconds: 60 });
  expect(link).toMatchObject({ ok: true });
  shortLink = link.value;
  expect((await asPatient(shortLink.path)).status).toBe(200);
}, 180_000);

afterAll(async () => {
  for (const browser of browsers) await browser.close();
  await serve?.stop();
  await db?.close();
});

describe('sharing with the patient', () => {
  it('makes a French PDF from the chart: letterhead, name, both radiographs, the plan', async () => {
    await chair.goto(`${serve.origin}/#/patients/${fr.id}`);
    const panel = chair.locator('.share-panel');
    for (const id of fr.imageIds) await panel.locator(`input[data-image-id="${id}"]`).check();
    await panel.locator('select').first().selectOption(fr.planId);
    await panel.getByRole('button', { name: /Créer le PDF|Make the PDF/ }).click();
    const item = panel.locator('.share-list li').first();
    await item.waitFor();
    const shareId = (await item.getAttribute('data-share-id'))!;
    await chair.screenshot({ path: screenshotPath('share-chart-panel'), fullPage: true });

    const { status, bytes } = await staffDownload(chair, shareId);
    expect(status).toBe(200);
    const pages = await pdfPages(bytes);
    expect(pages).toHaveLength(3); // a page per radiograph, then the plan
    expect(pages[0]).toContain('250 rue Saint-Joseph Est, Québec');
    expect(pages[0]).toContain('Tél. 418 555-0142');
    expect(pages[0]).toMatch(/Préparé pour : Hélène Tremblay/);
    expect(pages[0]).toContain('Radiographie intrabuccale');
    expect(pages[0]).toMatch(/Dents : /);
    expect(pages[1]).toContain('Image 2 sur 2');
    expect(pages[2]).toContain('Plan de traitement proposé');
    expect(pages[2]).toMatch(/D2391 Composite une face 46 O 150,00 \$/);
    expect(pages[2]).toMatch(/Total 1 350,00 \$/);
    expect(pages[2]).toContain('Page 3 de 3');
    expect(pages.join('\n')).not.toMatch(/Prepared|Your |Page \d of/);
    expect(await audited(fr.id)).toEqual(expect.arrayContaining(['share.create', 'share.download']));
  });

  it('makes an English PDF for an English-speaking patient', async () => {
    const share = await rpc(chair, 'share.createPdf', { patientId: en.id, imageIds: en.imageIds, planId: en.planId });
    expect(share).toMatchObject({ ok: true, value: { language: 'en', pages: 2 } });
    const pages = await pdfPages((await staffDownload(chair, share.value.id)).bytes);
    expect(pages).toHaveLength(2);
    expect(pages[0]).toMatch(/Prepared for: Morgan Walsh/);
    expect(pages[0]).toContain('Panoramic radiograph');
    expect(pages[1]).toMatch(/D2740 Ceramic crown 36 — \$1,200\.00/);
    expect(pages[1]).toMatch(/Total \$1,350\.00/);
    expect(pages.join('\n')).not.toMatch(/Préparé|Vos |Page \d de/);
  });

  it('gives a link from the chart that opens without credentials, then 410 once revoked', async () => {
    const panel = chair.locator('.share-panel');
    const item = panel.locator('.share-list li').first();
    await panel.locator('.form-actions select').selectOption(String(3600));
    await item.getByRole('button', { name: /Créer un lien|Make a link/ }).click();
    const input = item.locator('input.share-link');
    await input.waitFor();
    const url = new URL(await input.inputValue());
    expect(url.pathname).toMatch(/^\/share\/[A-Za-z0-9_-]{43}$/);
    expect(url.href).not.toMatch(/tremblay|helene|hélène/i);

    const response = await asPatient(url.pathname);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/pdf');
    expect((await pdfPages(new Uint8Array(await response.arrayBuffer())))[0]).toContain('Hélène Tremblay');

    chair.once('dialog', (dialog) => void dialog.accept());
    await item.getByRole('button', { name: /Révoquer|Revoke/ }).click();
    await expect.poll(() => item.getAttribute('data-revoked')).toBe('true');
    expect((await asPatient(url.pathname)).status).toBe(410);
    expect((await staffDownload(chair, (await item.getAttribute('data-share-id'))!)).status).toBe(404);
    expect(await audited(fr.id)).toEqual(expect.arrayContaining(['share.link.create', 'share.revoke', 'share.download.refused']));
    await chair.screenshot({ path: screenshotPath('share-revoked'), fullPage: true });
  });

  it('refuses a link of more than seven days or less than a minute', async () => {
    const share = await rpc(chair, 'share.createPdf', { patientId: fr.id, planId: fr.planId });
    for (const expiresInSeconds of [30, 8 * 24 * 3600]) {
      expect(await rpc(chair, 'share.createLink', { id: share.value.id, expiresInSeconds })).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT' } });
    }
  });

  it('answers 410 once the link’s minute has passed', async () => {
    const wait = Date.parse(shortLink.expiresAt) - Date.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait + 500));
    const response = await asPatient(shortLink.path);
    expect(response.status).toBe(410);
    expect(await response.text()).toMatch(/expired/);
    const refused = await db.knex('audit_log').where({ action: 'share.download.refused', patient_id: en.id }).select('detail');
    expect(refused.map((r) => JSON.parse(r.detail).reason)).toContain('expired');
  }, 90_000);
});
