// Pins down annotations as a clinician uses them on the real app (cusp serve + headless Chromium,
// a real radiograph imported by the real pipeline): a drawn length is saved through the contract
// and comes back after a reload with the same value; its label is edited (accents, non-latin);
// another clinician sees it read-only and their delete is refused (FORBIDDEN, audited); the image
// exports as PNG/JPEG with the drawing burned in (and nothing else changed) and as a GSPS that
// references the image; deleting it removes it for good.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../main/cli/index.js';
import { openDatabase, type Database } from '../../main/db/database.js';
import { loadImage } from '../../main/imaging/image.js';
import { render } from '../../main/imaging/render.js';
import { launchChromium, screenshotPath, type Chromium } from '../support/chromium.js';
import { dicomData, scratchDir } from '../support/paths.js';
import { startServe, type ServeProcess } from '../support/serve.js';

const dataDir = scratchDir('viewer-annotations');
const radiograph = dicomData('dental', 'IO_bitewing01_12bit_ExplicitVRLE.dcm');
let serve: ServeProcess;
const browsers: Chromium[] = [];
let db: Database;
let patientId: string;
let imageId: string;
const label = 'Carie mésiale — 龋齿';

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

async function openImage(page: Page): Promise<void> {
  await page.goto(`${serve.origin}/#/patients/${patientId}/images/${imageId}`);
  const viewer = page.locator('.cusp-viewer');
  await expect.poll(() => viewer.getAttribute('data-state'), { timeout: 30_000 }).toBe('ready');
}

const rows = (page: Page) => page.locator('.viewer-annotations li');
const liveAnnotations = () => db.knex('annotations').where({ image_id: imageId }).whereNull('deleted_at');

/** Fetches a URL in the page (its cookies) and returns status, type and bytes. */
async function fetchInPage(page: Page, url: string): Promise<{ status: number; type: string; bytes: Buffer }> {
  const result = await page.evaluate(async (u) => {
    const response = await fetch(u);
    const buffer = new Uint8Array(await response.arrayBuffer());
    let binary = '';
    for (let i = 0; i < buffer.length; i += 0x8000) binary += String.fromCharCode(...buffer.subarray(i, i + 0x8000));
    return { status: response.status, type: response.headers.get('content-type') ?? '', base64: btoa(binary) };
  }, url);
  return { status: result.status, type: result.type, bytes: Buffer.from(result.base64, 'base64') };
}

/** Drags with the left button between two points given as fractions of the viewer's canvas. */
async function drag(page: Page, from: [number, number], to: [number, number]): Promise<void> {
  const box = (await page.locator('.viewer-viewport canvas').first().boundingBox())!;
  await page.mouse.move(box.x + box.width * from[0], box.y + box.height * from[1]);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width * ((from[0] + to[0]) / 2), box.y + box.height * ((from[1] + to[1]) / 2), { steps: 5 });
  await page.mouse.move(box.x + box.width * to[0], box.y + box.height * to[1], { steps: 5 });
  await page.mouse.up();
}

/** Where the (one) drawn length is on the page: its two ends, from Cornerstone's SVG layer. */
async function lineOnPage(page: Page): Promise<{ start: [number, number]; end: [number, number]; middle: [number, number] }> {
  const found = await page.evaluate(() => {
    // The measured line; the dashed one links it to its text.
    const line = document.querySelector<SVGLineElement>('.viewer-viewport svg line:not([stroke-dasharray])');
    const svg = line?.ownerSVGElement;
    if (!line || !svg) return null;
    const box = svg.getBoundingClientRect();
    const at = (name: string) => Number(line.getAttribute(name));
    return [box.left + at('x1'), box.top + at('y1'), box.left + at('x2'), box.top + at('y2')] as const;
  });
  if (!found) throw new Error('no line drawn in the viewer');
  const [x1, y1, x2, y2] = found;
  return { start: [x1, y1], end: [x2, y2], middle: [(x1 + x2) / 2, (y1 + y2) / 2] };
}

async function dragPage(page: Page, from: [number, number], to: [number, number]): Promise<void> {
  await page.mouse.move(from[0], from[1]);
  await page.mouse.down();
  await page.mouse.move((from[0] + to[0]) / 2, (from[1] + to[1]) / 2, { steps: 5 });
  await page.mouse.move(to[0], to[1], { steps: 5 });
  await page.mouse.up();
}

