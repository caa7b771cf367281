// Pins down sharing with the patient on the real app (dispatcher, database, image store): the PDF
// is in the patient's language with the letterhead, the patient's name, the chosen radiograph
// and the plan; its link works until it expires or is revoked (410 after), the link never holds
// a name, only the token's hash is stored, and each step is in the audit log.
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import type { CallContext } from '../../../main/app/context.js';
import { openApp, type App } from '../../../main/app/index.js';
import { silentLogger } from '../../../main/app/log.js';
import { main } from '../../../main/cli/index.js';
import { startHttpServer, type HttpServer } from '../../../main/server/http.js';
import { createShareDownloadRoute, createShareLinkRoute } from '../../../main/server/share.js';
import { createShareService } from '../../../main/share/service.js';
import { S3Store } from '../../../main/storage/s3.js';
import { startS3rver } from '../../support/s3.js';
import { databases, freshDatabase } from '../../support/databases.js';
import { migrateDownAll, migrateToLatest } from '../../../main/db/migrate.js';
import { dicomData, scratchDir } from '../../support/paths.js';
import { createDatabase } from '../../support/postgres.js';
import { pdfPages, renderPdfPage } from './pdf-text.js';
import { screenshotPath } from '../../support/chromium.js';

const session = 'session-dentist';
let app: App;
let server: HttpServer;
/** The route's clock: moved forward to see a link expire without waiting. */
let clockOffsetMs = 0;
const patients: Record<'fr' | 'en', { id: string; imageId: string; planId: string }> = {} as never;

const ctx = (sessionId: string): CallContext => ({ transport: 'memory', workstation: 'chair-1', sessionId, user: app.resolveUser(sessionId) });

async function call<T = Record<string, unknown>>(method: string, input: unknown, sessionId = session): Promise<T> {
  const result = await app.dispatch(method, input, ctx(sessionId));
  if (!result.ok) throw new Error(`${method}: ${result.error.code} ${result.error.message}`);
  return result.value as T;
}

async function tryCall(method: string, input: unknown, sessionId = session) {
  return app.dispatch(method, input, ctx(sessionId));
}

const get = (path: string, headers: Record<string, string> = {}) => fetch(`${server.origin}${path}`, { redirect: 'manual', headers });

async function actions(patientId: string): Promise<string[]> {
  const rows = await app.services.database().knex('audit_log').where({ patient_id: patientId }).orderBy('seq').select('action');
  return rows.map((r) => r.action as string);
}

