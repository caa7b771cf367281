/**
 * The inbox actions and the upload route in main, through the real dispatcher and HTTP server:
 * several images filed under one patient all or none, the DICOM id remembered only when it is
 * one and unambiguous; a quarantined job retried (filed once its cause is gone, back in
 * quarantine with its reason otherwise); discard for admins only, removing an uploaded file;
 * POST /upload refusing what is not DICOM, too large or not allowed, and queueing the rest.
 */
import { copyFile, mkdir, readFile } from 'node:fs/promises';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient, type CuspClient } from '../../../contract/client.js';
import { openApp, type App } from '../../../main/app/index.js';
import { silentLogger } from '../../../main/app/log.js';
import { deriveAll } from '../../../main/imaging/derive.js';
import { defaultPreset } from '../../../main/imaging/presets.js';
import { IngestService } from '../../../main/ingest/service.js';
import { uploadsDirOf } from '../../../main/ingest/uploads.js';
import { startHttpServer, type HttpServer } from '../../../main/server/http.js';
import { createMemoryTransport } from '../../../main/server/memory.js';
import { createUploadRoute } from '../../../main/server/upload.js';
import { distinctCopies } from '../../support/dicom.js';
import { fileStore } from '../../support/ingest.js';
import { dentalImages, dicomData, scratchDir } from '../../support/paths.js';

const password = 'correct-horse-42';
const source = dicomData('dental', 'IO_bitewing01_8bit_JPEGBaseline.dcm');
const truncated = dicomData('malformed', 'IO_bitewing01_8bit_trunc_mid_pixeldata.dcm');
let app: App;
let dataDir: string;
let service: IngestService;
let admin: CuspClient;
let dentist: CuspClient;
let frontdesk: CuspClient;

const session = (sessionId: string) =>
  createClient(createMemoryTransport(app.dispatch, app.services.events, () => ({ transport: 'memory', workstation: 'chair-1', sessionId, user: app.resolveUser(sessionId) })));

/** Queues files and waits until each of their jobs is finished. */
async function ingest(paths: string[]): Promise<string[]> {
  const ids = await service.queue.enqueueFiles(paths);
  await settle(ids);
  return ids;
}
async function settle(ids: string[]): Promise<void> {
  service.workers.wake();
  for (let i = 0; ; i += 1) {
    const rows = await app.services.database().knex('ingest_jobs').whereIn('id', ids).whereIn('state', ['done', 'quarantined']).count({ n: '*' });
    if (Number(rows[0]!.n) === ids.length) return;
    if (i > 600) throw new Error('ingest did not finish');
    await new Promise((r) => setTimeout(r, 100));
  }
}
const job = (id: string) => app.services.database().knex('ingest_jobs').where({ id }).first();
const inboxIds = async () => (await dentist.call('ingest.inbox', {})).items.map((i) => i.jobId).sort();

beforeAll(async () => {
  dataDir = scratchDir('inbox-actions');
  writeFileSync(join(dataDir, 'config.json'), JSON.stringify({ database: { client: 'sqlite', filename: 'practice.sqlite' } }));
  app = await openApp({ dataDir, log: silentLogger });
  admin = session('admin');
  await admin.call('auth.setupPractice', { practiceName: 'Clinique Actions', admin: { username: 'admin', displayName: 'Admin', password } });
  for (const role of ['dentist', 'frontdesk'] as const) await admin.call('users.create', { username: role, displayName: role, role, password });
  dentist = session('dentist');
  frontdesk = session('frontdesk');
  await dentist.call('auth.signIn', { username: 'dentist', password });
  await frontdesk.call('auth.signIn', { username: 'frontdesk', password });
  const db = app.services.database();
  const practice = (await db.knex('practices').first('id')) as { id: string };
  service = new IngestService({
    db,
    store: (await fileStore(join(dataDir, 'objects'))).store,
    derive: (bytes, expect) => deriveAll(bytes, defaultPreset, { expect }),
    practiceId: practice.id,
    log: silentLogger,
    workerIdleMs: 50,
    source: 'import',
  });
  service.start();
}, 60_000);

afterAll(async () => {
  await service?.stop();
  app?.auth.close();
  await app?.services.close();
});

