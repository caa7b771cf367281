// Pins down who may change an annotation, through the contract on both databases: the author
// edits and deletes their own; another clinician sees it (not editable) and is refused with
// FORBIDDEN, audited; an admin may edit (the author stays, the version records who saved);
// labels keep accents and non-latin text; soft delete keeps the history.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { createClient, type CuspClient } from '../../../contract/client.js';
import type { Role } from '../../../contract/index.js';
import { openApp, type App } from '../../../main/app/index.js';
import { indexImage } from '../../../main/db/repositories/imaging.js';
import { createPatient } from '../../../main/db/repositories/patients.js';
import { createPractice } from '../../../main/db/repositories/practices.js';
import { createUser } from '../../../main/db/repositories/users.js';
import { createMemoryTransport } from '../../../main/server/memory.js';
import { patientCreateSchema } from '../../../contract/index.js';
import { databases } from '../../support/databases.js';
import { scratchDir } from '../../support/paths.js';
import { createDatabase } from '../../support/postgres.js';

describe.each(databases)('annotations through the contract on %s', (client) => {
  let app: App;
  let imageId: string;
  let patientId: string;
  const as: Record<string, CuspClient> = {};
  const userIds: Record<string, string> = {};

  beforeAll(async () => {
    const dataDir = scratchDir('annotations');
    const database = client === 'sqlite' ? { client, filename: 'practice.sqlite' } : { client, url: await createDatabase(inject('postgresUrl')) };
    writeFileSync(join(dataDir, 'config.json'), JSON.stringify({ database, workstation: 'op-2' }));
    app = await openApp({ dataDir });
    const db = app.services.database();
    const practice = await createPractice(db, { name: 'Clinique' });
    const people: Array<[string, Role, string]> = [['lavoie', 'dentist', 'Dr Lavoie'], ['chen', 'dentist', 'Dr Chen'], ['admin', 'admin', 'Admin'], ['desk', 'frontdesk', 'Desk']];
    for (const [username, role, displayName] of people) {
      userIds[username] = (await createUser(db, practice.id, { username, displayName, role, password: 'password-123456' })).id;
      const ctx = () => ({ transport: 'memory' as const, workstation: 'op-2', sessionId: username, user: { id: userIds[username]!, role, practiceId: practice.id } });
      as[username] = createClient(createMemoryTransport(app.dispatch, app.services.events, ctx));
    }
    patientId = (await createPatient(db, practice.id, patientCreateSchema.parse({ familyName: 'Gagnon', givenName: 'Éloïse' }))).id;
    const uid = `1.2.826.0.1.3680043.10.999.${client === 'sqlite' ? 7 : 8}`;
    imageId = (
      await indexImage(db, practice.id, {
        patientId,
        study: { studyInstanceUid: `${uid}.1` },
        series: { seriesInstanceUid: `${uid}.1.1`, modality: 'IO' },
        image: { sopInstanceUid: `${uid}.1.1.1`, modality: 'IO', rows: 1000, columns: 1500, bitsStored: 12, photometric: 'MONOCHROME2' },
      })
    ).imageId;
  });
  afterAll(async () => app?.services.close());

  const geometry = { points: [[100, 200], [400, 600]], text: '500.0 px' };

  it('lets the author edit and delete, shows others the annotation locked, refuses and audits their changes', async () => {
    const label = 'Carie mésiale 36 — 龋齿';
    const saved = await as.lavoie!.call('annotations.save', { imageId, tool: 'Length', geometry, label });
    expect(saved).toMatchObject({ authorId: userIds.lavoie, authorName: 'Dr Lavoie', editable: true, version: 1, label });

    const seenByChen = await as.chen!.call('annotations.list', { imageId });
    expect(seenByChen.annotations).toEqual([expect.objectContaining({ id: saved.id, editable: false, label, geometry, authorName: 'Dr Lavoie' })]);
    // The front desk may see images (and so their annotations) but never change them.
    expect((await as.desk!.call('annotations.list', { imageId })).annotations[0]).toMatchObject({ editable: false });

    expect(await as.chen!.tryCall('annotations.delete', { id: saved.id, version: 1 })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    expect(await as.chen!.tryCall('annotations.save', { imageId, id: saved.id, version: 1, tool: 'Length', geometry: { points: [[0, 0], [1, 1]] }, label: 'mine now' })).toMatchObject({
      ok: false,
      error: { code: 'FORBIDDEN' },
    });
    const refusals = await app.services.database().knex('audit_log').where({ action: 'access.refused', user_id: userIds.chen });
    expect(refusals).toHaveLength(2);
    for (const row of refusals) {
      expect(row.image_id).toBe(imageId);
      expect(row.patient_id).toBe(patientId);
      expect(JSON.parse(row.detail)).toMatchObject({ annotationId: saved.id });
    }
    // Nothing changed.
    expect((await as.lavoie!.call('annotations.list', { imageId })).annotations).toEqual([expect.objectContaining({ version: 1, label, editable: true })]);

    // The author edits the label; an admin then moves it: the author stays, the history says who saved.
    const relabelled = await as.lavoie!.call('annotations.save', { imageId, id: saved.id, version: 1, tool: 'Length', geometry, label: 'Lésion périapicale' });
    const moved = await as.admin!.call('annotations.save', { imageId, id: saved.id, version: 2, tool: 'Length', geometry: { ...geometry, points: [[101, 200], [400, 600]] }, label: relabelled.label });
    expect(moved).toMatchObject({ version: 3, authorId: userIds.lavoie, editable: true });
    expect(await as.lavoie!.tryCall('annotations.save', { imageId, id: saved.id, version: 2, tool: 'Length', geometry, label: null })).toMatchObject({ ok: false, error: { code: 'CONFLICT' } });

    expect(await as.lavoie!.call('annotations.delete', { id: saved.id, version: 3 })).toEqual({ deleted: true });
    expect((await as.chen!.call('annotations.list', { imageId })).annotations).toEqual([]);
    const { versions } = await as.lavoie!.call('annotations.history', { id: saved.id });
    expect(versions.map((v) => [v.version, v.label, v.authorId, v.deleted])).toEqual([
      [1, label, userIds.lavoie, false],
      [2, 'Lésion périapicale', userIds.lavoie, false],
      [3, 'Lésion périapicale', userIds.admin, false],
      [4, 'Lésion périapicale', userIds.lavoie, true],
    ]);
  });

  it('lets an admin delete anyone’s annotation', async () => {
    const saved = await as.chen!.call('annotations.save', { imageId, tool: 'Angle', geometry: { points: [[1, 1], [5, 5], [9, 1]] }, label: null });
    expect((await as.admin!.call('annotations.list', { imageId })).annotations).toEqual([expect.objectContaining({ id: saved.id, editable: true })]);
    await as.admin!.call('annotations.delete', { id: saved.id, version: 1 });
    expect((await as.chen!.call('annotations.list', { imageId })).annotations).toEqual([]);
  });
});
