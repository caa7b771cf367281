// Pins down the consultation screen on the real app (cusp serve + headless Chromium, real
// radiographs): the chair picks a radiograph in the chart and shows it on the /consult page
// opened in the same browser; that page shows the image (through the audited /img/ route) and
// nothing else; a comparison and a plan in the patient's language; clear and lock blank it;
// a /consult page in another browser (another session) never shows what this chair pushed.
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../../main/db/database.js';
import { screenshotPath, type Chromium } from '../support/chromium.js';
import { scratchDir } from '../support/paths.js';
import { startServe, type ServeProcess } from '../support/serve.js';
import { demoPassword, practiceWithPatients, rpc, signedIn, type SharePatient } from '../main/share/e2e-practice.js';

const dataDir = scratchDir('consult');
let serve: ServeProcess;
let db: Database;
const browsers: Chromium[] = [];
let fr: SharePatient;
let en: SharePatient;
let chair: Page;
let consult: Page;

const state = (page: Page) => page.locator('main.consult').getAttribute('data-state');
const shot = (page: Page, name: string) => page.screenshot({ path: screenshotPath(`consult-${name}`) });

/** The consult page's image is decoded (real pixels arrived through /img/). */
const loadedImages = (page: Page) =>
  page.evaluate(() => [...document.querySelectorAll<HTMLImageElement>('main.consult img')].filter((img) => img.complete && img.naturalWidth > 0).map((img) => img.dataset.imageId));

beforeAll(async () => {
  ({ fr, en } = await practiceWithPatients(dataDir));
  serve = await startServe({ dataDir });
  db = await openDatabase({ client: 'sqlite', filename: `${dataDir}/cusp.sqlite` });
  const signedInChair = await signedIn(serve, browsers, 'dr.lavoie');
  chair = signedInChair.page;
  // The consultation page in a second window of the same browser: same session cookie.
  consult = await signedInChair.browser.context.newPage();
  await consult.goto(`${serve.origin}/consult`);
  await consult.locator('main.consult[data-state="waiting"]').waitFor();
}, 180_000);

afterAll(async () => {
  for (const browser of browsers) await browser.close();
  await serve?.stop();
  await db?.close();
});