describe('inbox actions', () => {
  it('files several images all or none, and remembers one unambiguous DICOM id', async () => {
    const x1 = await distinctCopies(source, 2, { patientId: 'X-1', patientName: 'UN^X', newStudy: true });
    const x2 = await distinctCopies(source, 1, { patientId: 'X-2', patientName: 'DEUX^X', newStudy: true });
    const [a1, a2, b1] = await ingest([...x1, ...x2]);
    expect(await inboxIds()).toEqual([a1, a2, b1].sort());
    const anne = await frontdesk.call('patients.create', { familyName: 'Bélanger', givenName: 'Anne' });
    const bruno = await frontdesk.call('patients.create', { familyName: 'Côté', givenName: 'Bruno' });

    // Two DICOM ids cannot both be remembered: refused, nothing filed.
    await expect(dentist.call('ingest.assignMany', { jobIds: [a1!, b1!], patientId: anne.id, rememberDicomId: true })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    expect(await inboxIds()).toHaveLength(3);
    // One of them was filed meanwhile: CONFLICT, and the other stays in the inbox.
    await dentist.call('ingest.assign', { jobId: a1!, patientId: bruno.id });
    await expect(dentist.call('ingest.assignMany', { jobIds: [a1!, a2!], patientId: anne.id })).rejects.toMatchObject({ code: 'CONFLICT' });
    expect(await inboxIds()).toEqual([a2, b1].sort());
    await expect(frontdesk.call('ingest.assignMany', { jobIds: [a2!], patientId: anne.id })).rejects.toMatchObject({ code: 'FORBIDDEN' });

    const filed = await dentist.call('ingest.assignMany', { jobIds: [a2!, b1!], patientId: anne.id });
    expect(filed.remembered).toBeNull();
    expect(filed.images.map((i) => i.jobId)).toEqual([a2, b1]);
    expect((await dentist.call('imaging.forPatient', { patientId: anne.id })).images).toHaveLength(2);
    const audits = (await admin.call('audit.query', { action: 'image.assign', limit: 20 })).entries;
    expect(audits.filter((e) => e.patientId === anne.id)).toHaveLength(2);

    // Remembered: the next X-2 image goes straight to Anne.
    const [c1] = await ingest(await distinctCopies(source, 1, { patientId: 'X-2', patientName: 'DEUX^X' }));
    expect(await job(c1!)).toMatchObject({ outcome: 'inbox' });
    const remembered = await dentist.call('ingest.assignMany', { jobIds: [c1!], patientId: anne.id, rememberDicomId: true });
    expect(remembered.remembered).toBe('X-2');
    const [c2] = await ingest(await distinctCopies(source, 1, { patientId: 'X-2', patientName: 'DEUX^X' }));
    expect(await job(c2!)).toMatchObject({ outcome: 'indexed', patient_id: anne.id });

    // An id already known for someone else is not remembered a second time (matching would become ambiguous).
    const [d1] = await ingest(await distinctCopies(source, 1, { patientId: 'X-2', patientName: 'DEUX^X', newStudy: true }).then(async (files) => {
      await app.services.database().knex('patient_dicom_ids').insert({ patient_id: bruno.id, dicom_patient_id: 'X-2', issuer: '' });
      return files;
    }));
    expect(await job(d1!)).toMatchObject({ outcome: 'inbox' });
    await expect(dentist.call('ingest.assignMany', { jobIds: [d1!], patientId: anne.id, rememberDicomId: true })).rejects.toMatchObject({ code: 'CONFLICT' });
    expect(await inboxIds()).toContain(d1);
  });

  it('retries a quarantined job: filed once the cause is gone, back in quarantine with its reason otherwise', async () => {
    const folder = scratchDir('retry');
    const missing = join(folder, 'later.dcm');
    const [gone, bad] = await ingest([missing, truncated]);
    expect(await job(gone!)).toMatchObject({ state: 'quarantined', reason: 'cannot read the file (ENOENT)' });
    const badBefore = await job(bad!);
    expect(badBefore.reason).toMatch(/^TRUNCATED: /);

    await copyFile((await distinctCopies(source, 1, { patientId: 'R-1' }))[0]!, missing);
    await expect(frontdesk.call('ingest.retry', { jobId: gone! })).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await dentist.call('ingest.retry', { jobId: gone! });
    await dentist.call('ingest.retry', { jobId: bad! });
    await settle([gone!, bad!]);
    expect(await job(gone!)).toMatchObject({ state: 'done', outcome: 'inbox' });
    const badAfter = await job(bad!);
    expect(badAfter).toMatchObject({ state: 'quarantined', reason: badBefore.reason, attempts: 1 });
    await expect(dentist.call('ingest.retry', { jobId: gone! })).rejects.toMatchObject({ code: 'CONFLICT' });
    const entries = (await admin.call('audit.query', { action: 'ingest.retry', limit: 10 })).entries;
    expect(entries).toHaveLength(2);
  });

  it('discards a quarantined job for admins only, with the uploaded file', async () => {
    const folder = join(uploadsDirOf(dataDir), randomUUID(), randomUUID());
    await mkdir(folder, { recursive: true });
    const path = join(folder, 'broken.dcm');
    await copyFile(truncated, path);
    const [id] = await ingest([path]);
    expect(await job(id!)).toMatchObject({ state: 'quarantined' });
    await expect(dentist.call('ingest.discard', { jobId: id! })).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await admin.call('auth.signIn', { username: 'admin', password });
    await admin.call('ingest.discard', { jobId: id! });
    expect(await job(id!)).toBeUndefined();
    expect(existsSync(folder)).toBe(false);
    const entries = (await admin.call('audit.query', { action: 'ingest.discard', limit: 10 })).entries;
    expect(entries).toHaveLength(1);
    await expect(admin.call('ingest.discard', { jobId: id! })).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});

describe('POST /upload', () => {
  let server: HttpServer;
  beforeAll(async () => {
    server = await startHttpServer({
      dispatch: app.dispatch,
      events: app.services.events,
      log: silentLogger,
      workstation: 'chair-1',
      resolveUser: app.resolveUser,
      routes: {
        '/upload/': createUploadRoute({
          dataDir,
          log: silentLogger,
          maxFileBytes: 1_000_000,
          enqueue: async (path) => (await service.queue.enqueueFiles([path]))[0]!,
        }),
      },
    });
  });
  afterAll(() => server?.close());

  const upload = (body: Buffer, options: { session?: string; name?: string; type?: string; token?: boolean } = {}) =>
    fetch(`${server.origin}/upload/${batch}?name=${encodeURIComponent(options.name ?? 'image.dcm')}`, {
      method: 'POST',
      headers: {
        ...(options.token === false ? {} : { Authorization: `Bearer ${server.token}` }),
        'X-Cusp-Session': options.session ?? 'dentist',
        'Content-Type': options.type ?? 'application/octet-stream',
      },
      body: new Uint8Array(body),
    });
  const batch = randomUUID();
  const batchDir = () => join(uploadsDirOf(dataDir), batch);
  const leftovers = () => (existsSync(batchDir()) ? readdirSync(batchDir()) : []);

  it('refuses callers without the token or the clinical role, other content types, non-DICOM and oversized files', async () => {
    const dicom = await readFile(source);
    expect((await upload(dicom, { token: false })).status).toBe(401);
    const forbidden = await upload(dicom, { session: 'frontdesk' });
    expect(forbidden.status).toBe(403);
    expect(await forbidden.json()).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    expect((await upload(dicom, { type: 'text/plain' })).status).toBe(415);

    const photo = await upload(await readFile(dentalImages('ceph_lateral_alexcorvi_sample.jpg')), { name: 'photo.jpg' });
    expect(photo.status).toBe(415);
    expect(await photo.json()).toEqual({ ok: false, error: { code: 'NOT_DICOM', message: 'This is a JPEG image, not a DICOM file' } });
    const large = await upload(await readFile(dicomData('dental', 'IO_bitewing01_12bit_ExplicitVRLE.dcm')));
    expect(large.status).toBe(413);
    expect(await large.json()).toMatchObject({ ok: false, error: { code: 'TOO_LARGE' } });
    expect(leftovers()).toEqual([]);
  });

  it('stores a DICOM file under the data folder with a safe name and queues it for import', async () => {
    const response = await upload(await readFile(source), { name: '../../etc/Tremblay Hélène.dcm' });
    expect(response.status).toBe(201);
    const body = (await response.json()) as { ok: true; jobId: string };
    const row = await job(body.jobId);
    expect(row).toMatchObject({ source: 'import' });
    expect(row.source_path.startsWith(batchDir())).toBe(true);
    expect(row.source_path.endsWith('/Tremblay Hélène.dcm')).toBe(true);
    await settle([body.jobId]);
    expect(await job(body.jobId)).toMatchObject({ state: 'done' });
    // A preamble-less DICOM data set is accepted too.
    const bare = await upload(await readFile(dicomData('compressed', 'fodicom_CR-MONO1-10-chest_nometa.dcm')));
    expect(bare.status).toBe(201);
  });
});
