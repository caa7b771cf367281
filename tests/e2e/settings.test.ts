// Pins down the administrator's Settings in Debian's headless Chromium against the real
// `cusp serve`: the Orthanc test against a real Orthanc connects with the right password and says
// "401" with a wrong one; the store test against a real s3rver passes and against a closed port
// fails in words; migrating the file store (with real imported images) to s3rver shows a progress
// bar and ends with the store switched, and an image is still served from /img with the old folder
// gone; the practice language and the compression preset show in the audit log; a dentist gets
// FORBIDDEN from the same methods and sees none of these sections. Screenshots of each section.
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../../main/app/config.js';
import { main } from '../../main/cli/index.js';
import { openDatabase, type Database } from '../../main/db/database.js';
import { launchChromium, screenshotPath, type Chromium } from '../support/chromium.js';
import { startOrthanc, type OrthancServer } from '../support/orthanc.js';
import { dentalImages, dicomData, scratchDir } from '../support/paths.js';
import { freeLoopbackPort } from '../support/ports.js';
import { startS3rver, type S3Server } from '../support/s3.js';
import { startServe, type ServeProcess } from '../support/serve.js';

const dataDir = scratchDir('settings-e2e');
const password = 'demo-cusp-2026';
let serve: ServeProcess;
let s3: S3Server;
let orthanc: OrthancServer;
let db: Database;
let imageIds: string[];
const browsers: Chromium[] = [];
const problems: string[] = [];

async function cli(...args: string[]) {
  vi.spyOn(console, 'log').mockImplementation(() => undefined);
  try {
    expect(await main(['node', 'cusp', ...args, '--data', dataDir])).toBe(0);
  } finally {
    vi.restoreAllMocks();
  }
}

/** A fresh Chromium profile per user (own cookie), signed in through the contract. */
async function signedInPage(username: string): Promise<Page> {
  const browser = await launchChromium({ locale: 'en-CA' });
  browsers.push(browser);
  const page = await browser.context.newPage();
  page.on('pageerror', (error) => problems.push(error.message));
  await page.goto(serve.url);
  expect(await rpc(page, 'auth.signIn', { username, password })).toMatchObject({ ok: true });
  return page;
}

async function rpc(page: Page, method: string, input: unknown): Promise<{ ok: boolean; value?: unknown; error?: { code: string; message: string } }> {
  return page.evaluate(
    async ([m, i]) => (await fetch('/rpc', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ method: m, input: i }) })).json(),
    [method, input] as const,
  );
}

const section = (page: Page, name: string) => page.locator(`[data-section="${name}"]`);
/** The whole page, or one section of it. */
async function shot(page: Page, name: string, which?: string): Promise<void> {
  if (!which) {
    await page.screenshot({ path: screenshotPath(`settings-${name}`), fullPage: true });
    return;
  }
  // The shell scrolls inside its main area: a tall viewport shows the whole section below the header.
  const viewport = page.viewportSize()!;
  const box = (await section(page, which).boundingBox())!;
  await page.setViewportSize({ width: viewport.width, height: Math.max(viewport.height, Math.ceil(box.height) + 400) });
  await section(page, which).screenshot({ path: screenshotPath(`settings-${name}`) });
  await page.setViewportSize(viewport);
}

beforeAll(async () => {
  [s3, orthanc] = await Promise.all([startS3rver(), startOrthanc()]);
  await cli('demo');
  db = await openDatabase({ client: 'sqlite', filename: join(dataDir, 'cusp.sqlite') });
  const patientId = (await db.knex('patients').orderBy('chart_number').first('id')).id as string;
  await cli('import', dicomData('dental', 'IO_bitewing01_12bit_ExplicitVRLE.dcm'), dentalImages('ceph_lateral_alexcorvi_sample.jpg'), '--patient', patientId);
  imageIds = (await db.knex('images').where('patient_id', patientId).select('id')).map((r) => r.id as string);
  expect(imageIds).toHaveLength(2);
  serve = await startServe({ dataDir });
}, 180_000);

afterAll(async () => {
  for (const browser of browsers) await browser.close();
  await serve?.stop();
  await db?.close();
  await Promise.all([s3?.stop(), orthanc?.stop()]);
});

