// Pins down the renderer shell against the real `cusp serve` in Debian's headless Chromium:
// it opens in French (the workstation's language), switches to English and remembers it, shows
// live health from the server, navigates by keyboard, shows contract errors translated; and the
// HTTP transport refuses what it must (no token, wrong Host, bad input, unknown methods).
import { request } from 'node:http';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, screenshotPath, type Chromium } from '../support/chromium.js';
import { startServe, type ServeProcess } from '../support/serve.js';

let serve: ServeProcess;
let browser: Chromium;
let page: Page;
const consoleErrors: string[] = [];

beforeAll(async () => {
  serve = await startServe();
  browser = await launchChromium();
  page = await browser.context.newPage();
  page.on('console', (message) => {
    if (message.type() === 'error') consoleErrors.push(message.text());
  });
  page.on('pageerror', (error) => consoleErrors.push(error.message));
});

afterAll(async () => {
  await browser?.close();
  await serve?.stop();
});

async function rpc(method: unknown, input: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(`${serve.origin}/rpc`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${serve.token}`, ...headers },
    body: JSON.stringify({ method, input }),
  });
  return { status: response.status, body: (await response.json()) as { ok: boolean; value?: unknown; error?: { code: string } } };
}

describe('the shell in Chromium', () => {
  it('opens from the printed URL in French, with the CSP on the page and no console errors', async () => {
    const response = await page.goto(serve.url);
    // The token in the address was traded for a cookie and dropped from the address bar.
    expect(new URL(page.url()).search).toBe('');
    const csp = response?.headers()['content-security-policy'] ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");

    // A new data folder opens on the welcome screen (first run is pinned down in workflows.test.ts):
    // set the practice up from this browser's session, which signs its administrator in.
    await expect.poll(() => page.locator('h1').textContent()).toBe('Bienvenue dans Cusp');
    const setup = await page.evaluate(async () => {
      const input = { practiceName: 'Clinique', admin: { username: 'admin', displayName: 'Admin', password: 'shell-test-password' } };
      const response = await fetch('/rpc', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ method: 'auth.setupPractice', input }) });
      return response.json();
    });
    expect(setup).toMatchObject({ ok: true, value: { session: { state: 'signedIn' } } });
    await page.reload();
    await expect.poll(() => page.locator('h1').textContent()).toBe('Patients');
    expect(await page.locator('html').getAttribute('lang')).toBe('fr');
    const nav = page.getByRole('navigation', { name: 'Navigation principale' });
    expect(await nav.getByRole('link').allTextContents()).toEqual(['Patients', 'Agenda', 'Images à classer', 'Réglages']);
    expect(await nav.getByRole('link', { name: 'Patients' }).getAttribute('aria-current')).toBe('page');
    expect(await page.title()).toBe('Patients — Cusp');
    expect(consoleErrors).toEqual([]);
  });

  it('shows the server health in the status bar, live over server-sent events', async () => {
    const bar = page.getByRole('contentinfo', { name: 'État du système' });
    // A fresh data folder runs on the embedded SQLite database at once; no Orthanc is configured.
    // Every component shows the state the server itself reports.
    const { body } = await rpc('app.health', {});
    const health = body.value as Record<'database' | 'store' | 'orthanc', { state: string }>;
    expect(health.database.state).toBe('ok');
    const words: Record<string, string> = { ok: 'Opérationnel', unconfigured: 'Non configuré', unavailable: 'Indisponible' };
    for (const part of ['database', 'store', 'orthanc'] as const) {
      await expect.poll(() => bar.locator(`[data-component="${part}"]`).getAttribute('data-state')).toBe(health[part].state);
      expect(await bar.locator(`[data-component="${part}"] .status-value`).textContent()).toBe(words[health[part].state]);
    }
    expect(health.orthanc.state).toBe('unconfigured');
    expect(await bar.locator('[data-component="ingest"] .status-value').textContent()).toBe(
      '0 en attente · 0 en échec · 0 en quarantaine · 0 à envoyer',
    );
    expect(await bar.locator('[data-status]').textContent()).toBe('Aucun problème');
    await expect.poll(() => bar.locator('[data-connection]').getAttribute('data-connection')).toBe('live');
    await page.screenshot({ path: screenshotPath('shell-fr'), fullPage: true });
  });

  it('navigates by keyboard and moves the focus to the new page title', async () => {
    await page.getByRole('link', { name: 'Agenda' }).focus();
    await page.keyboard.press('Enter');
    await expect.poll(() => page.locator('h1').textContent()).toBe('Agenda');
    expect(new URL(page.url()).hash).toBe('#/schedule');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('page-title');
    expect(await page.title()).toBe('Agenda — Cusp');
  });

  it('shows the real app.info of this workstation in Settings', async () => {
    await page.getByRole('link', { name: 'Réglages' }).click();
    // The "About this workstation" card (an administrator also sees the image store's facts).
    await expect.poll(() => page.locator('section[aria-labelledby="about-title"] .facts').textContent()).toContain(serve.dataDir);
    await page.screenshot({ path: screenshotPath('settings-fr'), fullPage: true });
  });

  it('switches to English, and the choice survives a reload', async () => {
    await page.getByLabel('Langue').selectOption('en');
    await expect.poll(() => page.locator('html').getAttribute('lang')).toBe('en');
    expect(await page.locator('h1').textContent()).toBe('Settings');
    expect(await page.getByRole('navigation', { name: 'Main navigation' }).getByRole('link').allTextContents()).toEqual([
      'Patients',
      'Schedule',
      'Imaging inbox',
      'Settings',
    ]);

    await page.goto(`${serve.origin}/#/patients`);
    await expect.poll(() => page.locator('h1').textContent()).toBe('Patients');
    expect(await page.locator('html').getAttribute('lang')).toBe('en');
    const bar = page.getByRole('contentinfo', { name: 'System status' });
    await expect.poll(() => bar.locator('[data-component="database"] .status-value').textContent()).toBe('Working');
    await page.screenshot({ path: screenshotPath('shell-en'), fullPage: true });
  });

  it('calls app.info through the HTTP transport from the page (cookie)', async () => {
    const result = await page.evaluate(async () => {
      const response = await fetch('/rpc', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        credentials: 'same-origin',
        body: JSON.stringify({ method: 'app.info', input: {} }),
      });
      return response.json();
    });
    expect(result).toMatchObject({ ok: true, value: { name: 'Cusp', dataDir: serve.dataDir, language: 'fr' } });
  });

  it('updates the status bar from an app.health event, in words and colour', async () => {
    const degraded = {
      status: 'degraded',
      checkedAt: new Date().toISOString(),
      database: { state: 'ok' },
      store: { state: 'unavailable', message: 'The bucket cannot be reached' },
      orthanc: { state: 'unconfigured' },
      ingest: { queued: 3, failed: 1, quarantined: 0, outbox: 2 },
    };
    const tab = await browser.context.newPage();
    let initialShown!: () => void;
    const shown = new Promise<void>((resolve) => (initialShown = resolve));
    // The real server answers the first app.health call; the event stream is held until that
    // answer is on screen, then delivers one event, so what changes can only come from the event.
    await tab.route('**/events', async (route) => {
      await shown;
      await route.fulfill({ status: 200, contentType: 'text/event-stream', body: `event: app.health\ndata: ${JSON.stringify(degraded)}\n\n` });
    });
    try {
      await tab.goto(`${serve.origin}/#/inbox`);
      const store = tab.locator('.status-bar [data-component="store"]');
      await expect.poll(() => store.getAttribute('data-state')).toBe('ok');
      initialShown();
      await expect.poll(() => store.getAttribute('data-state')).toBe('unavailable');
      expect(await store.locator('.status-value').textContent()).toBe('Unavailable');
      expect(await store.getAttribute('title')).toBe('The bucket cannot be reached');
      expect(await store.locator('.status-value').evaluate((el) => getComputedStyle(el).color)).toBe('rgb(180, 35, 24)');
      expect(await tab.locator('.status-bar [data-component="database"] .status-value').textContent()).toBe('Working');
      expect(await tab.locator('.status-bar [data-status]').textContent()).toBe('Something needs attention');
      expect(await tab.locator('.status-bar [data-component="ingest"] .status-value').textContent()).toBe(
        '3 waiting · 1 failed · 0 quarantined · 2 to upload',
      );
      await tab.screenshot({ path: screenshotPath('status-degraded-en'), fullPage: true });
    } finally {
      await tab.close();
    }
  });

  it('offers a skip link as the first Tab stop', async () => {
    await page.goto(`${serve.origin}/#/patients`);
    // Only a fresh document starts with nothing focused (the goto above may change only the hash).
    await page.reload();
    await expect.poll(() => page.locator('h1').textContent()).toBe('Patients');
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Skip to main content');
    await page.keyboard.press('Enter');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('main');
  });

  it('serves /consult as the patient-facing page, without the shell', async () => {
    await page.goto(`${serve.origin}/consult?token=${serve.token}`);
    expect(new URL(page.url()).pathname).toBe('/consult');
    await expect.poll(() => page.locator('main.consult').textContent()).toContain('Your dentist will show your images and treatment here.');
    expect(await page.getByRole('navigation').count()).toBe(0);
    expect(await page.locator('.status-bar').count()).toBe(0);
    expect(await page.title()).toBe('Consultation screen — Cusp');
    await page.screenshot({ path: screenshotPath('consult-en') });
    await page.goto(`${serve.origin}/#/patients`);
    await expect.poll(() => page.locator('h1').textContent()).toBe('Patients');
  });

  it('shows a contract error as a translated message a person can act on', async () => {
    // Losing the token cookie (e.g. the server restarted with a new one) makes every call UNAUTHENTICATED.
    await browser.context.clearCookies();
    await page.getByRole('link', { name: 'Settings' }).click();
    const alert = page.getByRole('region', { name: 'This workstation' }).getByRole('alert');
    await expect.poll(() => alert.getAttribute('data-code')).toBe('UNAUTHENTICATED');
    expect(await alert.textContent()).toContain('open the address that “cusp serve” printed');
    expect(await alert.getByRole('button', { name: 'Try again' }).count()).toBe(1);
    await page.screenshot({ path: screenshotPath('error-en'), fullPage: true });
  });
});

