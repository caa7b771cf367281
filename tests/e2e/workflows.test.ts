// Pins down the front desk's workflows in Debian's headless Chromium against the real
// `cusp serve`: a new data folder opens on the welcome screen; creating the practice signs its
// administrator in; sign-out and a wrong password behave; the admin sets up chairs, a provider
// and a front-desk account; the front desk switches in, cannot reach clinical screens (main
// refuses them too), creates "Hélène Tremblay" with per-field validation, finds her as
// "helene", books her on the schedule grid, sees a double booking refused in words, moves the
// appointment by dragging it to another chair and takes it to completed in one click each;
// locking blanks the consultation page. A second folder loads the demo practice. Every main
// screen is saved to test-results/screenshots/ in French or English.
import type { Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, screenshotPath, type Chromium } from '../support/chromium.js';
import { startServe, type ServeProcess } from '../support/serve.js';

const adminPassword = 'admin-pass-2026';
const frontPassword = 'accueil-pass-2026';

let browser: Chromium;
const problems: string[] = [];

beforeAll(async () => {
  // The demo clinic keeps Eastern hours; the schedule shows the browser's local day.
  browser = await launchChromium({ timezoneId: 'America/Toronto', locale: 'fr-CA' });
});
afterAll(async () => browser?.close());

async function openPage(): Promise<Page> {
  const page = await browser.context.newPage();
  page.on('console', (message) => message.type() === 'error' && problems.push(message.text()));
  page.on('pageerror', (error) => problems.push(error.message));
  return page;
}

const heading = (page: Page) => page.locator('h1').first();
const shot = (page: Page, name: string) => page.screenshot({ path: screenshotPath(`workflows-${name}`), fullPage: true });

/** Calls the contract from the page, with its cookie session: what main answers that browser. */
async function callFromPage(page: Page, method: string, input: unknown): Promise<{ ok: boolean; error?: { code: string } }> {
  return page.evaluate(
    async ([m, i]) => (await fetch('/rpc', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ method: m, input: i }) })).json(),
    [method, input] as const,
  );
}

async function openUserMenu(page: Page, item: string): Promise<void> {
  await page.locator('.user-button').click();
  await page.locator('.user-menu-items').getByRole('button', { name: item }).click();
}

/** The day column of a chair and the 15-minute slot starting at `hour:minute` (the grid starts at 7:00). */
function slot(page: Page, column: number, hour: number, minute = 0): Locator {
  const index = (hour - 7) * 4 + minute / 15;
  return page.locator('.rbc-time-content .rbc-day-slot').nth(column).locator('.rbc-time-slot').nth(index);
}

/** A `cusp serve` on a new data folder and a tab on it, for one describe block. */
function freshPractice(): { serve: ServeProcess; page: Page } {
  const current = {} as { serve: ServeProcess; page: Page };
  beforeAll(async () => {
    current.serve = await startServe();
    current.page = await openPage();
  });
  afterAll(async () => {
    // The tab first: its event stream would otherwise retry against the stopped server.
    await current.page?.close();
    await current.serve?.stop();
  });
  return current;
}

