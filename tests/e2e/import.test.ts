// Pins down drag-and-drop import (issue #5) on the real app: DICOM files from the shared data,
// one truncated file and one JPEG photo are dropped on the imaging inbox (a real drop event
// carrying a DataTransfer); they are uploaded to cusp serve and imported by the same queue as
// `cusp import`; the progress bar advances; the summary counts what was imported, what waits in
// the inbox, what was quarantined (with its reason) and what was refused (the photo). The same
// files picked again with the file input add nothing. Dropped on a patient's chart, an image
// carrying another DICOM patient id is filed under that patient after a confirmation.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../main/cli/index.js';
import { openDatabase, type Database } from '../../main/db/database.js';
import { launchChromium, screenshotPath, type Chromium } from '../support/chromium.js';
import { distinctCopies } from '../support/dicom.js';
import { dentalImages, dicomData, scratchDir } from '../support/paths.js';
import { startServe, type ServeProcess } from '../support/serve.js';

const dataDir = scratchDir('import-e2e');
let serve: ServeProcess;
let db: Database;
let browser: Chromium;
let page: Page;

/** Six distinct DICOM images (one without the DICM preamble), a truncated one, a JPEG photo. */
const dicomFiles = [
  dicomData('dental', 'IO_bitewing01_12bit_ExplicitVRLE.dcm'),
  dicomData('dental', 'IO_bitewing01_8bit_ExplicitVRLE.dcm'),
  dicomData('dental', 'IO_bitewing01_8bit_JPEGBaseline.dcm'),
  dicomData('compressed', 'pydicom_JPEG-lossy.dcm'),
  dicomData('compressed', 'fodicom_GH538-jpeg1.dcm'),
  dicomData('compressed', 'fodicom_CR-MONO1-10-chest_nometa.dcm'),
];
const malformed = dicomData('malformed', 'IO_bitewing01_8bit_trunc_mid_pixeldata.dcm');
const photo = dentalImages('ceph_pa_boltonbrush_B1893F12.jpg');
const allFiles = [...dicomFiles, malformed, photo];

async function callFromPage(tab: Page, method: string, input: unknown): Promise<{ ok: boolean; value?: unknown; error?: { code: string } }> {
  return tab.evaluate(
    async ([m, i]) => (await fetch('/rpc', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ method: m, input: i }) })).json(),
    [method, input] as const,
  );
}

/** Drops files on the drop zone the way a browser does: a `drop` event whose DataTransfer holds them. */
async function dropFiles(paths: string[]) {
  const files = await Promise.all(paths.map(async (path) => ({ name: basename(path), base64: (await readFile(path)).toString('base64') })));
  await page.getByTestId('drop-zone').evaluate((zone, list) => {
    const transfer = new DataTransfer();
    for (const { name, base64 } of list) {
      const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
      transfer.items.add(new File([bytes], name, { type: name.endsWith('.jpg') ? 'image/jpeg' : 'application/dicom' }));
    }
    zone.dispatchEvent(new DragEvent('dragover', { dataTransfer: transfer, bubbles: true, cancelable: true }));
    zone.dispatchEvent(new DragEvent('drop', { dataTransfer: transfer, bubbles: true, cancelable: true }));
  }, files);
}

/** Records every value the progress bar takes, from the moment it appears. */
async function watchProgress() {
  await page.evaluate(() => {
    const seen: number[] = [];
    (window as unknown as { progressSeen: number[] }).progressSeen = seen;
    const observer = new MutationObserver(() => {
      const bar = document.querySelector<HTMLProgressElement>('.import-progress progress');
      if (bar && seen.at(-1) !== bar.value) seen.push(bar.value);
    });
    observer.observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ['value'] });
  });
}
const progressSeen = () => page.evaluate(() => (window as unknown as { progressSeen: number[] }).progressSeen);

const summary = async () => {
  const panel = page.locator('.import-summary');
  await panel.waitFor({ timeout: 90_000 });
  const count = async (name: string) => Number(await panel.locator(`[data-count="${name}"]`).textContent());
  return {
    imported: await count('imported'),
    inbox: await count('inbox'),
    duplicates: await count('duplicates'),
    quarantined: await count('quarantined'),
    refused: await count('refused'),
  };
};

