// Pins down sign-in on a workstation: first run creates the practice and its admin exactly once;
// sign-in checks the scrypt hash, is audited either way without the password, and is throttled
// per user name and per session; signing in as someone else switches the user; a session locks
// on request or after inactivity (and says so to every window); the HTTP transport resolves
// its cookie session's user through the same registry.
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient, type CuspClient } from '../../../contract/client.js';
import type { AuthChanged } from '../../../contract/index.js';
import { openApp, type App } from '../../../main/app/index.js';
import { createLogger } from '../../../main/app/log.js';
import { SessionRegistry } from '../../../main/auth/sessions.js';
import { FailureThrottle } from '../../../main/auth/throttle.js';
import { startHttpServer, type HttpServer } from '../../../main/server/http.js';
import { createMemoryTransport } from '../../../main/server/memory.js';
import { scratchDir } from '../../support/paths.js';

const password = 'first-admin-pass';
let app: App;
let logged = '';
const changes: AuthChanged[] = [];

const session = (sessionId: string): CuspClient =>
  createClient(
    createMemoryTransport(app.dispatch, app.services.events, () => ({ transport: 'memory', workstation: 'desk-1', sessionId, user: app.resolveUser(sessionId) })),
  );

beforeAll(async () => {
  const destination = new Writable({ write(chunk, _enc, done) { logged += String(chunk); done(); } });
  app = await openApp({ dataDir: scratchDir('sessions'), log: createLogger({ level: 'debug', destination }) });
  app.services.events.subscribe((name, payload) => name === 'auth.changed' && changes.push(payload as AuthChanged));
});
afterAll(async () => {
  app?.auth.close();
  await app?.services.close();
});

const auditActions = async (admin: CuspClient) => (await admin.call('audit.query', { limit: 1000 })).entries;

describe('first run', () => {
  it('reports setup needed, creates the practice and its admin once, signed in at once', async () => {
    const desk = session('desk');
    expect(await desk.call('auth.status', {})).toEqual({
      setupNeeded: true, practice: null, language: 'fr', autoLockMinutes: 10, session: { state: 'signedOut' },
    });
    expect(await desk.tryCall('auth.setupPractice', { practiceName: 'Clinique', admin: { username: 'Boss', displayName: 'B', password: 'short' } })).toMatchObject({
      ok: false, error: { code: 'INVALID_INPUT' },
    });
    const status = await desk.call('auth.setupPractice', { practiceName: 'Clinique du Parc', admin: { username: 'Marie.Admin', displayName: 'Marie', password } });
    expect(status).toMatchObject({ setupNeeded: false, practice: { name: 'Clinique du Parc', demo: false }, session: { state: 'signedIn', user: { username: 'marie.admin', role: 'admin' } } });
    expect(changes.at(-1)).toEqual({ workstation: expect.any(String), state: 'signedIn' });

    const other = session('other');
    expect(await other.tryCall('auth.setupPractice', { practiceName: 'Hijack', admin: { username: 'evil', displayName: 'E', password } })).toMatchObject({
      ok: false, error: { code: 'CONFLICT' },
    });
    expect(await other.tryCall('practice.createDemo', {})).toMatchObject({ ok: false, error: { code: 'CONFLICT' } });
    expect((await desk.call('users.list', {})).users.map((u) => u.username)).toEqual(['marie.admin']);
    expect((await auditActions(desk)).map((e) => e.action)).toContain('practice.setup');
  });
});