describe.each(databases)('sharing and the consultation display on %s', (client) => {
  const dataDir = scratchDir(`share-${client}`);

  beforeAll(async () => {
    const database = client === 'sqlite' ? { client, filename: 'practice.sqlite' } : { client, url: await createDatabase(inject('postgresUrl')) };
    writeFileSync(join(dataDir, 'config.json'), JSON.stringify({ database, workstation: 'chair-1' }));
    app = await openApp({ dataDir, log: silentLogger });
    await call('auth.setupPractice', {
      practiceName: 'Clinique dentaire Saint-Roch',
      admin: { username: 'dr-admin', displayName: 'Dr Admin', password: 'a-long-test-password' },
    });
    await app.dispatch('auth.signIn', { username: 'dr-admin', password: 'a-long-test-password' }, ctx(session));
    await call('share.setLetterhead', { address: '250 rue Saint-Joseph Est, Québec (Québec)', phone: '418 555-0142' });

    const people = { fr: { familyName: 'Tremblay', givenName: 'Hélène', language: 'fr' }, en: { familyName: 'Walsh', givenName: 'Morgan', language: 'en' } } as const;
    vi.spyOn(console, 'log').mockImplementation(() => undefined);
    for (const language of ['fr', 'en'] as const) {
      const { id } = await call<{ id: string }>('patients.create', people[language]);
      // Two encodings of the same real bitewing with their own SOP Instance UIDs (one image each).
      const file = language === 'fr' ? 'IO_bitewing01_12bit_ExplicitVRLE.dcm' : 'IO_bitewing01_8bit_JPEGBaseline.dcm';
      expect(await main(['node', 'cusp', 'import', dicomData('dental', file), '--patient', id, '--data', dataDir])).toBe(0);
      const { images } = await call<{ images: Array<{ id: string }> }>('imaging.forPatient', { patientId: id });
      const plan = await call<{ id: string }>('treatment.createPlan', {
        patientId: id,
        title: language === 'fr' ? 'Plan de restauration' : 'Restorative plan',
        phases: [
          {
            title: language === 'fr' ? 'Phase urgente' : 'Urgent phase',
            procedures: [
              { cdtCode: 'D2391', description: language === 'fr' ? 'Composite une face' : 'Composite one surface', tooth: 46, surfaces: 'O', feeCents: 15000 },
              { cdtCode: 'D2740', description: language === 'fr' ? 'Couronne céramique' : 'Ceramic crown', tooth: 36, feeCents: 120000 },
            ],
          },
        ],
      });
      patients[language] = { id, imageId: images[0]!.id, planId: plan.id };
    }
    vi.restoreAllMocks();

    const shares = createShareService(app.services, { now: () => Date.now() + clockOffsetMs });
    server = await startHttpServer({
      dispatch: app.dispatch,
      events: app.services.events,
      log: silentLogger,
      workstation: 'chair-1',
      resolveUser: app.resolveUser,
      routes: { '/shares/': createShareDownloadRoute(shares) },
      publicRoutes: { '/share/': createShareLinkRoute(shares, 'chair-1') },
    });
  }, 120_000);

  afterAll(async () => {
    await server?.close();
    app?.auth.close();
    await app?.services.close();
  });

  describe('the patient PDF', () => {
    it('is in French for a French-speaking patient: letterhead, name, radiograph, plan lines and total', async () => {
      const p = patients.fr;
      const share = await call<{ id: string; pages: number; language: string }>('share.createPdf', { patientId: p.id, imageIds: [p.imageId], planId: p.planId });
      expect(share.language).toBe('fr');
      const response = await get(`/shares/${share.id}.pdf`, { Authorization: `Bearer ${server.token}`, 'X-Cusp-Session': session });
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('application/pdf');
      const bytes = new Uint8Array(await response.arrayBuffer());
      const pages = await pdfPages(bytes);
      expect(pages).toHaveLength(2);
      expect(share.pages).toBe(2);
      await renderPdfPage(bytes, 1, screenshotPath('share-pdf-fr-page1'));
      await renderPdfPage(bytes, 2, screenshotPath('share-pdf-fr-page2'));
      const text = pages.join('\n');
      expect(pages[0]).toContain('Clinique dentaire Saint-Roch');
      expect(pages[0]).toContain('250 rue Saint-Joseph Est, Québec (Québec)');
      expect(pages[0]).toContain('418 555-0142');
      expect(pages[0]).toMatch(/Préparé pour : Hélène Tremblay/);
      expect(pages[0]).toContain('Vos radiographies');
      expect(pages[0]).toContain('Radiographie intrabuccale');
      expect(pages[1]).toContain('Plan de traitement proposé');
      expect(pages[1]).toMatch(/D2391 Composite une face 46 O 150,00 \$/);
      expect(pages[1]).toMatch(/D2740 Couronne céramique 36 — 1 200,00 \$/);
      expect(pages[1]).toMatch(/Total 1 350,00 \$/);
      expect(text).toContain('Page 2 de 2');
      expect(text).not.toMatch(/Your|Proposed|Page \d of/);
    });

    it('is in English for an English-speaking patient', async () => {
      const p = patients.en;
      const share = await call<{ id: string; pages: number; language: string }>('share.createPdf', { patientId: p.id, imageIds: [p.imageId], planId: p.planId });
      expect(share.language).toBe('en');
      const response = await get(`/shares/${share.id}.pdf`, { Authorization: `Bearer ${server.token}`, 'X-Cusp-Session': session });
      const pages = await pdfPages(new Uint8Array(await response.arrayBuffer()));
      expect(pages).toHaveLength(2);
      expect(pages[0]).toMatch(/Prepared for: Morgan Walsh/);
      expect(pages[0]).toContain('Intraoral radiograph');
      expect(pages[1]).toMatch(/D2740 Ceramic crown 36 — \$1,200\.00/);
      expect(pages[1]).toMatch(/Total \$1,350\.00/);
      expect(pages.join('\n')).not.toMatch(/Préparé|Vos |Page \d de/);
    });

    it('draws the image’s saved annotations when asked (lines and labels from the stored points)', async () => {
      const p = patients.fr;
      const image = (await call<{ images: Array<{ id: string; columns: number; rows: number }> }>('imaging.forPatient', { patientId: p.id })).images[0]!;
      const [w, h] = [image.columns, image.rows];
      await call('annotations.save', {
        imageId: p.imageId,
        tool: 'ArrowAnnotate',
        geometry: { points: [[w * 0.3, h * 0.3], [w * 0.5, h * 0.5]], text: 'Carie à surveiller' },
        label: null,
      });
      await call('annotations.save', {
        imageId: p.imageId,
        tool: 'EllipticalROI',
        geometry: { points: [[w * 0.6, h * 0.5], [w * 0.7, h * 0.4], [w * 0.8, h * 0.5], [w * 0.7, h * 0.6]] },
        label: 'Zone 46',
      });
      const read = async (annotations: boolean) => {
        const share = await call<{ id: string }>('share.createPdf', { patientId: p.id, imageIds: [p.imageId], annotations });
        const response = await get(`/shares/${share.id}.pdf`, { Authorization: `Bearer ${server.token}`, 'X-Cusp-Session': session });
        return new Uint8Array(await response.arrayBuffer());
      };
      const drawn = await read(true);
      const [page] = await pdfPages(drawn);
      expect(page).toContain('Carie à surveiller');
      expect(page).toContain('Zone 46');
      await renderPdfPage(drawn, 1, screenshotPath('share-pdf-annotations'));
      const [plain] = await pdfPages(await read(false));
      expect(plain).not.toContain('Carie');
      expect(plain).not.toContain('Zone 46');
    });

    it('refuses images or a plan of another patient, and an empty document', async () => {
      const bad = await tryCall('share.createPdf', { patientId: patients.fr.id, imageIds: [patients.en.imageId] });
      expect(bad).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT' } });
      const badPlan = await tryCall('share.createPdf', { patientId: patients.fr.id, planId: patients.en.planId });
      expect(badPlan).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT' } });
      expect(await tryCall('share.createPdf', { patientId: patients.fr.id })).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT' } });
    });
  });

  describe('the link', () => {
    it('serves the PDF without a Cusp token, holds no name, stores only its hash, and is audited', async () => {
      const p = patients.fr;
      const share = await call<{ id: string }>('share.createPdf', { patientId: p.id, planId: p.planId });
      const link = await call<{ path: string; expiresAt: string }>('share.createLink', { id: share.id, expiresInSeconds: 3600 });
      expect(link.path).not.toMatch(/tremblay|helene|hélène/i);
      const token = link.path.split('/')[2]!;
      const row = await app.services.database().knex('shares').where({ id: share.id }).first();
      expect(row.token_hash).toBe(createHash('sha256').update(token).digest('hex'));
      expect(JSON.stringify(row)).not.toContain(token);
      expect(row.object_key).toMatch(/^shares\/[0-9a-f]{32}$/);

      const response = await get(link.path);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-disposition')).not.toMatch(/tremblay/i);
      const pages = await pdfPages(new Uint8Array(await response.arrayBuffer()));
      expect(pages.join('\n')).toContain('Hélène Tremblay');
      expect((await get('/share/' + 'A'.repeat(43))).status).toBe(404);
      expect(await actions(p.id)).toEqual(expect.arrayContaining(['share.create', 'share.link.create', 'share.download']));
    });

    it('answers 410 once it has expired', async () => {
      const p = patients.en;
      const share = await call<{ id: string }>('share.createPdf', { patientId: p.id, imageIds: [p.imageId] });
      const link = await call<{ path: string }>('share.createLink', { id: share.id, expiresInSeconds: 60 });
      expect((await get(link.path)).status).toBe(200);
      clockOffsetMs = 61_000;
      try {
        const response = await get(link.path);
        expect(response.status).toBe(410);
        expect(await response.text()).toMatch(/expired/);
      } finally {
        clockOffsetMs = 0;
      }
      const refused = await app.services.database().knex('audit_log').where({ action: 'share.download.refused', patient_id: p.id }).select('detail');
      expect(refused.map((r) => JSON.parse(r.detail).reason)).toContain('expired');
    });

    it('answers 410 after revocation, and the PDF is gone from the store and for staff', async () => {
      const p = patients.en;
      const share = await call<{ id: string }>('share.createPdf', { patientId: p.id, imageIds: [p.imageId], planId: p.planId });
      const link = await call<{ path: string }>('share.createLink', { id: share.id, expiresInSeconds: 7 * 24 * 3600 });
      expect((await get(link.path)).status).toBe(200);
      const key = (await app.services.database().knex('shares').where({ id: share.id }).first('object_key')).object_key;
      const revoked = await call<{ revokedAt: string | null }>('share.revoke', { id: share.id });
      expect(revoked.revokedAt).not.toBeNull();
      expect((await get(link.path)).status).toBe(410);
      expect((await get(`/shares/${share.id}.pdf`, { Authorization: `Bearer ${server.token}`, 'X-Cusp-Session': session })).status).toBe(404);
      await expect(app.services.storage().backend.head(key)).rejects.toMatchObject({ code: 'NotFound' });
      expect(await tryCall('share.createLink', { id: share.id, expiresInSeconds: 60 })).toMatchObject({ ok: false, error: { code: 'CONFLICT' } });
      expect(await actions(p.id)).toEqual(expect.arrayContaining(['share.revoke', 'share.download.refused']));
    });

    it('redirects to a presigned URL, capped by the link, when the store is an unencrypted S3 bucket', async () => {
      const s3server = await startS3rver();
      const bucket = new S3Store({
        bucket: s3server.bucket, prefix: 'cusp', region: s3server.region, endpoint: s3server.endpoint, forcePathStyle: true, credentials: s3server.credentials,
      });
      try {
        const share = await call<{ id: string }>('share.createPdf', { patientId: patients.en.id, imageIds: [patients.en.imageId] });
        const link = await call<{ path: string }>('share.createLink', { id: share.id, expiresInSeconds: 120 });
        // The same PDF, as a clinic on that bucket would have it.
        const key = (await app.services.database().knex('shares').where({ id: share.id }).first('object_key')).object_key as string;
        const { body } = await app.services.storage().store.get(key);
        const chunks: Buffer[] = [];
        for await (const chunk of body) chunks.push(chunk as Buffer);
        const bytes = Buffer.concat(chunks);
        await bucket.put(key, bytes, { contentType: 'application/pdf' });
        const onS3 = createShareService({ ...app.services, storage: () => ({ ...app.services.storage(), store: bucket, backend: bucket }) });

        const answer = await onS3.openLink(link.path.split('/')[2]!, 'chair-1');
        expect(answer.kind).toBe('redirect');
        const url = new URL((answer as { url: string }).url);
        expect(url.origin).toBe(s3server.endpoint);
        expect(Number(url.searchParams.get('X-Amz-Expires'))).toBeLessThanOrEqual(120);
        expect(url.href).not.toMatch(/walsh|morgan/i);
        const fetched = Buffer.from(await (await fetch(url)).arrayBuffer());
        expect(fetched.equals(bytes)).toBe(true);

        // Revoking deletes the object: the presigned URL handed out finds nothing any more.
        await onS3.revoke(ctx(session), share.id);
        expect((await fetch(url)).status).toBe(404);
        expect(await onS3.openLink(link.path.split('/')[2]!, 'chair-1')).toEqual({ kind: 'gone', reason: 'revoked' });
        const served = await app.services.database().knex('audit_log').where({ action: 'share.download', patient_id: patients.en.id }).select('detail');
        expect(served.map((r) => JSON.parse(r.detail).served)).toContain('presigned');
      } finally {
        await bucket.close();
        await s3server.stop();
      }
    }, 60_000);

    it('is at most seven days and at least a minute (the contract refuses the rest)', async () => {
      const share = await call<{ id: string }>('share.createPdf', { patientId: patients.fr.id, imageIds: [patients.fr.imageId] });
      for (const expiresInSeconds of [59, 7 * 24 * 3600 + 1]) {
        expect(await tryCall('share.createLink', { id: share.id, expiresInSeconds })).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT' } });
      }
    });

    it('never puts a patient name in the audit log', async () => {
      const details = await app.services.database().knex('audit_log').whereLike('action', 'share.%').select('detail');
      const text = JSON.stringify(details);
      for (const name of ['Tremblay', 'Hélène', 'Walsh', 'Morgan']) expect(text).not.toContain(name);
    });
  });

  it('its migration goes down and up again (letterhead columns, shares table)', async () => {
    const fresh = await freshDatabase(client);
    try {
      expect(await fresh.db.knex.schema.hasTable('shares')).toBe(true);
      expect(await fresh.db.knex.schema.hasColumn('practices', 'phone')).toBe(true);
      await migrateDownAll(fresh.db.knex);
      expect(await fresh.db.knex.schema.hasTable('shares')).toBe(false);
      await migrateToLatest(fresh.db.knex);
      expect(await fresh.db.knex.schema.hasColumn('practices', 'address')).toBe(true);
    } finally {
      await fresh.close();
    }
  });

  describe('the consultation display', () => {
    const other = 'session-other-browser';

    it('shows what this session pushed to this session only, and blanks when it locks', async () => {
      const tags: string[] = [];
      const unsubscribe = app.services.events.subscribe((name, payload) => {
        if (name === 'consult.changed') tags.push((payload as { display: string }).display);
      });
      try {
        await call('consult.show', { kind: 'image', imageId: patients.en.imageId });
        const mine = await call<{ display: string; content: { kind: string; language: string; images: Array<{ id: string }> } | null }>('consult.display', {});
        expect(mine.content).toMatchObject({ kind: 'image', language: 'en', images: [{ id: patients.en.imageId }] });
        expect(tags).toContain(mine.display);
        expect(JSON.stringify(mine)).not.toMatch(/Walsh|Morgan/);
        // Another browser (no chair signed in there) sees nothing, and has another tag.
        const theirs = await call<{ display: string; content: unknown }>('consult.display', {}, other);
        expect(theirs.content).toBeNull();
        expect(theirs.display).not.toBe(mine.display);

        await call('consult.show', { kind: 'plan', planId: patients.fr.planId });
        const plan = await call<{ content: { kind: string; language: string; plan: { totalCents: number } } }>('consult.display', {});
        expect(plan.content).toMatchObject({ kind: 'plan', language: 'fr', plan: { totalCents: 135000 } });

        await app.dispatch('auth.lock', {}, ctx(session));
        expect((await call<{ content: unknown }>('consult.display', {})).content).toBeNull();
      } finally {
        unsubscribe();
        await app.dispatch('auth.signIn', { username: 'dr-admin', password: 'a-long-test-password' }, ctx(session));
      }
      // Unlocking does not bring the old content back.
      expect((await call<{ content: unknown }>('consult.display', {})).content).toBeNull();
    });

    it('blanks on clear, and refuses to compare images of two patients', async () => {
      await call('consult.show', { kind: 'image', imageId: patients.fr.imageId });
      await call('consult.clear', {});
      expect((await call<{ content: unknown }>('consult.display', {})).content).toBeNull();
      expect(await tryCall('consult.show', { kind: 'compare', imageIds: [patients.fr.imageId, patients.en.imageId] })).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT' } });
      expect(await actions(patients.fr.id)).toEqual(expect.arrayContaining(['consult.show', 'consult.clear']));
    });
  });
});