describe('a new practice, from first run to the front desk', () => {
  const practice = freshPractice();
  let serve: ServeProcess;
  let page: Page;
  let consult: Page;
  beforeAll(() => {
    ({ serve, page } = practice);
  });

  it('opens a new data folder on the welcome screen, in the workstation language', async () => {
    await page.goto(serve.url);
    await expect.poll(() => heading(page).textContent()).toBe('Bienvenue dans Cusp');
    expect(await page.getByRole('heading', { name: 'Créer la clinique' }).count()).toBe(1);
    expect(await page.getByRole('button', { name: 'Charger la clinique de démonstration' }).count()).toBe(1);
    expect(await page.getByRole('navigation').count()).toBe(0);
    await shot(page, 'welcome-fr');
    // Nothing but first run and sign-in answers before anyone is signed in.
    expect(await callFromPage(page, 'patients.search', { query: 'a' })).toMatchObject({ ok: false, error: { code: 'UNAUTHENTICATED' } });
  });

  it('checks the setup form field by field, then creates the practice and signs its admin in', async () => {
    await page.getByLabel('Langue').selectOption('en');
    await expect.poll(() => heading(page).textContent()).toBe('Welcome to Cusp');
    const form = page.locator('form', { has: page.getByRole('heading', { name: 'Create the practice' }) });
    await form.getByLabel('User name').fill('Marie Admin');
    await form.getByLabel('Password', { exact: true }).fill('short');
    await form.getByRole('button', { name: 'Create the practice' }).click();
    expect(await form.locator('.field-error').allTextContents()).toEqual([
      'Required.',
      'Required.',
      'Use 2 to 40 lowercase letters, digits, dots, dashes or underscores.',
      'At least 10 characters.',
      'The two passwords differ.',
    ]);
    expect(await form.getByLabel('Practice name').getAttribute('aria-invalid')).toBe('true');
    await shot(page, 'setup-errors-en');

    await form.getByLabel('Practice name').fill('Clinique dentaire du Parc');
    await form.getByLabel('Full name').fill('Marie Gagnon');
    await form.getByLabel('User name').fill('marie.admin');
    await form.getByLabel('Password', { exact: true }).fill(adminPassword);
    await form.getByLabel('Password again').fill(adminPassword);
    await form.getByRole('button', { name: 'Create the practice' }).click();
    await expect.poll(() => page.locator('.user-name').textContent()).toBe('Marie Gagnon');
    expect(await page.locator('.user-role').textContent()).toBe('Administrator');
    expect(await page.getByRole('navigation', { name: 'Main navigation' }).getByRole('link').allTextContents()).toEqual([
      'Patients', 'Schedule', 'Imaging inbox', 'Settings',
    ]);
    // First run is over: nobody can set the practice up again.
    expect(await callFromPage(page, 'auth.setupPractice', { practiceName: 'X', admin: { username: 'x.y', displayName: 'X', password: 'xxxxxxxxxxxx' } })).toMatchObject({
      ok: false, error: { code: 'CONFLICT' },
    });
  });

  it('signs out, refuses a wrong password in words, and signs back in', async () => {
    await openUserMenu(page, 'Sign out');
    await expect.poll(() => heading(page).textContent()).toBe('Sign in');
    expect(await page.locator('.auth-main .lead').textContent()).toBe('Clinique dentaire du Parc');
    await page.getByLabel('User name').fill('marie.admin');
    await page.getByLabel('Password').fill('not-my-password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.locator('.form-error').textContent()).toBe('Wrong user name or password.');
    expect(await page.getByLabel('Password').inputValue()).toBe('');
    await shot(page, 'sign-in-error-en');
    await page.getByLabel('Password').fill(adminPassword);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.locator('.user-name').textContent()).toBe('Marie Gagnon');
  });

  it('lets the admin add chairs, a provider and a front-desk account', async () => {
    await page.getByRole('link', { name: 'Settings' }).click();
    const chairs = page.locator('section', { has: page.getByRole('heading', { name: 'Chairs' }) });
    for (const [name, ae] of [['Room 1', 'IO_ROOM1'], ['Room 2', 'IO_ROOM2']]) {
      await chairs.getByLabel('Name').fill(name!);
      await chairs.getByLabel('AE titles of the sensors').fill(ae!);
      await chairs.getByRole('button', { name: 'Add the chair' }).click();
      await expect.poll(() => chairs.locator('.plain-list').textContent()).toContain(name);
    }
    const providers = page.locator('section', { has: page.getByRole('heading', { name: 'Providers' }) });
    await providers.getByLabel('Name shown on the schedule').fill('Dre Lavoie');
    await providers.getByRole('button', { name: 'Add the provider' }).click();
    await expect.poll(() => providers.locator('.plain-list').textContent()).toContain('Dre Lavoie');

    const users = page.locator('section', { has: page.getByRole('heading', { name: 'Users' }) });
    await users.getByLabel('Full name').fill('Sophie Accueil');
    await users.getByLabel('User name').fill('accueil');
    await users.getByLabel('Role').selectOption('frontdesk');
    await users.getByLabel('Password', { exact: true }).fill(frontPassword);
    await users.getByLabel('Password again').fill(frontPassword);
    await users.getByRole('button', { name: 'Create the user' }).click();
    await expect.poll(() => users.getByRole('status').textContent()).toBe('User accueil created. They can sign in now.');
    await expect.poll(() => users.locator('tbody tr').count()).toBe(2);
    await shot(page, 'settings-admin-en');
  });

  it('switches to the front desk, who sees no clinical screen and is refused clinical calls', async () => {
    await openUserMenu(page, 'Switch user');
    const dialog = page.getByRole('dialog', { name: 'Switch user' });
    await dialog.getByLabel('User name').fill('accueil');
    await dialog.getByLabel('Password').fill(frontPassword);
    await dialog.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.locator('.user-name').textContent()).toBe('Sophie Accueil');
    expect(await page.locator('.user-role').textContent()).toBe('Front desk');
    expect(await page.getByRole('navigation', { name: 'Main navigation' }).getByRole('link').allTextContents()).toEqual(['Patients', 'Schedule', 'Settings']);
    expect(await page.getByRole('heading', { name: 'Users' }).count()).toBe(0);

    await page.goto(`${serve.origin}/#/inbox`);
    await expect.poll(() => heading(page).textContent()).toBe('Not available for your role');
    await shot(page, 'forbidden-frontdesk-en');
    // The menu only hides; main is what refuses.
    expect(await callFromPage(page, 'treatment.createPlan', { patientId: '00000000-0000-4000-8000-000000000000', title: 'x' })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    expect(await callFromPage(page, 'users.list', {})).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
  });

  it('creates Hélène Tremblay with each field checked, and opens her chart without clinical sections', async () => {
    await page.goto(`${serve.origin}/#/patients`);
    await page.getByRole('link', { name: 'New patient' }).click();
    await expect.poll(() => heading(page).textContent()).toBe('New patient');
    await page.getByLabel('E-mail').fill('helene@');
    await page.getByRole('button', { name: 'Save' }).click();
    const errors = page.locator('.field-error');
    expect(await errors.allTextContents()).toEqual(['Required.', 'Required.', 'Enter an e-mail address like name@example.com.']);
    expect(await page.getByLabel('Last name').getAttribute('aria-invalid')).toBe('true');
    await shot(page, 'patient-form-errors-en');

    await page.getByLabel('Last name').fill('Tremblay');
    await page.getByLabel('First name').fill('Hélène');
    await page.getByLabel('Date of birth').fill('1984-03-09');
    await page.getByLabel('Sex').selectOption('F');
    await page.getByLabel('Phone').fill('418 555-0142');
    await page.getByLabel('E-mail').fill('helene.tremblay@example.com');
    await page.getByRole('button', { name: 'Save' }).click();
    await expect.poll(() => heading(page).textContent()).toBe('Tremblay, Hélène');
    expect(await page.locator('.chart-header .lead').textContent()).toMatch(/^Chart \S+ · \d+ years · Français$/);
    expect(await page.getByRole('heading', { name: 'Identity and contact' }).count()).toBe(1);
    expect(await page.getByRole('heading', { name: 'Imaging' }).count()).toBe(1);
    expect(await page.getByRole('heading', { name: 'Treatment plans' }).count()).toBe(0);
    expect(await page.locator('.alerts').textContent()).toContain('No consent recorded yet.');
    await shot(page, 'chart-frontdesk-en');
  });

  it('finds her as "helene", accents and case ignored', async () => {
    await page.getByRole('link', { name: 'Patients' }).click();
    await page.getByLabel('Search patients').fill('helene');
    await expect.poll(() => page.locator('.data-table tbody tr').count()).toBe(1);
    expect(await page.locator('.data-table tbody tr td').first().textContent()).toBe('Tremblay, Hélène');
    expect(await page.locator('.result-count').textContent()).toBe('Patients found: 1');
    await page.getByLabel('Search patients').fill('TREMB hél');
    await expect.poll(() => page.locator('.data-table tbody tr').count()).toBe(1);
    await page.getByLabel('Search patients').fill('helene x');
    await expect.poll(() => page.locator('.result-count').textContent()).toBe('Patients found: 0');
    await page.getByLabel('Search patients').fill('helene');
    await expect.poll(() => page.locator('.data-table tbody tr').count()).toBe(1);
    await shot(page, 'search-en');
  });

  it('books her by clicking an empty slot of Room 1', async () => {
    await page.getByRole('link', { name: 'Schedule' }).click();
    await expect.poll(() => page.locator('.rbc-row-resource .rbc-header').allTextContents()).toEqual(['Room 1', 'Room 2']);
    // The events layer lies over the slots; rbc selects from where the pointer goes down.
    await slot(page, 0, 9).click({ force: true });
    const dialog = page.getByRole('dialog');
    await expect.poll(() => dialog.getByLabel('Start').inputValue()).toBe('09:00');
    await dialog.getByRole('button', { name: 'Book' }).click();
    expect(await dialog.locator('.field-error').textContent()).toBe('Search and pick a patient.');
    await dialog.getByLabel('Patient').fill('helene');
    await dialog.getByRole('button', { name: /Tremblay, Hélène/ }).click();
    await dialog.getByLabel('Reason').fill('Examen annuel');
    await shot(page, 'booking-en');
    await dialog.getByRole('button', { name: 'Book' }).click();
    await expect.poll(() => page.locator('.rbc-day-slot').nth(0).locator('.appointment-patient').allTextContents()).toEqual(['Tremblay, Hélène']);
    expect(await page.getByRole('dialog').count()).toBe(0);
  });

  it('refuses a double booking of Room 1 with a clear message', async () => {
    await slot(page, 0, 11).click({ force: true });
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Patient').fill('tremblay');
    await dialog.getByRole('button', { name: /Tremblay, Hélène/ }).click();
    await dialog.getByLabel('Start').fill('09:15');
    await dialog.getByRole('button', { name: 'Book' }).click();
    const alert = dialog.locator('[role="alert"][data-code="CONFLICT"]');
    await expect.poll(() => alert.textContent()).toContain('This chair is already booked at that time. Nothing was changed: choose another time or chair.');
    await shot(page, 'double-booking-en');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    expect(await page.locator('.appointment-patient').count()).toBe(1);
  });

  it('moves the appointment to Room 2 by dragging it', async () => {
    const event = page.locator('.rbc-event').first();
    const from = (await event.boundingBox())!;
    const to = (await slot(page, 1, 10).boundingBox())!;
    // Grab the event a little below its top and drop it with the same offset below 10:00 in Room 2.
    const grab = { x: from.x + from.width / 2, y: from.y + 6 };
    const drop = { x: to.x + to.width / 2, y: to.y + 6 };
    await page.mouse.move(grab.x, grab.y);
    await page.mouse.down();
    for (let i = 1; i <= 10; i += 1) await page.mouse.move(grab.x + ((drop.x - grab.x) * i) / 10, grab.y + ((drop.y - grab.y) * i) / 10);
    await page.mouse.up();
    await expect.poll(() => page.locator('.rbc-day-slot').nth(1).locator('.appointment-patient').count()).toBe(1);
    expect(await page.locator('.rbc-day-slot').nth(0).locator('.appointment-patient').count()).toBe(0);
    expect(await page.locator('.appointment-time').textContent()).toBe('10:00 AM–10:30 AM');
  });

  it('takes it through arrived, in chair and completed, one click each', async () => {
    await page.locator('.rbc-event').first().click();
    const panel = page.locator('.appointment-panel');
    await expect.poll(() => panel.locator('h2').textContent()).toBe('Tremblay, Hélène');
    for (const status of ['Arrived', 'In chair', 'Completed']) {
      await panel.getByRole('button', { name: status, exact: true }).click();
      await expect.poll(() => panel.locator('.badge').textContent()).toBe(status);
    }
    expect(await page.locator('.rbc-event').first().getAttribute('class')).toContain('status-completed');
    await shot(page, 'schedule-en');
  });

  it('locks: the lock screen names the user, the consultation page goes blank, the password unlocks', async () => {
    consult = await openPage();
    await consult.goto(`${serve.origin}/consult`);
    await expect.poll(() => consult.locator('main.consult').getAttribute('data-state')).toBe('waiting');
    await expect.poll(() => page.locator('.status-bar [data-connection]').getAttribute('data-connection')).toBe('live');
    await openUserMenu(page, 'Lock now');
    await expect.poll(() => heading(page).textContent()).toBe('Session locked');
    expect(await page.locator('.auth-main .lead').textContent()).toBe('Sophie Accueil, enter your password to continue.');
    await expect.poll(() => consult.locator('main.consult').getAttribute('data-state')).toBe('blank');
    expect(await callFromPage(page, 'patients.search', { query: 'h' })).toMatchObject({ ok: false, error: { code: 'UNAUTHENTICATED' } });
    await shot(page, 'lock-en');
    await page.getByLabel('Password').fill(frontPassword);
    await page.getByRole('button', { name: 'Unlock' }).click();
    await expect.poll(() => page.locator('.user-name').textContent()).toBe('Sophie Accueil');
    await expect.poll(() => consult.locator('main.consult').getAttribute('data-state')).toBe('waiting');
    await consult.close();
  });

  it('lets the front desk change her own password, checking the current one', async () => {
    await page.getByRole('link', { name: 'Settings' }).click();
    const card = page.locator('section', { has: page.getByRole('heading', { name: 'My password' }) });
    const fill = async (current: string, next: string) => {
      await card.getByLabel('Current password').fill(current);
      await card.getByLabel('New password').fill(next);
      await card.getByLabel('Password again').fill(next);
      await card.getByRole('button', { name: 'Change my password' }).click();
    };
    await fill('not-my-password', 'accueil-pass-2027');
    await expect.poll(() => card.locator('.form-error').textContent()).toBe('The current password is wrong.');
    await fill(frontPassword, 'accueil-pass-2027');
    await expect.poll(() => card.getByRole('status').textContent()).toBe('Your password has been changed.');
    expect(await callFromPage(page, 'auth.changePassword', { current: 'accueil-pass-2027', next: frontPassword })).toMatchObject({ ok: true });
  });

  it('shows the chart and schedule in French too', async () => {
    await page.getByLabel('Language').selectOption('fr');
    await page.getByRole('link', { name: 'Patients' }).click();
    await page.getByLabel('Rechercher un patient').fill('hélène');
    await page.getByRole('link', { name: 'Tremblay, Hélène' }).click();
    await expect.poll(() => page.getByRole('heading', { name: 'Rendez-vous' }).count()).toBe(1);
    expect(await page.locator('.appointment-list .badge').textContent()).toBe('Terminé');
    await shot(page, 'chart-frontdesk-fr');
    await page.getByRole('link', { name: 'Prendre rendez-vous' }).click();
    await expect.poll(() => heading(page).textContent()).toBe('Agenda');
    await expect.poll(() => page.locator('.rbc-event').count()).toBe(1);
    // Booking from the chart: the dialog already names the patient.
    await slot(page, 0, 14).click({ force: true });
    await expect.poll(() => page.getByRole('dialog').locator('.chosen strong').textContent()).toBe('Tremblay, Hélène');
    await page.getByRole('dialog').getByRole('button', { name: 'Annuler' }).click();
    expect(await page.locator('.appointment-status').textContent()).toBe('Terminé');
    await shot(page, 'schedule-fr');
    expect(problems).toEqual([]);
  });
});