function toSegment(p: [number, number], a: [number, number], b: [number, number]): number {
  const [dx, dy] = [b[0] - a[0], b[1] - a[1]];
  const t = Math.max(0, Math.min(1, ((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / (dx * dx + dy * dy)));
  return Math.hypot(p[0] - (a[0] + t * dx), p[1] - (a[1] + t * dy));
}

beforeAll(async () => {
  await cli('demo');
  db = await openDatabase({ client: 'sqlite', filename: `${dataDir}/cusp.sqlite` });
  patientId = (await db.knex('patients').orderBy('chart_number').first('id')).id;
  await cli('import', radiograph, '--patient', patientId);
  imageId = (await db.knex('images').where({ patient_id: patientId }).first('id')).id;
  serve = await startServe({ dataDir });
}, 120_000);

afterAll(async () => {
  for (const browser of browsers) await browser.close();
  await serve?.stop();
  await db?.close();
});

describe('viewer annotations through the contract', () => {
  let lavoie: Page;
  let value: string;

  it('saves a drawn length and shows it again after a reload with the same value', async () => {
    lavoie = await signedInPage('dr.lavoie');
    await openImage(lavoie);
    await lavoie.locator('[data-tool="length"]').click();
    // Measuring loads the lossless master first.
    await expect.poll(() => lavoie.locator('.cusp-viewer').getAttribute('data-variant'), { timeout: 30_000 }).toBe('master');
    await drag(lavoie, [0.35, 0.4], [0.65, 0.6]);

    await expect.poll(() => rows(lavoie).getAttribute('data-state'), { timeout: 15_000 }).toBe('saved');
    value = (await rows(lavoie).locator('output').textContent())!;
    expect(value).toMatch(/\d/);
    const saved = await liveAnnotations();
    expect(saved).toHaveLength(1);
    expect(saved[0]).toMatchObject({ tool: 'Length', author_id: (await db.knex('users').where({ username: 'dr.lavoie' }).first('id')).id });
    const geometry = JSON.parse(saved[0].geometry) as { points: Array<[number, number]>; text?: string };
    expect(geometry.points).toHaveLength(2);
    expect(geometry.text).toBe(value);

    await lavoie.reload();
    await openImage(lavoie);
    await expect.poll(() => rows(lavoie).count(), { timeout: 15_000 }).toBe(1);
    // The same value once the same (master) pixels and calibration are shown.
    await lavoie.locator('.viewer-panel [data-action="diagnostic"]').click();
    await expect.poll(() => lavoie.locator('.cusp-viewer').getAttribute('data-variant'), { timeout: 30_000 }).toBe('master');
    await expect.poll(() => rows(lavoie).locator('output').textContent()).toBe(value);
    expect(await rows(lavoie).getAttribute('data-editable')).toBe('true');
    // Only restored, not saved again.
    expect((await liveAnnotations())[0].version).toBe(1);
  });

  it('saves a moved handle', async () => {
    const before = (await liveAnnotations())[0];
    // Window/level is the active tool; a drawing's handle can still be picked up and moved.
    const { end } = await lineOnPage(lavoie);
    await dragPage(lavoie, end, [end[0] - 40, end[1] + 25]);
    await expect.poll(async () => (await liveAnnotations())[0]?.version, { timeout: 15_000 }).toBe(2);
    const moved = JSON.parse((await liveAnnotations())[0].geometry) as { points: Array<[number, number]> };
    const original = JSON.parse(before.geometry) as { points: Array<[number, number]> };
    expect(moved.points[0]).toEqual(original.points[0]);
    expect(moved.points[1]).not.toEqual(original.points[1]);
    await expect.poll(() => rows(lavoie).getAttribute('data-state')).toBe('saved');
    value = (await rows(lavoie).locator('output').textContent())!;
  });

  it('edits the label (accents and non-latin text survive)', async () => {
    const input = rows(lavoie).locator('input[name="label"]');
    await input.fill(label);
    await input.press('Enter');
    await expect.poll(async () => (await liveAnnotations())[0]?.label, { timeout: 15_000 }).toBe(label);
    expect((await liveAnnotations())[0].version).toBe(3);
    await lavoie.reload();
    await openImage(lavoie);
    await expect.poll(() => rows(lavoie).locator('input[name="label"]').inputValue(), { timeout: 15_000 }).toBe(label);
    await lavoie.screenshot({ path: screenshotPath('viewer-annotations-author') });
  });

  it('shows another clinician the annotation read-only and refuses their delete (audited)', async () => {
    const chen = await signedInPage('dr.chen');
    await openImage(chen);
    await expect.poll(() => rows(chen).count(), { timeout: 15_000 }).toBe(1);
    expect(await rows(chen).getAttribute('data-editable')).toBe('false');
    expect(await rows(chen).locator('input').count()).toBe(0);
    expect(await rows(chen).locator('[data-action="delete-annotation"]').count()).toBe(0);
    expect(await rows(chen).locator('.viewer-annotation-label').textContent()).toBe(label);
    await chen.screenshot({ path: screenshotPath('viewer-annotations-read-only') });

    const [row] = await liveAnnotations();
    const refused = await chen.evaluate(async (input) => {
      const response = await fetch('/rpc', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ method: 'annotations.delete', input }) });
      return response.json();
    }, { id: row.id, version: row.version });
    expect(refused).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    const chenId = (await db.knex('users').where({ username: 'dr.chen' }).first('id')).id;
    const audit = await db.knex('audit_log').where({ action: 'access.refused', user_id: chenId });
    expect(audit).toHaveLength(1);
    expect(JSON.parse(audit[0].detail)).toMatchObject({ method: 'annotations.delete', annotationId: row.id });
    expect(await liveAnnotations()).toHaveLength(1);

    // Locked in their viewer too: a handle does not move, the eraser does not remove it.
    const line = await lineOnPage(chen);
    await dragPage(chen, line.start, [line.start[0] - 40, line.start[1] - 30]);
    await chen.locator('[data-tool="eraser"]').click();
    await chen.mouse.click(...line.middle);
    await chen.waitForTimeout(1500);
    expect(await rows(chen).count()).toBe(1);
    expect((await liveAnnotations())[0]).toMatchObject({ version: row.version, geometry: row.geometry });
    expect(await db.knex('audit_log').where({ action: 'annotation.save', user_id: chenId })).toHaveLength(0);
  });

  it('exports the master with the annotation burned in (PNG, JPEG) and as a GSPS, each audited', async () => {
    const source = await loadImage(readFileSync(radiograph));
    if (source.kind !== 'dicom') throw new Error('expected DICOM');
    const record = await db.knex('images').where({ id: imageId }).first();
    const plain = render(source.frame, source.pipeline, { center: Number(record.window_center), width: Number(record.window_width), source: 'explicit' });
    const { width, height } = plain;
    const [row] = await liveAnnotations();
    const [a, b] = (JSON.parse(row.geometry) as { points: Array<[number, number]> }).points as [[number, number], [number, number]];

    // The toolbar offers the three formats; choosing PNG downloads a file.
    await lavoie.locator('[data-action="export"]').click();
    expect(await lavoie.locator('[data-export]').evaluateAll((links) => links.map((l) => l.getAttribute('href')))).toEqual(
      ['png', 'jpeg', 'gsps'].map((f) => `/img/${imageId}/export?format=${f}`),
    );
    const [download] = await Promise.all([lavoie.waitForEvent('download'), lavoie.locator('[data-export="png"]').click()]);
    expect(download.suggestedFilename()).toMatch(/\.png$/);

    const png = await fetchInPage(lavoie, `/img/${imageId}/export?format=png`);
    expect(png).toMatchObject({ status: 200, type: 'image/png' });
    const { data, info } = await sharp(png.bytes).raw().toBuffer({ resolveWithObject: true });
    expect([info.width, info.height]).toEqual([source.frame.width, source.frame.height]);
    const font = Math.max(12, Math.round(Math.min(width, height) / 40));
    // The value and the label are written beside the end of the line.
    const end = b;
    let outside = 0;
    let onLine = 0;
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const i = (y * width + x) * info.channels;
        const grey = plain.data[y * width + x]!;
        if (data[i] === grey && data[i + 1] === grey && data[i + 2] === grey) continue;
        const near = toSegment([x, y], a, b) <= 4;
        const inText = x >= end[0] && x <= end[0] + font * 16 && y >= end[1] - font * 1.5 && y <= end[1] + font * 2.5;
        if (near) onLine++;
        else if (!inText) outside++;
      }
    }
    expect(outside).toBe(0);
    expect(onLine).toBeGreaterThan(Math.hypot(b[0] - a[0], b[1] - a[1]));
    writeFileSync(join(scratchDir('viewer-annotations-export'), 'export.png'), png.bytes);

    const jpeg = await fetchInPage(lavoie, `/img/${imageId}/export?format=jpeg`);
    expect(jpeg).toMatchObject({ status: 200, type: 'image/jpeg' });
    expect((await sharp(jpeg.bytes).metadata()).width).toBe(width);

    const gsps = await fetchInPage(lavoie, `/img/${imageId}/export?format=gsps`);
    expect(gsps).toMatchObject({ status: 200, type: 'application/dicom' });
    const file = join(scratchDir('viewer-annotations-export'), 'gsps.dcm');
    writeFileSync(file, gsps.bytes);
    const dump = execFileSync('dcmdump', ['+U8', file], { encoding: 'utf8' });
    expect(dump).toContain('(0008,0016) UI =GrayscaleSoftcopyPresentationStateStorage');
    expect(dump).toContain(`(0008,1155) UI [${record.sop_instance_uid}]`);
    expect(dump).toContain('(0070,0023) CS [POLYLINE]');
    expect(dump).toContain('(0070,0005) CS [PIXEL]');
    expect(dump).toContain('(0008,0005) CS [ISO_IR 192]');
    expect(dump).toContain(label);
    const graphic = /\(0070,0022\) FL ([\d.\\-]+)/.exec(dump)![1]!.split('\\').map(Number);
    expect(graphic).toHaveLength(4);
    [a[0] + 0.5, a[1] + 0.5, b[0] + 0.5, b[1] + 0.5].forEach((v, i) => expect(graphic[i]).toBeCloseTo(v, 1));

    // An unknown format and an image that is not the practice's are refused.
    expect((await fetchInPage(lavoie, `/img/${imageId}/export?format=tiff`)).status).toBe(400);
    expect((await fetchInPage(lavoie, `/img/00000000-0000-4000-8000-000000000000/export?format=png`)).status).toBe(404);

    const exports = await db.knex('audit_log').where({ action: 'image.export', image_id: imageId });
    expect(exports.map((e) => JSON.parse(e.detail).format).sort()).toEqual(['gsps', 'jpeg', 'png', 'png']);
    expect(exports.every((e) => e.patient_id === patientId)).toBe(true);
  });

  it('deletes it with the eraser: gone after a reload, history kept', async () => {
    const [row] = await liveAnnotations();
    // The eraser on the line, as chen did: on the author's screen it removes it.
    const { middle } = await lineOnPage(lavoie);
    await lavoie.locator('[data-tool="eraser"]').click();
    await lavoie.mouse.click(...middle);
    await expect.poll(async () => (await liveAnnotations()).length, { timeout: 15_000 }).toBe(0);
    await lavoie.reload();
    await openImage(lavoie);
    // The saved list was read and nothing came back.
    await expect.poll(() => lavoie.locator('.viewer-annotations').getAttribute('data-loaded'), { timeout: 15_000 }).toBe('true');
    expect(await rows(lavoie).count()).toBe(0);
    const versions = await db.knex('annotation_versions').where({ annotation_id: row.id }).orderBy('version');
    expect(versions.map((v) => Boolean(v.deleted))).toEqual([false, false, false, true]);
  });

  it('shows a failed save, keeps the drawing and saves it on retry; the panel deletes it', async () => {
    // The database is unreachable for annotations.save (the answer main would give).
    await lavoie.route('**/rpc', async (route) => {
      const body = route.request().postDataJSON() as { method?: string } | null;
      if (body?.method !== 'annotations.save') return route.continue();
      await route.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify({ ok: false, error: { code: 'UNAVAILABLE', message: 'The database is unreachable' } }) });
    });
    await lavoie.locator('[data-tool="length"]').click();
    // Measuring loads the lossless master first; a drag before it is shown would be lost with the swap.
    await expect.poll(() => lavoie.locator('.cusp-viewer').getAttribute('data-variant'), { timeout: 30_000 }).toBe('master');
    await drag(lavoie, [0.3, 0.7], [0.5, 0.75]);
    await expect.poll(() => lavoie.locator('.viewer-save-error').textContent(), { timeout: 15_000 }).toContain('The database is unreachable');
    expect(await rows(lavoie).getAttribute('data-state')).toBe('error');
    expect(await liveAnnotations()).toHaveLength(0);
    await lavoie.screenshot({ path: screenshotPath('viewer-annotations-save-failed') });

    await lavoie.unroute('**/rpc');
    await lavoie.locator('.viewer-save-error button').click();
    await expect.poll(async () => (await liveAnnotations()).length, { timeout: 15_000 }).toBe(1);
    await expect.poll(() => rows(lavoie).getAttribute('data-state')).toBe('saved');
    expect(await lavoie.locator('.viewer-save-error').count()).toBe(0);

    await rows(lavoie).locator('[data-action="delete-annotation"]').click();
    await expect.poll(async () => (await liveAnnotations()).length, { timeout: 15_000 }).toBe(0);
    expect(await rows(lavoie).count()).toBe(0);
  });
});