describe('consultation screen', () => {
  it('shows a radiograph pushed from the chart, and nothing else', async () => {
    await chair.goto(`${serve.origin}/#/patients/${fr.id}`);
    const panel = chair.locator('.share-panel');
    await panel.locator(`input[data-image-id="${fr.imageIds[0]}"]`).check();
    await panel.locator('button.primary').click();
    await expect.poll(() => state(consult), { timeout: 15_000 }).toBe('showing');
    expect(await consult.locator('main.consult').getAttribute('data-kind')).toBe('image');
    await expect.poll(() => loadedImages(consult), { timeout: 15_000 }).toEqual([fr.imageIds[0]]);
    expect(await consult.locator('main.consult img').getAttribute('src')).toBe(`/img/${fr.imageIds[0]}/view`);

    // Nothing of the shell: no navigation, header, status bar, patient list or search; no name.
    expect(await consult.locator('nav, header, .app-header, .status-bar, .patient-list, input, a, button').count()).toBe(0);
    const text = await consult.locator('body').innerText();
    expect(text).not.toMatch(/Tremblay|Hélène|Walsh/);
    expect(text).toMatch(/Radiographie intrabuccale/);
    // The look: a dark neutral background.
    const background = await consult.locator('main.consult').evaluate((el) => getComputedStyle(el).backgroundColor);
    expect(background).toBe('rgb(17, 20, 22)');
    await shot(consult, 'image-fr');

    // The pixels went through the audited image route, as this chair's user.
    const views = await db.knex('audit_log').where({ action: 'image.view', image_id: fr.imageIds[0] }).select('user_id');
    const dentist = (await db.knex('users').where({ username: 'dr.lavoie' }).first('id')).id;
    expect(views.map((v) => v.user_id)).toContain(dentist);
    const shows = await db.knex('audit_log').where({ action: 'consult.show', patient_id: fr.id }).count<{ n: number }[]>({ n: '*' });
    expect(Number(shows[0]!.n)).toBe(1);
  });

  it('compares two radiographs side by side, and shows the plan in the patient’s language', async () => {
    const panel = chair.locator('.share-panel');
    await panel.locator(`input[data-image-id="${fr.imageIds[1]}"]`).check();
    await panel.locator('button.primary').click();
    await expect.poll(() => consult.locator('main.consult').getAttribute('data-kind')).toBe('compare');
    await expect.poll(() => loadedImages(consult), { timeout: 15_000 }).toEqual(fr.imageIds);
    await shot(consult, 'compare-fr');

    // An English-speaking patient's plan is shown in English, whatever the chair's language.
    expect(await rpc(chair, 'consult.show', { kind: 'plan', planId: en.planId })).toMatchObject({ ok: true });
    await expect.poll(() => consult.locator('main.consult').getAttribute('data-kind')).toBe('plan');
    const plan = await consult.locator('.consult-plan').innerText();
    expect(plan).toContain('Your treatment plan');
    expect(plan).toContain('Ceramic crown');
    expect(plan).toMatch(/\$1,350\.00/);
    expect(await consult.locator('.consult-plan').getAttribute('lang')).toBe('en');
    await shot(consult, 'plan-en');
  });

  it('draws the saved annotations over the radiograph when the chair asks for them', async () => {
    const [w, h] = [1000, 800];
    const saved = await rpc(chair, 'annotations.save', {
      imageId: fr.imageIds[0],
      tool: 'EllipticalROI',
      geometry: { points: [[w * 0.3, h * 0.5], [w * 0.4, h * 0.4], [w * 0.5, h * 0.5], [w * 0.4, h * 0.6]] },
      label: 'Carie 46',
    });
    expect(saved).toMatchObject({ ok: true });
    expect(await rpc(chair, 'consult.show', { kind: 'image', imageId: fr.imageIds[0], annotations: true })).toMatchObject({ ok: true });
    await expect.poll(() => consult.locator('svg.consult-annotations ellipse').count()).toBe(1);
    expect(await consult.locator('svg.consult-annotations text').textContent()).toBe('Carie 46');
    await expect.poll(() => loadedImages(consult), { timeout: 15_000 }).toEqual([fr.imageIds[0]]);
    await shot(consult, 'annotations');
    // Without the option, the same image comes without them.
    expect(await rpc(chair, 'consult.show', { kind: 'image', imageId: fr.imageIds[0] })).toMatchObject({ ok: true });
    await expect.poll(() => consult.locator('svg.consult-annotations').count()).toBe(0);
  });

  it('blanks when the chair clears it', async () => {
    await chair.locator('.share-panel').locator('button', { hasText: /Effacer l.écran|Clear the screen/ }).click();
    await expect.poll(() => state(consult)).toBe('waiting');
    expect(await consult.locator('main.consult img, .consult-plan').count()).toBe(0);
  });

  it('blanks when the chair locks, and does not bring the image back on unlock', async () => {
    expect(await rpc(chair, 'consult.show', { kind: 'image', imageId: fr.imageIds[0] })).toMatchObject({ ok: true });
    await expect.poll(() => state(consult)).toBe('showing');
    expect(await rpc(chair, 'auth.lock', {})).toMatchObject({ ok: true });
    await expect.poll(() => state(consult)).toBe('blank');
    expect(await consult.locator('main.consult img').count()).toBe(0);
    await shot(consult, 'locked');
    expect(await rpc(chair, 'auth.signIn', { username: 'dr.lavoie', password: demoPassword })).toMatchObject({ ok: true });
    await expect.poll(() => state(consult)).toBe('waiting');
    expect(await consult.locator('main.consult img').count()).toBe(0);
  });

  it('shows nothing on a consultation page without the chair’s session', async () => {
    // Another browser profile: the Cusp token but not this chair's session cookie.
    const stranger = (await signedIn(serve, browsers, null)).page;
    await stranger.goto(`${serve.origin}/consult`);
    await expect.poll(() => state(stranger)).toBe('waiting');
    expect(await rpc(chair, 'consult.show', { kind: 'image', imageId: fr.imageIds[0] })).toMatchObject({ ok: true });
    await expect.poll(() => state(consult)).toBe('showing');
    // Give the stranger's page every chance to receive something.
    await stranger.waitForTimeout(1500);
    expect(await state(stranger)).toBe('waiting');
    expect(await stranger.locator('img').count()).toBe(0);
    expect(await rpc(stranger, 'consult.display', {})).toMatchObject({ ok: true, value: { content: null } });
    // Even signed in as someone else, that browser's display is its own.
    expect(await rpc(stranger, 'auth.signIn', { username: 'hyg.roy', password: demoPassword })).toMatchObject({ ok: true });
    expect(await rpc(stranger, 'consult.display', {})).toMatchObject({ ok: true, value: { content: null } });
    await shot(stranger, 'stranger');
  });
});