describe('the HTTP transport of cusp serve', () => {
  it('answers app.info to a Bearer token', async () => {
    const { status, body } = await rpc('app.info', {});
    expect(status).toBe(200);
    expect(body).toMatchObject({ ok: true, value: { name: 'Cusp', dataDir: serve.dataDir } });
  });

  it('returns INVALID_INPUT for input that breaks the schema', async () => {
    expect((await rpc('app.info', { unexpected: true })).body).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT' } });
  });

  it.each(['app.nope', '__proto__', 'constructor', 'toString'])('refuses the unknown method %s', async (method) => {
    const { status, body } = await rpc(method, {});
    expect(status).toBe(200);
    expect(body).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT' } });
  });

  it('answers 401 without the token, and with a wrong one', async () => {
    const bare = await fetch(`${serve.origin}/rpc`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ method: 'app.info', input: {} }),
    });
    expect(bare.status).toBe(401);
    const wrong = await fetch(`${serve.origin}/rpc`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${'x'.repeat(serve.token.length)}` },
      body: JSON.stringify({ method: 'app.info', input: {} }),
    });
    expect(wrong.status).toBe(401);
    expect((await fetch(`${serve.origin}/`)).status).toBe(401);
  });

  it('refuses a request whose Host header names another server (DNS rebinding)', async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const port = Number(new URL(serve.origin).port);
      const req = request(
        { host: '127.0.0.1', port, path: '/rpc', method: 'POST', headers: { Host: `evil.example:${port}`, Authorization: `Bearer ${serve.token}`, 'Content-Type': 'application/json' } },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      req.end(JSON.stringify({ method: 'app.info', input: {} }));
    });
    expect(status).toBe(421);
  });
});