describe('sign-in', () => {
  it('checks the password, audits success and failure without the password, and signs out', async () => {
    const admin = session('desk');
    await admin.call('users.create', { username: 'accueil', displayName: 'Accueil', role: 'frontdesk', password: 'front-desk-pass' });
    const tab = session('tab-1');
    expect(await tab.tryCall('auth.signIn', { username: 'accueil', password: 'not-the-password' })).toMatchObject({ ok: false, error: { code: 'UNAUTHENTICATED', message: 'Wrong user name or password' } });
    expect(await tab.tryCall('auth.signIn', { username: 'nobody', password: 'whatever-123' })).toMatchObject({ ok: false, error: { code: 'UNAUTHENTICATED', message: 'Wrong user name or password' } });
    const status = await tab.call('auth.signIn', { username: ' ACCUEIL ', password: 'front-desk-pass' });
    expect(status.session).toMatchObject({ state: 'signedIn', user: { username: 'accueil', role: 'frontdesk', displayName: 'Accueil' } });
    expect((await tab.call('patients.search', { query: '' })).patients).toEqual([]);

    const entries = await auditActions(admin);
    const reasons = entries.filter((e) => e.action === 'auth.signIn.failed').map((e) => e.detail);
    expect(reasons).toEqual([{ reason: 'unknown-user' }, { reason: 'wrong-password' }]);
    expect(entries.find((e) => e.action === 'auth.signIn')).toMatchObject({ workstation: 'desk-1', detail: { role: 'frontdesk' } });
    const everything = JSON.stringify(entries) + logged;
    for (const secret of ['not-the-password', 'whatever-123', 'front-desk-pass', password]) expect(everything).not.toContain(secret);

    expect(await tab.call('auth.signOut', {})).toMatchObject({ session: { state: 'signedOut' } });
    expect(await tab.tryCall('patients.search', { query: '' })).toMatchObject({ ok: false, error: { code: 'UNAUTHENTICATED' } });
    expect((await auditActions(admin)).map((e) => e.action)[0]).toBe('auth.signOut');
  });

  it('throttles a user name after five failures, even with the right password, and says so', async () => {
    const admin = session('desk');
    await admin.call('users.create', { username: 'target', displayName: 'T', role: 'dentist', password: 'target-password' });
    for (let i = 0; i < 5; i += 1) {
      const attacker = session(`attacker-${i}`); // a new session each time: the user name still counts
      expect(await attacker.tryCall('auth.signIn', { username: 'target', password: `guess-${i}` })).toMatchObject({ ok: false, error: { code: 'UNAUTHENTICATED' } });
    }
    const owner = session('owner');
    const refused = await owner.tryCall('auth.signIn', { username: 'target', password: 'target-password' });
    expect(refused).toMatchObject({ ok: false, error: { code: 'UNAVAILABLE', message: expect.stringMatching(/Too many failed sign-ins: try again in \d+ s/) } });
    expect((await auditActions(admin)).map((e) => e.action)[0]).toBe('auth.signIn.throttled');
    // Other names are not held up by it.
    expect(await owner.call('auth.signIn', { username: 'accueil', password: 'front-desk-pass' })).toMatchObject({ session: { state: 'signedIn' } });
  });

  it('switches the user of a workstation session by signing in as someone else', async () => {
    const chair = session('chair');
    await chair.call('auth.signIn', { username: 'accueil', password: 'front-desk-pass' });
    expect(await chair.tryCall('audit.query', {})).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    const switched = await chair.call('auth.signIn', { username: 'marie.admin', password });
    expect(switched.session).toMatchObject({ state: 'signedIn', user: { username: 'marie.admin' } });
    const [entry] = (await chair.call('audit.query', { action: 'auth.signIn', limit: 1 })).entries;
    expect(entry!.detail).toMatchObject({ role: 'admin', switchedFrom: expect.any(String) });
  });

  it('locks on request: the user stays named, calls need the password again, windows are told', async () => {
    const chair = session('chair');
    changes.length = 0;
    expect(await chair.call('auth.lock', {})).toMatchObject({ session: { state: 'locked', user: { username: 'marie.admin' } } });
    expect(changes).toEqual([{ workstation: expect.any(String), state: 'locked' }]);
    expect(await chair.tryCall('users.list', {})).toMatchObject({ ok: false, error: { code: 'UNAUTHENTICATED' } });
    expect(await chair.tryCall('auth.signIn', { username: 'marie.admin', password: 'wrong-password' })).toMatchObject({ ok: false, error: { code: 'UNAUTHENTICATED' } });
    expect(await chair.call('auth.status', {})).toMatchObject({ session: { state: 'locked' } });
    await chair.call('auth.signIn', { username: 'marie.admin', password });
    const [entry] = (await chair.call('audit.query', { action: 'auth.signIn', limit: 1 })).entries;
    expect(entry!.detail).toMatchObject({ unlocked: true });
  });

  it('changes the own password only with the current one', async () => {
    const tab = session('pw');
    await tab.call('auth.signIn', { username: 'accueil', password: 'front-desk-pass' });
    expect(await tab.tryCall('auth.changePassword', { current: 'nope-nope-nope', next: 'new-front-pass' })).toMatchObject({ ok: false, error: { code: 'UNAUTHENTICATED' } });
    await tab.call('auth.changePassword', { current: 'front-desk-pass', next: 'new-front-pass' });
    await tab.call('auth.signOut', {});
    expect(await tab.tryCall('auth.signIn', { username: 'accueil', password: 'front-desk-pass' })).toMatchObject({ ok: false });
    await tab.call('auth.signIn', { username: 'accueil', password: 'new-front-pass' });
  });
});

