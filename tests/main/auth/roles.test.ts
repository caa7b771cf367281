// Pins down who may call what, on SQLite and PostgreSQL, through the real dispatcher and the
// session registry every transport uses: every method of the contract, called by every role it
// does not grant, is refused with FORBIDDEN before its handler runs, and each refusal is in the
// audit log (method and role, no input); without a signed-in user — or on a locked session —
// every non-public method answers UNAUTHENTICATED.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createClient, type CuspClient } from '../../../contract/client.js';
import { methods, roleGrants, roles, type MethodName, type Role } from '../../../contract/index.js';
import { openApp, type App } from '../../../main/app/index.js';
import { silentLogger } from '../../../main/app/log.js';
import { createMemoryTransport } from '../../../main/server/memory.js';
import { databases } from '../../support/databases.js';
import { scratchDir } from '../../support/paths.js';
import { createDatabase } from '../../support/postgres.js';

const password = 'correct-horse-42';
const methodNames = Object.keys(methods) as MethodName[];

describe.each(databases)('roles on %s', (client) => {
  let app: App;
  const as = {} as Record<Role, CuspClient>;
  let anonymous: CuspClient;

  /** A client whose calls carry `sessionId`; the user comes from the registry, as on IPC and HTTP. */
  const session = (sessionId: string) =>
    createClient(
      createMemoryTransport(app.dispatch, app.services.events, () => ({
        transport: 'memory',
        workstation: 'chair-2',
        sessionId,
        user: app.resolveUser(sessionId),
      })),
    );

  beforeAll(async () => {
    const dataDir = scratchDir('roles');
    const database = client === 'sqlite' ? { client, filename: 'practice.sqlite' } : { client, url: await createDatabase(inject('postgresUrl')) };
    writeFileSync(join(dataDir, 'config.json'), JSON.stringify({ database, workstation: 'chair-2' }));
    app = await openApp({ dataDir, log: silentLogger });
    const admin = session('admin');
    await admin.call('auth.setupPractice', { practiceName: 'Clinique des Roles', admin: { username: 'admin', displayName: 'Admin', password } });
    for (const role of roles) {
      if (role !== 'admin') await admin.call('users.create', { username: role, displayName: role, role, password });
      as[role] = role === 'admin' ? admin : session(role);
      if (role !== 'admin') await as[role].call('auth.signIn', { username: role, password });
    }
    anonymous = session('nobody');
  });
  afterAll(async () => {
    app?.auth.close();
    await app?.services.close();
  });

  const refusals = async () =>
    (await as.admin.call('audit.query', { action: 'access.refused', limit: 1000 })).entries.map((e) => e.detail as { method: string; role: string });

  it.each(roles)('refuses %s every method its role does not grant, and audits each attempt', async (role) => {
    const denied = methodNames.filter((m) => !roleGrants(role, methods[m].access));
    if (role === 'frontdesk') expect(denied).toEqual(expect.arrayContaining(['treatment.createPlan', 'annotations.save', 'imaging.linkProcedure', 'users.create', 'audit.query']));
    if (role === 'dentist') expect(denied).toEqual(expect.arrayContaining(['users.create', 'users.setPassword', 'audit.query']));
    if (role === 'admin') expect(denied).toEqual([]);
    const before = (await refusals()).length;
    for (const method of denied) {
      // Even a well-formed call is refused: the role is checked before the input.
      const result = await as[role].tryCall(method, {} as never);
      expect(result, method).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    }
    const logged = (await refusals()).slice(0, denied.length);
    expect((await refusals()).length - before).toBe(denied.length);
    expect(logged.map((d) => d.method).sort()).toEqual([...denied].sort());
    expect(new Set(logged.map((d) => d.role))).toEqual(new Set(denied.length ? [role] : []));
  });

  it('lets the front desk do its work, and a dentist plan treatment', async () => {
    const patient = await as.frontdesk.call('patients.create', { familyName: 'Tremblay', givenName: 'Hélène' });
    expect((await as.frontdesk.call('patients.search', { query: 'helene' })).patients.map((p) => p.id)).toContain(patient.id);
    const plan = await as.dentist.call('treatment.createPlan', { patientId: patient.id, title: 'Plan', phases: [] });
    expect(plan.patientId).toBe(patient.id);
    expect(await as.frontdesk.tryCall('treatment.plans', { patientId: patient.id })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
  });

  it('lets an admin set up chairs and providers, once per name', async () => {
    const { id } = await as.admin.call('settings.createOperatory', { name: 'Salle 1', aeTitles: ['IO_SALLE1'] });
    expect(await as.admin.tryCall('settings.createOperatory', { name: 'Salle 1' })).toMatchObject({ ok: false, error: { code: 'CONFLICT' } });
    expect(await as.admin.tryCall('settings.createOperatory', { name: 'Salle 2', aeTitles: ['BAD\\AE'] })).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT' } });
    await as.admin.call('settings.createProvider', { displayName: 'Dre Roy', kind: 'dentist', color: '#2f7ed8' });
    expect((await as.frontdesk.call('schedule.operatories', {})).operatories.map((o) => o.id)).toContain(id);
    expect((await as.frontdesk.call('schedule.providers', {})).providers.map((p) => p.displayName)).toContain('Dre Roy');
  });

  it('records the refused user and workstation with the attempt, never the input', async () => {
    const entries = (await as.admin.call('audit.query', { action: 'access.refused', limit: 5 })).entries;
    const users = (await as.admin.call('users.list', {})).users;
    const frontdesk = users.find((u) => u.username === 'frontdesk')!;
    const last = entries.find((e) => e.userId === frontdesk.id)!;
    expect(last).toMatchObject({ workstation: 'chair-2', patientId: null });
    expect(Object.keys(last.detail!).sort()).toEqual(['method', 'role']);
  });

  it('answers UNAUTHENTICATED to every non-public method without a signed-in user', async () => {
    const guarded = methodNames.filter((m) => methods[m].access !== 'public');
    expect(guarded.length).toBeGreaterThan(20);
    for (const method of guarded) {
      expect(await anonymous.tryCall(method, {} as never), method).toMatchObject({ ok: false, error: { code: 'UNAUTHENTICATED' } });
    }
    expect(await anonymous.call('auth.status', {})).toMatchObject({ setupNeeded: false, session: { state: 'signedOut' } });
  });

  it('answers UNAUTHENTICATED on a locked session until the password is given again', async () => {
    const hygienist = as.hygienist;
    await hygienist.call('auth.lock', {});
    expect(await hygienist.tryCall('patients.search', { query: 'a' })).toMatchObject({ ok: false, error: { code: 'UNAUTHENTICATED' } });
    expect(await hygienist.call('auth.status', {})).toMatchObject({ session: { state: 'locked', user: { username: 'hygienist', role: 'hygienist' } } });
    await hygienist.call('auth.signIn', { username: 'hygienist', password });
    expect((await hygienist.call('patients.search', { query: 'a' })).patients).toBeDefined();
  });
});