describe('Settings for the administrator', () => {
  let page: Page;
  beforeAll(async () => {
    page = await signedInPage('admin');
    await page.goto(`${serve.origin}/#/settings`);
    // The demo workstation opens in French; this admin works in English.
    await page.locator('.language-switch select').selectOption('en');
    await section(page, 'orthanc').waitFor();
  });

  it('tests Orthanc: a wrong password is a 401 in words, the right one shows its version; saving keeps the password out of config.json', async () => {
    const card = section(page, 'orthanc');
    await card.getByLabel('Orthanc address').fill(orthanc.url);
    await card.getByLabel('User name').fill(orthanc.username);
    await card.getByLabel('Password', { exact: true }).fill('not-the-password');
    await card.getByRole('button', { name: 'Test connection' }).click();
    const refused = card.locator('[data-result="auth"]');
    await refused.waitFor();
    expect(await refused.textContent()).toMatch(/refused the user name or password \(401\)/);
    await shot(page, 'orthanc-401-en', 'orthanc');

    await card.getByLabel('Password', { exact: true }).fill(orthanc.password);
    await card.getByRole('button', { name: 'Test connection' }).click();
    const ok = card.locator('[data-result="ok"]');
    await ok.waitFor();
    expect(await ok.textContent()).toMatch(/^Connected to .+ — Orthanc \d+\.\d+\.\d+ \(AE title CUSPORTHANC\)\.$/);
    await card.getByRole('button', { name: 'Save' }).click();
    await card.getByText('Saved.', { exact: false }).waitFor();
    expect(await card.getByText('A password is saved').count()).toBe(1);
    await shot(page, 'orthanc-en', 'orthanc');

    const config = await loadConfig(dataDir);
    expect(config.orthanc).toEqual({ url: orthanc.url, username: orthanc.username });
    expect(JSON.stringify(config)).not.toContain(orthanc.password);
    // The running app's status check now reaches Orthanc with the saved password.
    await expect.poll(async () => ((await rpc(page, 'app.health', {})).value as { orthanc: { state: string } }).orthanc.state).toBe('ok');
  });

  it('saves the store policy: Canada only, cache size and the nightly hour in config.json', async () => {
    const card = section(page, 'storage');
    await card.getByLabel('Cache size (GB)').fill('8');
    await card.getByLabel('Nightly jobs at').selectOption('3');
    await card.getByRole('button', { name: 'Save the policy' }).click();
    await card.getByText('Policy saved.', { exact: false }).waitFor();
    const config = await loadConfig(dataDir);
    expect([config.store.residency, config.cache.maxBytes, config.nightly.hour]).toEqual(['canada', 8e9, 3]);
  });

  it('tests a new store: s3rver passes, a closed port fails in words', async () => {
    const card = section(page, 'storage');
    expect(await card.locator('.facts').getAttribute('data-store-kind')).toBe('file');
    expect(await card.locator('.facts').textContent()).toMatch(/Folder — .*objects.*ca?.*Not encrypted by Cusp/s);
    const closed = `http://127.0.0.1:${await freeLoopbackPort()}`;
    await card.getByLabel('Endpoint', { exact: true }).fill(closed);
    await card.getByLabel('Bucket', { exact: true }).fill(s3.bucket);
    await card.getByLabel('Prefix (folder in the bucket)').fill('clinic');
    await card.getByLabel('Access key ID').fill(s3.credentials.accessKeyId);
    await card.getByLabel('Secret access key').fill(s3.credentials.secretAccessKey);
    await card.getByRole('checkbox').check();
    await card.getByRole('button', { name: 'Test', exact: true }).click();
    const failed = card.locator('[role="alert"][data-result]');
    await failed.waitFor({ timeout: 30_000 });
    expect(await failed.getAttribute('data-result')).toBe('Unavailable');
    expect(await failed.textContent()).toMatch(/cannot be reached: check the address, the port and the network/);
    await shot(page, 'store-test-failed-en', 'storage');

    await card.getByLabel('Endpoint', { exact: true }).fill(s3.endpoint);
    await card.getByRole('button', { name: 'Test', exact: true }).click();
    const ok = card.locator('[data-result="ok"]');
    await ok.waitFor({ timeout: 30_000 });
    expect(await ok.textContent()).toMatch(/s3:\/\/cusp-test\/clinic accepted a test object and returned it intact\. Encrypted on this computer/);
  });

  it('migrates the file store with its images to s3rver with a progress bar, switches, and still serves the images', async () => {
    const card = section(page, 'storage');
    page.once('dialog', (dialog) => void dialog.accept());
    await card.getByRole('button', { name: 'Migrate to this store' }).click();
    const migration = card.locator('.migration');
    await migration.waitFor();
    expect(await migration.locator('progress').count()).toBe(1);
    await expect.poll(() => migration.getAttribute('data-state'), { timeout: 120_000 }).toBe('done');
    const objects = Number((await db.knex('stored_objects').count({ n: '*' }).first())!.n);
    expect(await migration.locator('progress').getAttribute('value')).toBe(String(objects));
    expect(await migration.locator('.migration-counts').textContent()).toMatch(new RegExp(`^${objects} of ${objects} objects · [\\d.,]+ [KM]B copied · 0 error\\(s\\)$`));
    expect(await migration.locator('h3').textContent()).toMatch(/^Migration done: Cusp now uses s3:\/\/cusp-test\/clinic/);
    await expect.poll(() => card.locator('.facts').getAttribute('data-store-kind')).toBe('s3');
    expect(await card.locator('.facts').textContent()).toMatch(/ca-central-1 \(in Canada\).*Encrypted on this computer/s);
    await shot(page, 'storage-migrated-en', 'storage');

    expect((await loadConfig(dataDir)).store.url).toMatch(/^s3:\/\/cusp-test\/clinic\?region=ca-central-1&endpoint=/);
    expect(new Set((await db.knex('stored_objects').select('backend')).map((r) => r.backend))).toEqual(new Set(['s3']));
    // The old folder and the local cache gone: the images can only come from S3 now.
    await rm(join(dataDir, 'objects'), { recursive: true });
    await rm(join(dataDir, 'storage', 'cache'), { recursive: true, force: true });
    for (const id of imageIds) {
      const served = await page.evaluate(async (path) => {
        const response = await fetch(path);
        return { status: response.status, type: response.headers.get('content-type'), size: (await response.arrayBuffer()).byteLength };
      }, `/img/${id}/view`);
      expect(served.status).toBe(200);
      expect(served.type).toMatch(/^image\//);
      expect(served.size).toBeGreaterThan(1000);
    }
  });

  it('records the practice language and the compression preset in the audit log', async () => {
    const language = section(page, 'language');
    await language.getByLabel('Default for the practice').selectOption('en');
    await language.getByText('Practice language saved.').waitFor();
    await shot(page, 'language-en', 'language');

    const compression = section(page, 'compression');
    await compression.getByLabel('Preset').selectOption('webp');
    await compression.getByLabel('Adjust the full-resolution view').check();
    await compression.getByLabel('View format').selectOption('avif');
    expect(await compression.getByText('AVIF takes 5 to 40 seconds').count()).toBe(1);
    await compression.getByLabel('View format').selectOption('webp');
    await compression.getByLabel('Starting quality (60–100)').fill('92');
    await compression.getByRole('button', { name: 'Save compression' }).click();
    await compression.getByText('Compression saved: new images use it.').waitFor();
    await shot(page, 'compression-en', 'compression');

    const audit = async (action: string) => ((await rpc(page, 'audit.query', { action })).value as { entries: Array<{ detail: unknown; workstation: string }> }).entries;
    expect((await audit('settings.language.practice'))[0]!.detail).toEqual({ from: 'fr', to: 'en' });
    expect((await audit('settings.compression'))[0]!.detail).toEqual({ from: 'default', to: 'webp+view:webp/92' });
    expect(await rpc(page, 'settings.compression', {})).toMatchObject({ ok: true, value: { preset: 'webp', view: { format: 'webp', quality: 92 } } });
    const everything = JSON.stringify(await audit('settings.orthanc')) + JSON.stringify(await audit('settings.store.migrate'));
    expect(everything).not.toContain(orthanc.password);
    expect(everything).not.toContain(s3.credentials.secretAccessKey);

    await shot(page, 'admin-en');
  });

  it('shows the settings in French', async () => {
    await page.locator('.language-switch select').selectOption('fr');
    await section(page, 'storage').getByRole('heading', { name: 'Stockage des images' }).waitFor();
    expect(await section(page, 'compression').getByRole('heading').first().textContent()).toBe('Compression des images');
    await shot(page, 'admin-fr');
  });
});

describe('Settings for everyone else', () => {
  it('refuses a dentist with FORBIDDEN and shows only their own language and password', async () => {
    const page = await signedInPage('dr.lavoie');
    for (const [method, input] of [
      ['settings.setCompression', { preset: 'default', view: null }],
      ['settings.setPracticeLanguage', { language: 'fr' }],
      ['settings.testOrthanc', { url: orthanc.url }],
      ['settings.migrateStore', { kind: 'file', folder: '/tmp/x' }],
      ['settings.storage', {}],
    ] as const) {
      expect(await rpc(page, method, input)).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    }
    // The practice default (English, set above) applies to a user who has not chosen.
    await page.goto(`${serve.origin}/#/settings`);
    await section(page, 'my-language').waitFor();
    await expect.poll(() => page.locator('html').getAttribute('lang')).toBe('en');
    for (const name of ['orthanc', 'storage', 'language', 'compression']) expect(await section(page, name).count()).toBe(0);
    // Their own choice is theirs alone, and audited.
    await section(page, 'my-language').getByLabel('Cusp opens in').selectOption('fr');
    await expect.poll(() => page.locator('html').getAttribute('lang')).toBe('fr');
    await shot(page, 'dentist-fr');
    const refused = await db.knex('audit_log').where('action', 'access.refused').count({ n: '*' }).first();
    expect(Number(refused!.n)).toBeGreaterThanOrEqual(5);
    expect(await db.knex('audit_log').where('action', 'settings.language.user').count({ n: '*' }).first()).toMatchObject({ n: 1 });
    expect(problems).toEqual([]);
  });
});