describe('the demo practice', () => {
  const practice = freshPractice();
  let serve: ServeProcess;
  let page: Page;
  beforeAll(() => {
    ({ serve, page } = practice);
  });

  it('loads from the welcome screen and signs in with a demo account', async () => {
    await page.goto(serve.url);
    await page.getByRole('button', { name: 'Charger la clinique de démonstration' }).click();
    const done = page.locator('.demo-card [role="status"]');
    await expect.poll(() => done.textContent(), { timeout: 60_000 }).toMatch(/Clinique de démonstration prête : 200 patients/);
    expect(await done.locator('td.path').allTextContents()).toContain('accueil');
    await shot(page, 'demo-loaded-fr');
    const password = (await done.locator('caption').textContent())!.split('mot de passe ')[1]!;
    await page.getByRole('button', { name: 'Continuer vers la connexion' }).click();
    await expect.poll(() => heading(page).textContent()).toBe('Connexion');
    expect(await page.locator('.demo-notice').textContent()).toBe('Clinique de démonstration : tous les patients sont fictifs.');
    await page.getByLabel('Nom d’utilisateur').fill('dr.lavoie');
    await page.getByLabel('Mot de passe').fill(password);
    await page.getByRole('button', { name: 'Se connecter' }).click();
    await expect.poll(() => page.locator('.user-role').textContent()).toBe('Dentiste');
  });

  it('shows a busy week of the demo schedule, one column per chair', async () => {
    await page.getByRole('link', { name: 'Agenda' }).click();
    await expect.poll(() => page.locator('.rbc-row-resource .rbc-header').count()).toBe(4);
    // Demo appointments fill Monday to Friday of this week: go to a weekday that has them.
    const label = page.locator('.rbc-toolbar-label');
    for (let i = 0; i < 7 && (await page.locator('.rbc-event').count()) === 0; i += 1) {
      const before = await label.textContent();
      await page.getByRole('button', { name: 'Précédent' }).click();
      await expect.poll(() => label.textContent()).not.toBe(before);
      await expect.poll(() => page.locator('.calendar-frame').getAttribute('aria-busy')).not.toBe('true');
    }
    expect(await page.locator('.rbc-event').count()).toBeGreaterThan(5);
    await shot(page, 'demo-schedule-fr');
  });

  it('shows a dentist the treatment plans of a chart', async () => {
    await page.locator('.rbc-event').first().click();
    await page.locator('.appointment-panel h2 a').click();
    await expect.poll(() => page.getByRole('heading', { name: 'Plans de traitement' }).count()).toBe(1);
    await shot(page, 'demo-chart-dentist-fr');
    expect(problems).toEqual([]);
  });
});
