// Pins down the practice methods through the contract (dispatcher + in-memory transport, as
// the renderer calls them) on both databases: roles are enforced, reading and changing a chart
// is audited with ids, log lines never carry a patient's name, and health reports the database.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { createClient, type CuspClient } from '../../../contract/client.js';
import type { Role } from '../../../contract/index.js';
import { openApp, type App } from '../../../main/app/index.js';
import { createLogger } from '../../../main/app/log.js';
import { createMemoryTransport } from '../../../main/server/memory.js';
import { createPractice } from '../../../main/db/repositories/practices.js';
import { createOperatory, createProvider } from '../../../main/db/repositories/schedule.js';
import { createUser } from '../../../main/db/repositories/users.js';
import { databases } from '../../support/databases.js';
import { scratchDir } from '../../support/paths.js';
import { freePort } from '../../support/orthanc.js';
import { createDatabase } from '../../support/postgres.js';

describe.each(databases)('practice methods on %s', (client) => {
  let app: App;
  let logged = '';
  const as: Partial<Record<Role, CuspClient>> = {};
  let ids: { practiceId: string; providerId: string; chair: string; userIds: Record<string, string> };

  beforeAll(async () => {
    const dataDir = scratchDir('handlers');
    const database = client === 'sqlite' ? { client, filename: 'practice.sqlite' } : { client, url: await createDatabase(inject('postgresUrl')) };
    writeFileSync(join(dataDir, 'config.json'), JSON.stringify({ database, workstation: 'reception-1' }));
    const destination = new Writable({ write(chunk, _enc, done) { logged += String(chunk); done(); } });
    app = await openApp({ dataDir, log: createLogger({ level: 'debug', destination }) });
    const db = app.services.database();
    const practice = await createPractice(db, { name: 'Clinique' });
    const userIds: Record<string, string> = {};
    for (const role of ['dentist', 'frontdesk', 'admin'] as const) {
      userIds[role] = (await createUser(db, practice.id, { username: role, displayName: role, role, password: 'password-123456' })).id;
      const ctx = () => ({ transport: 'memory' as const, workstation: 'reception-1', sessionId: role, user: { id: userIds[role]!, role, practiceId: practice.id } });
      as[role] = createClient(createMemoryTransport(app.dispatch, app.services.events, ctx));
    }
    ids = {
      practiceId: practice.id,
      providerId: await createProvider(db, practice.id, { displayName: 'Dr', kind: 'dentist' }),
      chair: await createOperatory(db, practice.id, { name: 'Chair 1' }),
      userIds,
    };
  });
  afterAll(async () => app?.services.close());

  it('reports the database as ok in health', async () => {
    const anonymous = createClient(createMemoryTransport(app.dispatch, app.services.events, () => ({ transport: 'memory', workstation: 'w', sessionId: 'x', user: null })));
    expect((await anonymous.call('app.health', {})).database).toEqual({ state: 'ok' });
    expect(await anonymous.tryCall('patients.search', { query: 'a' })).toMatchObject({ ok: false, error: { code: 'UNAUTHENTICATED' } });
  });

  it('runs a front-desk day: create, find, book, double-book refused, move, stale edit refused', async () => {
    const front = as.frontdesk!;
    const patient = await front.call('patients.create', { familyName: 'Bélanger', givenName: 'Noémie', birthDate: '1990-04-05', phone: '418 555 0123' });
    expect((await front.call('patients.search', { query: 'noemie bel' })).patients.map((p) => p.id)).toEqual([patient.id]);
    const slot = { patientId: patient.id, providerId: ids.providerId, operatoryId: ids.chair, startsAt: '2027-03-01T14:00:00.000Z', endsAt: '2027-03-01T14:45:00.000Z' };
    const appointment = await front.call('appointments.create', slot);
    expect(await front.tryCall('appointments.create', { ...slot, startsAt: '2027-03-01T14:30:00.000Z', endsAt: '2027-03-01T15:00:00.000Z' })).toMatchObject({ ok: false, error: { code: 'CONFLICT' } });
    const moved = await front.call('appointments.move', { id: appointment.id, version: appointment.version, startsAt: '2027-03-01T15:00:00.000Z', endsAt: '2027-03-01T15:45:00.000Z' });
    expect(moved.version).toBe(2);
    expect(await front.tryCall('appointments.cancel', { id: appointment.id, version: 1 })).toMatchObject({ ok: false, error: { code: 'CONFLICT' } });
    const day = await front.call('appointments.list', { from: '2027-03-01T00:00:00.000Z', to: '2027-03-02T00:00:00.000Z' });
    expect(day.appointments.map((a) => [a.id, a.patient.familyName])).toEqual([[appointment.id, 'Bélanger']]);
    expect(await front.tryCall('appointments.create', { ...slot, endsAt: slot.startsAt })).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT' } });
  });

  it('enforces roles: front desk cannot touch treatment plans or the audit log; the dentist can plan', async () => {
    const patient = await as.frontdesk!.call('patients.create', { familyName: 'Role', givenName: 'Test' });
    expect(await as.frontdesk!.tryCall('treatment.createPlan', { patientId: patient.id, title: 'x' })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    expect(await as.frontdesk!.tryCall('audit.query', {})).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    const plan = await as.dentist!.call('treatment.createPlan', { patientId: patient.id, title: 'Ortho', phases: [{ title: 'Phase 1', procedures: [{ cdtCode: 'D8080', feeCents: 500000 }] }] });
    expect(plan.phases[0]!.procedures[0]).toMatchObject({ cdtCode: 'D8080', feeCents: 500000 });
    expect(await as.dentist!.tryCall('treatment.addProcedure', { phaseId: plan.phases[0]!.id, procedure: { cdtCode: 'D2391', tooth: 19 } })).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT' } });
    expect(await as.dentist!.tryCall('users.create', { username: 'x', displayName: 'x', role: 'admin', password: 'password-123456' })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
  });

  it('audits who opened which chart from which workstation, with ids only', async () => {
    const patient = await as.frontdesk!.call('patients.create', { familyName: 'Zzyzx', givenName: 'Audité', phone: '514 555 7777' });
    await as.dentist!.call('patients.get', { id: patient.id });
    await as.dentist!.call('imaging.forPatient', { patientId: patient.id });
    await as.dentist!.call('patients.update', { id: patient.id, version: 1, changes: { phone: '514 555 8888' } });
    const { entries } = await as.admin!.call('audit.query', { patientId: patient.id });
    expect(entries.map((e) => [e.action, e.userId, e.workstation])).toEqual([
      ['patient.update', ids.userIds.dentist, 'reception-1'],
      ['images.list', ids.userIds.dentist, 'reception-1'],
      ['patient.open', ids.userIds.dentist, 'reception-1'],
      ['patient.create', ids.userIds.frontdesk, 'reception-1'],
    ]);
    expect(entries[0]!.detail).toEqual({ fields: ['phone'] });
    const all = JSON.stringify((await as.admin!.call('audit.query', { limit: 1000 })).entries);
    // (Whole values only: a short fragment like "555" can turn up inside a UUID or a timestamp.)
    expect(all).not.toMatch(/Zzyzx|Audité|555 7777|5557777|555 8888|5558888/);
  });

  it('never writes a patient name, birth date or phone to the log, even when a call fails', async () => {
    const patient = await as.frontdesk!.call('patients.create', { familyName: 'Qwertyuiop', givenName: 'Lognom', birthDate: '1961-07-08', phone: '819 555 4242' });
    await as.frontdesk!.tryCall('patients.create', { chartNumber: patient.chartNumber, familyName: 'Qwertyuiop', givenName: 'Lognom' });
    await as.frontdesk!.tryCall('patients.update', { id: patient.id, version: 9, changes: { familyName: 'Qwertyuiop2' } });
    await as.frontdesk!.tryCall('treatment.plans', { patientId: patient.id });
    expect(logged.length).toBeGreaterThan(0); // the refusals and conflicts above were logged…
    expect(logged).not.toMatch(/Qwertyuiop|Lognom|1961-07-08|555 4242|5554242/); // …without identifying data
  });
});

describe('practice methods without a reachable database', () => {
  it('starts anyway: health says unavailable and calls get UNAVAILABLE, with no password in the log', async () => {
    const dataDir = scratchDir('no-db');
    const port = await freePort();
    writeFileSync(join(dataDir, 'config.json'), JSON.stringify({ database: { client: 'postgres', url: `postgres://cusp:s3cret-pw@127.0.0.1:${port}/practice` } }));
    let logged = '';
    const destination = new Writable({ write(chunk, _enc, done) { logged += String(chunk); done(); } });
    const app = await openApp({ dataDir, log: createLogger({ destination }) });
    try {
      const client = createClient(createMemoryTransport(app.dispatch, app.services.events, () => ({
        transport: 'memory', workstation: 'w', sessionId: 's',
        user: { id: '00000000-0000-4000-8000-000000000001', role: 'frontdesk', practiceId: '00000000-0000-4000-8000-000000000002' },
      })));
      expect((await client.call('app.health', {})).database).toMatchObject({ state: 'unavailable' });
      expect(await client.tryCall('patients.search', { query: 'tremblay' })).toMatchObject({ ok: false, error: { code: 'UNAVAILABLE' } });
      expect(logged).toMatch(/practice database unavailable/);
      expect(logged).not.toContain('s3cret-pw');
    } finally {
      await app.services.close();
    }
  });
});