beforeAll(async () => {
  vi.spyOn(console, 'log').mockImplementation(() => undefined);
  try {
    expect(await main(['node', 'cusp', 'demo', '--data', dataDir])).toBe(0);
  } finally {
    vi.restoreAllMocks();
  }
  db = await openDatabase({ client: 'sqlite', filename: join(dataDir, 'cusp.sqlite') });
  serve = await startServe({ dataDir });
  browser = await launchChromium();
  page = await browser.context.newPage();
  await page.goto(serve.url);
  expect(await callFromPage(page, 'auth.signIn', { username: 'dr.lavoie', password: 'demo-cusp-2026' })).toMatchObject({ ok: true });
  await page.evaluate(() => localStorage.setItem('cusp.language', 'en'));
  await page.reload();
  await page.waitForFunction(() => document.documentElement.lang === 'en');
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await serve?.stop();
  await db?.close();
});

describe('drag-and-drop import', () => {
  it('imports dropped files with a progress bar and a summary; the photo is refused, the truncated file quarantined', async () => {
    await page.goto(`${serve.origin}/#/inbox`);
    await page.getByTestId('drop-zone').waitFor();
    await watchProgress();
    // Each upload answers a little later, so the bar is seen moving (and can be photographed).
    let held = 0;
    await page.route('**/upload/**', async (route) => {
      held += 1;
      await new Promise((resolve) => setTimeout(resolve, 250));
      await route.continue();
    });
    await dropFiles(allFiles);
    await page.locator('.import-status', { hasText: 'Uploading files' }).waitFor();
    await page.screenshot({ path: screenshotPath('import-progress-en'), fullPage: true });

    expect(await summary()).toEqual({ imported: 6, inbox: 6, duplicates: 0, quarantined: 1, refused: 1 });
    await page.unroute('**/upload/**');
    expect(held).toBe(allFiles.length);
    const seen = await progressSeen();
    const max = allFiles.length * 2;
    expect(seen.at(-1)).toBe(max);
    // It went up step by step, never back.
    expect(seen.filter((v) => v > 0 && v < max).length).toBeGreaterThanOrEqual(4);
    expect([...seen].sort((a, b) => a - b)).toEqual(seen);

    const problems = page.locator('.import-problems');
    expect(await problems.locator('[data-kind="quarantined"]').textContent()).toMatch(/IO_bitewing01_8bit_trunc_mid_pixeldata\.dcm: TRUNCATED/);
    expect(await problems.locator('[data-kind="refused"]').textContent()).toBe('ceph_pa_boltonbrush_B1893F12.jpg: refused: This is a JPEG image, not a DICOM file.');
    await page.screenshot({ path: screenshotPath('import-done-en'), fullPage: true });

    // They wait in the inbox (nobody in the demo carries these DICOM ids), and the quarantine shows the truncated one.
    await expect.poll(() => page.locator('article.inbox-group .thumbs img').count()).toBe(6);
    await page.locator('.quarantine-table tbody tr', { hasText: 'IO_bitewing01_8bit_trunc_mid_pixeldata.dcm' }).waitFor();
    expect(await db.knex('ingest_jobs').where({ source: 'import' }).count({ n: '*' })).toEqual([{ n: 7 }]);
    // Uploaded files of finished jobs are removed; the quarantined one is kept for a retry.
    const paths = (await db.knex('ingest_jobs').where({ source: 'import' }).select('state', 'source_path')) as Array<{ state: string; source_path: string }>;
    expect(paths.every((p) => p.source_path.startsWith(join(dataDir, 'uploads')))).toBe(true);
    const { existsSync } = await import('node:fs');
    await expect.poll(() => paths.filter((p) => existsSync(p.source_path)).map((p) => p.state)).toEqual(['quarantined']);
    // No patient data in the server's log: neither the file names nor the DICOM names.
    expect(serve.output()).not.toMatch(/IO_bitewing01|BITEWING01|CompressedSamples|NM1|John\^Doe|ceph_pa/);
  });

  it('adds nothing when the same files are imported again with the file input', async () => {
    const images = async () => Number((await db.knex('images').count({ n: '*' }))[0]!.n);
    const before = await images();
    expect(before).toBe(0); // all six wait in the inbox: no image row yet
    const inbox = await db.knex('ingest_jobs').where({ outcome: 'inbox' }).count({ n: '*' });
    await page.reload();
    await page.getByTestId('import-files').setInputFiles(allFiles);
    expect(await summary()).toEqual({ imported: 0, inbox: 0, duplicates: 6, quarantined: 1, refused: 1 });
    expect(await db.knex('ingest_jobs').where({ outcome: 'inbox' }).count({ n: '*' })).toEqual(inbox);
    await expect.poll(() => page.locator('article.inbox-group .thumbs img').count()).toBe(6);
  });

  it('imports a folder picked with the folder button, subfolders included and hidden files skipped', async () => {
    const folder = scratchDir('import-folder');
    await mkdir(join(folder, 'sub'));
    await distinctCopies(dicomData('dental', 'IO_bitewing01_8bit_JPEGBaseline.dcm'), 1, { patientId: 'FOLDER-1', dir: folder });
    await distinctCopies(dicomData('dental', 'IO_bitewing01_8bit_JPEGBaseline.dcm'), 1, { patientId: 'FOLDER-1', dir: join(folder, 'sub') });
    await writeFile(join(folder, '.DS_Store'), 'not an image');
    await page.reload();
    await page.getByTestId('import-folder').setInputFiles(folder);
    expect(await summary()).toEqual({ imported: 2, inbox: 2, duplicates: 0, quarantined: 0, refused: 0 });
  });

  it('files an image dropped on a chart under that patient, after confirming its other DICOM id', async () => {
    const patientId = ((await db.knex('patients').orderBy('chart_number').first('id')) as { id: string }).id;
    const [copy] = await distinctCopies(dicomData('dental', 'IO_bitewing01_8bit_JPEGBaseline.dcm'), 1, { patientId: 'OTHER-77', patientName: 'AUTRE^PERSONNE' });
    await page.goto(`${serve.origin}/#/patients/${patientId}`);
    await page.getByTestId('drop-zone').waitFor();
    const thumbs = await page.locator('.thumbs img').count();
    await dropFiles([copy!]);
    const confirm = page.getByRole('alertdialog');
    await confirm.waitFor({ timeout: 60_000 });
    expect(await confirm.textContent()).toContain('OTHER-77');
    await confirm.getByRole('button', { name: 'File them under this patient' }).click();
    const panel = page.locator('.import-summary');
    await panel.waitFor();
    expect(await panel.locator('[data-count="filed-here"]').textContent()).toBe('1');
    expect(await panel.locator('[data-count="imported"]').textContent()).toBe('1');
    expect(await panel.locator('[data-count="inbox"]').textContent()).toBe('0');
    await expect.poll(() => page.locator('.thumbs img').count()).toBe(thumbs + 1);
    expect(await db.knex('images').where({ patient_id: patientId }).count({ n: '*' })).toEqual([{ n: thumbs + 1 }]);
    await page.screenshot({ path: screenshotPath('import-chart-en'), fullPage: true });
  });

  it('files an image without a DICOM patient id dropped on a chart at once, without asking', async () => {
    const patientId = ((await db.knex('patients').orderBy('chart_number', 'desc').first('id')) as { id: string }).id;
    const [copy] = await distinctCopies(dicomData('dental', 'IO_bitewing01_8bit_JPEGBaseline.dcm'), 1, { patientId: '', patientName: '' });
    await page.goto(`${serve.origin}/#/patients/${patientId}`);
    await page.getByTestId('drop-zone').waitFor();
    await dropFiles([copy!]);
    const panel = page.locator('.import-summary');
    await panel.waitFor({ timeout: 60_000 });
    expect(await page.getByRole('alertdialog').count()).toBe(0);
    expect(await panel.locator('[data-count="filed-here"]').textContent()).toBe('1');
    expect(await db.knex('images').where({ patient_id: patientId }).count({ n: '*' })).toEqual([{ n: 1 }]);
  });
});