describe('user changes by an administrator', () => {
  it('sign the user out everywhere when deactivated or given a new password', async () => {
    const admin = session('desk');
    const created = await admin.call('users.create', { username: 'temp', displayName: 'Temp', role: 'assistant', password: 'temp-password-1' });
    const [tabA, tabB] = [session('temp-a'), session('temp-b')];
    await tabA.call('auth.signIn', { username: 'temp', password: 'temp-password-1' });
    await tabB.call('auth.signIn', { username: 'temp', password: 'temp-password-1' });
    await admin.call('users.setPassword', { id: created.id, password: 'temp-password-2' });
    for (const tab of [tabA, tabB]) expect(await tab.call('auth.status', {})).toMatchObject({ session: { state: 'signedOut' } });
    await tabA.call('auth.signIn', { username: 'temp', password: 'temp-password-2' });
    await admin.call('users.update', { id: created.id, version: created.version, active: false });
    expect(await tabA.tryCall('patients.search', { query: '' })).toMatchObject({ ok: false, error: { code: 'UNAUTHENTICATED' } });
    expect(await tabA.tryCall('auth.signIn', { username: 'temp', password: 'temp-password-2' })).toMatchObject({ ok: false, error: { code: 'UNAUTHENTICATED' } });
    expect((await admin.call('audit.query', { action: 'auth.signIn.failed', limit: 1 })).entries[0]!.detail).toEqual({ reason: 'inactive-user' });
  });
});

describe('the HTTP transport', () => {
  let server: HttpServer;
  beforeAll(async () => {
    server = await startHttpServer({ dispatch: app.dispatch, events: app.services.events, log: app.services.log, workstation: 'desk-1', resolveUser: app.resolveUser });
  });
  afterAll(() => server?.close());

  const rpc = async (cookie: string, method: string, input: unknown) => {
    const response = await fetch(`${server.origin}/rpc`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Cookie: `cusp_token=${server.token}; cusp_session=${cookie}` },
      body: JSON.stringify({ method, input }),
    });
    return (await response.json()) as { ok: boolean; value?: unknown; error?: { code: string } };
  };

  it('gives each browser session its own signed-in user', async () => {
    expect(await rpc('browser-a', 'auth.signIn', { username: 'marie.admin', password })).toMatchObject({ ok: true });
    expect(await rpc('browser-a', 'users.list', {})).toMatchObject({ ok: true });
    expect(await rpc('browser-b', 'users.list', {})).toMatchObject({ ok: false, error: { code: 'UNAUTHENTICATED' } });
  });
});

describe('the session registry', () => {
  it('locks a session after the configured inactivity, and activity postpones it', () => {
    let now = 0;
    const seen: string[] = [];
    const registry = new SessionRegistry({ autoLockMs: 60_000, now: () => now, onChange: (id, change) => seen.push(`${id}:${change}`) });
    const user = { id: 'u', username: 'u', displayName: 'U', role: 'dentist' as const, practiceId: 'p' };
    registry.signIn('s', user);
    now = 59_000;
    expect(registry.resolveUser('s')).toEqual({ id: 'u', role: 'dentist', practiceId: 'p' });
    now = 118_000;
    registry.lockIdle();
    expect(registry.get('s')?.locked).toBe(false);
    now = 119_000;
    registry.lockIdle();
    expect(registry.get('s')?.locked).toBe(true);
    expect(registry.resolveUser('s')).toBeNull();
    expect(seen).toEqual(['s:signedIn', 's:locked']);
    registry.signOutUser('u');
    expect(registry.get('s')).toBeNull();
  });

  it('makes a throttled key wait twice as long after each further failure, and forgets a success', () => {
    let now = 0;
    const throttle = new FailureThrottle({ freeFailures: 2, firstWaitMs: 1000, maxWaitMs: 3000, forgetAfterMs: 60_000, now: () => now });
    throttle.fail('k');
    throttle.fail('k');
    expect(throttle.waitMs('k')).toBe(1000);
    throttle.fail('k');
    expect(throttle.waitMs('k')).toBe(2000);
    throttle.fail('k');
    expect(throttle.waitMs('k')).toBe(3000);
    now = 3000;
    expect(throttle.waitMs('k')).toBe(0);
    throttle.succeed('k');
    throttle.fail('k');
    expect(throttle.waitMs('k')).toBe(0);
    now = 200_000;
    throttle.fail('k');
    expect(throttle.waitMs('k')).toBe(0);
  });
});
