// Pins down how the viewer gets pixels in the app: an image imported by the real pipeline is
// served under /img/<id>/<variant> from the store, only to a signed-in user of its practice,
// and every view is in the audit log (one per opening, the master always on its own).
import { createHash } from 'node:crypto';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { CallContext } from '../../../main/app/context.js';
import { createImageAccess } from '../../../main/app/image-access.js';
import { openApp, type App } from '../../../main/app/index.js';
import { silentLogger } from '../../../main/app/log.js';
import { main } from '../../../main/cli/index.js';
import { startHttpServer, type HttpServer } from '../../../main/server/http.js';
import { createImageRoute } from '../../../main/server/images.js';
import { dicomData, scratchDir } from '../../support/paths.js';

const dataDir = scratchDir('image-access');
const session = 'session-dentist';
let app: App;
let server: HttpServer;
let imageId: string;
let patientId: string;
let rows: number;
let columns: number;

const ctx = (sessionId: string): CallContext => ({ transport: 'memory', workstation: 'chair-1', sessionId, user: app.resolveUser(sessionId) });

async function call(method: string, input: unknown, sessionId = session) {
  const result = await app.dispatch(method, input, ctx(sessionId));
  if (!result.ok) throw new Error(`${method}: ${result.error.code} ${result.error.message}`);
  return result.value as Record<string, unknown>;
}

async function fetchImage(path: string, sessionId: string | null = session) {
  return fetch(`${server.origin}${path}`, {
    headers: { Authorization: `Bearer ${server.token}`, ...(sessionId ? { 'X-Cusp-Session': sessionId } : {}) },
  });
}

async function auditActions(): Promise<Array<{ action: string; image_id: string | null; patient_id: string | null }>> {
  return app.services.database().knex('audit_log').whereNotNull('image_id').orderBy('seq').select('action', 'image_id', 'patient_id');
}

beforeAll(async () => {
  app = await openApp({ dataDir, log: silentLogger });
  await call('auth.setupPractice', {
    practiceName: 'Clinique Test',
    admin: { username: 'dr-admin', displayName: 'Dr Admin', password: 'a-long-test-password' },
  });
  patientId = (await call('patients.create', { familyName: 'Tremblay', givenName: 'Hélène' })).id as string;

  // The real import path: derive, store, verify, index.
  vi.spyOn(console, 'log').mockImplementation(() => undefined);
  const file = dicomData('dental', 'IO_bitewing01_12bit_ExplicitVRLE.dcm');
  expect(await main(['node', 'cusp', 'import', file, '--patient', patientId, '--data', dataDir])).toBe(0);
  vi.restoreAllMocks();

  const { images } = (await call('imaging.forPatient', { patientId })) as { images: Array<{ id: string; rows: number; columns: number }> };
  expect(images).toHaveLength(1);
  ({ id: imageId, rows, columns } = images[0]!);

  server = await startHttpServer({
    dispatch: app.dispatch,
    events: app.services.events,
    log: silentLogger,
    workstation: 'chair-1',
    resolveUser: app.resolveUser,
    routes: { '/img/': createImageRoute(createImageAccess(app.services)) },
  });
});

afterAll(async () => {
  await server?.close();
  await app?.services.close();
});

describe('/img/ in the app', () => {
  it('serves the full-resolution view as the JPEG the pipeline stored, byte for byte', async () => {
    const response = await fetchImage(`/img/${imageId}/view`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('image/jpeg');
    expect(response.headers.get('cache-control')).toBe('private');
    const bytes = Buffer.from(await response.arrayBuffer());
    const stored = await app.services.database().knex('stored_objects').where({ image_id: imageId, variant: 'view' }).first();
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(stored.sha256);
    const meta = await sharp(bytes).metadata();
    expect([meta.width, meta.height]).toEqual([columns, rows]);
  });

  it('serves the master as DICOM', async () => {
    const bytes = Buffer.from(await (await fetchImage(`/img/${imageId}/master`)).arrayBuffer());
    expect(bytes.toString('latin1', 128, 132)).toBe('DICM');
  });

  it('audits one view per opening and the master on its own, with the patient and no name', async () => {
    await fetchImage(`/img/${imageId}/preview`);
    const actions = await auditActions();
    // view opened the view (first test), preview belongs to it, master is recorded separately.
    expect(actions.map((a) => a.action)).toEqual(['image.view', 'image.view.master']);
    expect(actions.every((a) => a.image_id === imageId && a.patient_id === patientId)).toBe(true);
    const detail = await app.services.database().knex('audit_log').whereNotNull('image_id').pluck('detail');
    expect(detail.join(' ')).not.toMatch(/Tremblay|Hélène/);
  });

  it('refuses callers who are not signed in, and answers 404 for unknown images and 400 for non-ids', async () => {
    expect((await fetchImage(`/img/${imageId}/view`, 'nobody-signed-in')).status).toBe(403);
    expect((await fetchImage(`/img/${imageId}/view`, null)).status).toBe(403);
    expect((await fetchImage('/img/00000000-0000-4000-8000-000000000000/view')).status).toBe(404);
    expect((await fetchImage('/img/..%2F..%2Fetc/view')).status).toBe(400);
    expect((await fetchImage(`/img/${imageId}/original`)).status).toBe(404);
  });
});
