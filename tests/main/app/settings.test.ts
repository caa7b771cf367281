// Pins down the administrator's settings in main: the new config.json keys (store.residency,
// cache.maxBytes, nightly.hour) and what they do (a non-Canadian store is refused under the
// default 'canada' policy), the practice and personal language and the compression preset (shared
// through the database, validated, audited without secrets), the Orthanc connection (password in
// the secret store, never in config.json; an unreachable address said in words), the admin-only
// access of each method, and the agent's once-a-night schedule.
import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { presetFor } from '../../../main/app/compression.js';
import { loadConfig } from '../../../main/app/config.js';
import type { CallContext } from '../../../main/app/context.js';
import { openApp, type App } from '../../../main/app/index.js';
import { silentLogger } from '../../../main/app/log.js';
import { describeStore, testStore } from '../../../main/app/store-settings.js';
import { main } from '../../../main/cli/index.js';
import { nightOf, startNightly } from '../../../main/cli/nightly.js';
import { AzureStore } from '../../../main/storage/azure.js';
import { FileSecretStore } from '../../../main/storage/secrets.js';
import { readAll } from '../../../main/storage/store.js';
import { startAzurite, type AzuriteServer } from '../../support/azurite.js';
import { freeLoopbackPort } from '../../support/ports.js';
import { dicomData, scratchDir } from '../../support/paths.js';

describe('config.json keys for the store, the cache and the nightly jobs', () => {
  it('defaults to Canada only, a 20 GB cache and 02:00, and refuses values out of bounds', async () => {
    const dir = scratchDir('settings-config');
    const config = await loadConfig(dir);
    expect(config.store).toEqual({ url: 'file:objects', residency: 'canada' });
    expect(config.cache.maxBytes).toBe(20e9);
    expect(config.nightly.hour).toBe(2);
    await writeFile(join(dir, 'config.json'), JSON.stringify({ store: { url: 'file:objects', residency: 'europe' } }));
    await expect(loadConfig(dir)).rejects.toThrow(/store\.residency/);
    await writeFile(join(dir, 'config.json'), JSON.stringify({ cache: { maxBytes: 1000 } }));
    await expect(loadConfig(dir)).rejects.toThrow(/cache\.maxBytes/);
  });

  it("refuses to open a store outside Canada under 'canada', and opens it under 'any'", async () => {
    const dir = scratchDir('settings-residency');
    await writeFile(join(dir, 'config.json'), JSON.stringify({ store: { url: 's3://clinic-bucket/images?region=us-east-1' } }));
    const app = await openApp({ dataDir: dir, log: silentLogger });
    try {
      const health = await app.services.health();
      expect(health.store.state).toBe('unavailable');
      expect(health.store.message).toMatch(/Canada only.*region us-east-1/);
    } finally {
      await app.services.close();
    }
    await writeFile(join(dir, 'config.json'), JSON.stringify({ store: { url: 's3://clinic-bucket/images?region=us-east-1', residency: 'any' } }));
    const open = await openApp({ dataDir: dir, log: silentLogger });
    try {
      expect(open.services.storage().backend.description.region).toBe('us-east-1');
    } finally {
      await open.services.close();
    }
  });
});

describe('settings methods', () => {
  const dataDir = scratchDir('settings-methods');
  let app: App;
  const ctx = (sessionId: string): CallContext => ({ transport: 'memory', workstation: 'front-1', sessionId, user: app.resolveUser(sessionId) });
  async function call<T = Record<string, unknown>>(method: string, input: unknown, sessionId = 'admin'): Promise<T> {
    const result = await app.dispatch(method, input, ctx(sessionId));
    if (!result.ok) throw new Error(`${method}: ${result.error.code} ${result.error.message}`);
    return result.value as T;
  }
  const audit = async (action: string) =>
    (await call<{ entries: Array<{ action: string; userId: string; detail: Record<string, unknown> }> }>('audit.query', { action })).entries;

  beforeAll(async () => {
    app = await openApp({ dataDir, log: silentLogger });
    await call('auth.setupPractice', { practiceName: 'Clinique Test', admin: { username: 'admin', displayName: 'Admin', password: 'a-long-test-password' } });
    await call('users.create', { username: 'accueil', displayName: 'Accueil', role: 'frontdesk', password: 'another-long-password' });
    await call('auth.signIn', { username: 'accueil', password: 'another-long-password' }, 'front');
  });
  afterAll(async () => app?.services.close());

  it('keeps the practice language and each person\'s own, audited', async () => {
    expect(await call('settings.language', {})).toEqual({ practiceDefault: 'fr', user: null, effective: 'fr' });
    expect(await call('settings.setPracticeLanguage', { language: 'en' })).toMatchObject({ practiceDefault: 'en', effective: 'en' });
    // The front desk follows the practice until choosing for themself; only that person changes.
    expect(await call('settings.language', {}, 'front')).toEqual({ practiceDefault: 'en', user: null, effective: 'en' });
    expect(await call('settings.setUserLanguage', { language: 'fr' }, 'front')).toEqual({ practiceDefault: 'en', user: 'fr', effective: 'fr' });
    expect((await call('settings.language', {})).effective).toBe('en');
    expect((await audit('settings.language.practice'))[0]!.detail).toEqual({ from: 'fr', to: 'en' });
    expect((await audit('settings.language.user'))[0]!.detail).toMatchObject({ from: null, to: 'fr' });
    // Only an administrator sets the practice default.
    const refused = await app.dispatch('settings.setPracticeLanguage', { language: 'fr' }, ctx('front'));
    expect(refused).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
  });

  it('stores the compression preset for the practice, validated and audited, and ingest builds its preset from it', async () => {
    expect(await call('settings.compression', {})).toEqual({ preset: 'default', view: null });
    const saved = await call('settings.setCompression', { preset: 'keep-original', view: { format: 'webp', quality: 92 } });
    expect(saved).toEqual({ preset: 'keep-original', view: { format: 'webp', quality: 92 } });
    const preset = presetFor(saved as never);
    expect(preset.master).toBe('original');
    expect(preset.view).toMatchObject({ format: 'webp', quality: 92, minSsim: 0.97, maxQuality: 95 });
    expect(presetFor({ preset: 'default', view: { format: 'avif', quality: 70 } }).allowAvif).toBe(true);
    // The default view's JPEG quantization table goes with JPEG only.
    expect(presetFor({ preset: 'default', view: { format: 'webp', quality: 90 } }).view.quantTable).toBeUndefined();
    expect(presetFor({ preset: 'default', view: { format: 'jpeg', quality: 90 } }).view).toMatchObject({ quality: 90, quantTable: 7 });
    expect(await app.dispatch('settings.setCompression', { preset: 'default', view: { format: 'jpeg', quality: 20 } }, ctx('admin'))).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT' } });
    expect(await app.dispatch('settings.setCompression', { preset: 'huge' }, ctx('admin'))).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT' } });
    expect((await audit('settings.compression'))[0]!.detail).toEqual({ from: 'default', to: 'keep-original+view:webp/92' });
    expect(await app.dispatch('settings.setCompression', { preset: 'default', view: null }, ctx('front'))).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    expect(await app.dispatch('settings.compression', {}, ctx('front'))).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
  });

  it('derives new images with the practice preset: the imported view is WebP and the master the original file', async () => {
    const patientId = (await call('patients.create', { familyName: 'Tremblay', givenName: 'Hélène' })).id as string;
    const file = dicomData('dental', 'IO_bitewing01_8bit_JPEGBaseline.dcm');
    vi.spyOn(console, 'log').mockImplementation(() => undefined);
    try {
      expect(await main(['node', 'cusp', 'import', file, '--patient', patientId, '--data', dataDir])).toBe(0);
    } finally {
      vi.restoreAllMocks();
    }
    const knex = app.services.database().knex;
    const image = await knex('images').where('patient_id', patientId).first('id');
    const objects = await knex('stored_objects').where('image_id', image.id).select('variant', 'object_key', 'sha256');
    const view = objects.find((o) => o.variant === 'view')!;
    const viewBytes = await readAll((await app.services.storage().store.get(view.object_key)).body);
    expect(viewBytes.subarray(0, 4).toString('latin1')).toBe('RIFF');
    expect(viewBytes.subarray(8, 12).toString('latin1')).toBe('WEBP');
    const master = objects.find((o) => o.variant === 'master')!;
    expect(master.sha256).toBe(createHash('sha256').update(await readFile(file)).digest('hex'));
  });

  it('saves Orthanc with its password in the secret store only, and says in words when it cannot be reached', async () => {
    const port = await freeLoopbackPort();
    const url = `http://127.0.0.1:${port}`;
    const test = await call('settings.testOrthanc', { url, username: 'cusp', password: 'orthanc-secret-1' });
    expect(test).toMatchObject({ ok: false, problem: 'unreachable' });
    expect(test.message).toMatch(/cannot be reached/);
    const saved = await call('settings.saveOrthanc', { url, username: 'cusp', password: 'orthanc-secret-1' });
    expect(saved).toMatchObject({ configured: true, url, username: 'cusp', passwordSaved: true });
    const config = await readFile(join(dataDir, 'config.json'), 'utf8');
    expect(JSON.parse(config).orthanc).toEqual({ url: saved.url, username: 'cusp' });
    expect(config).not.toContain('orthanc-secret-1');
    expect(JSON.parse(await readFile(join(dataDir, 'secrets.json'), 'utf8'))['orthanc.password']).toBe('orthanc-secret-1');
    // The saved password is never sent to another address, and not kept for one.
    const elsewhere = `http://127.0.0.1:${await freeLoopbackPort()}`;
    expect(await app.dispatch('settings.saveOrthanc', { url: elsewhere, username: 'cusp' }, ctx('admin'))).toMatchObject({
      ok: false, error: { code: 'INVALID_INPUT', message: expect.stringMatching(/password: type the password again/) },
    });
    expect(await call('settings.saveOrthanc', { url, username: 'cusp' })).toMatchObject({ passwordSaved: true });
    // The running app's health check uses the new address at once.
    expect((await app.services.health()).orthanc.state).toBe('unavailable');
    const entries = await audit('settings.orthanc');
    expect(JSON.stringify(entries)).not.toContain('orthanc-secret-1');
    expect(entries.map((e) => e.detail.passwordChanged)).toEqual([false, true]);
    expect(await app.dispatch('settings.orthanc', {}, ctx('front'))).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
  });

  it("shows the store in use and refuses 'Canada only' while it is elsewhere", async () => {
    const storage = await call('settings.storage', {});
    expect(storage).toMatchObject({ kind: 'file', region: 'local', inCanada: true, encrypted: false, residency: 'canada', cache: { maxBytes: 20e9 }, outbox: 0, nightlyHour: 2, migration: { state: 'idle' } });
    await call('settings.saveStoragePolicy', { residency: 'any', cacheMaxBytes: 5e9, nightlyHour: 3 });
    expect((await loadConfig(dataDir)).cache.maxBytes).toBe(5e9);
    expect((await loadConfig(dataDir)).nightly.hour).toBe(3);
    expect(await call('settings.storage', {})).toMatchObject({ nightlyHour: 3 });
    expect((await loadConfig(dataDir)).store.residency).toBe('any');
    expect((await audit('settings.storage'))[0]!.detail).toEqual({ residency: 'any', cacheMaxBytes: 5e9, nightlyHour: 3 });
    // A store in another country fails the probe under 'canada' before anything is written there.
    await call('settings.saveStoragePolicy', { residency: 'canada', cacheMaxBytes: 5e9 });
    const refused = await call('settings.testStore', { kind: 's3', region: 'eu-west-1', bucket: 'clinic-eu', accessKeyId: 'AKIA', secretAccessKey: 'x' });
    expect(refused).toMatchObject({ ok: false, code: 'ResidencyViolation' });
    expect(refused.message).toMatch(/Canada only/);
    expect(JSON.stringify(await audit('settings.store.test'))).not.toContain('AKIA');
    expect(await app.dispatch('settings.storage', {}, ctx('front'))).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
  });

  it('turns a store form into a URL without secrets and a credentials secret', () => {
    expect(describeStore({ kind: 's3', endpoint: 'http://127.0.0.1:9000', region: 'ca-central-1', bucket: 'cusp-test', prefix: '/clinic/', accessKeyId: 'K', secretAccessKey: 'S', inCanada: true })).toEqual({
      url: 's3://cusp-test/clinic?region=ca-central-1&endpoint=http://127.0.0.1:9000&pathStyle=1&country=CA',
      secret: { name: 'storage.credentials.s3.cusp-test', value: JSON.stringify({ accessKeyId: 'K', secretAccessKey: 'S' }) },
    });
    expect(describeStore({ kind: 'file', folder: '/srv/images' })).toEqual({ url: 'file:///srv/images' });
    expect(describeStore({ kind: 'azure', account: 'clinic', container: 'images', prefix: '', region: 'canadacentral', endpoint: '', accountKey: '', inCanada: false })).toEqual({ url: 'azure://clinic/images?region=canadacentral' });
  });
});

describe("the agent's nightly jobs", () => {
  it('belong to the night of the configured hour, within four hours of it', () => {
    const at = (h: number, m = 0) => new Date(2026, 10, 29, h, m);
    expect(nightOf(at(2), 2)).toBe('2026-11-29');
    expect(nightOf(at(5, 59), 2)).toBe('2026-11-29');
    expect(nightOf(at(6), 2)).toBeNull();
    expect(nightOf(at(1, 59), 2)).toBeNull();
    expect(nightOf(at(0, 30), 23)).toBe('2026-11-28');
  });

  it('run once a night even when the agent restarts', async () => {
    const dataDir = scratchDir('nightly');
    const runs: string[] = [];
    let now = new Date(2026, 10, 29, 1, 0);
    const start = () =>
      startNightly({
        dataDir, hour: 2, log: silentLogger, now: () => now, checkEveryMs: 20,
        run: async (_dir, at) => {
          runs.push(at.toISOString());
          return { tiering: { moved: 0, failed: 0 }, prefetch: { keys: 0, fetched: 0, failed: 0 } };
        },
      });
    let stop = start();
    await new Promise((r) => setTimeout(r, 100));
    expect(runs).toHaveLength(0);
    now = new Date(2026, 10, 29, 2, 1);
    await expect.poll(() => runs.length).toBe(1);
    stop();
    stop = start();
    await new Promise((r) => setTimeout(r, 100));
    expect(runs).toHaveLength(1);
    now = new Date(2026, 10, 30, 2, 0);
    await expect.poll(() => runs.length).toBe(2);
    stop();
  });
});

describe('testing an Azure store from Settings', () => {
  let azurite: AzuriteServer;
  beforeAll(async () => {
    azurite = await startAzurite();
  });
  afterAll(async () => azurite?.stop());

  it('passes against a real Azurite container and says when the container is missing', async () => {
    const dataDir = scratchDir('settings-azure');
    const secrets = FileSecretStore.inDataDir(dataDir);
    await new AzureStore({ account: azurite.account, accountKey: azurite.accountKey, container: 'images', endpoint: azurite.endpoint, region: 'canadacentral' }).ensureContainer();
    const form = { kind: 'azure' as const, account: azurite.account, container: 'images', prefix: 'clinic', region: 'canadacentral', endpoint: azurite.endpoint, accountKey: azurite.accountKey, inCanada: true };
    expect(await testStore({ store: describeStore(form), dataDir, secrets, residency: 'canada' })).toMatchObject({ ok: true, inCanada: true, encrypted: true });
    // The key typed for a test is not saved.
    expect(await secrets.get('storage.credentials.azure.devstoreaccount1')).toBeUndefined();
    const missing = await testStore({ store: describeStore({ ...form, container: 'nowhere' }), dataDir, secrets, residency: 'canada' });
    expect(missing).toMatchObject({ ok: false, code: 'NotFound', message: expect.stringMatching(/^The store azure:\/\/devstoreaccount1\/nowhere\/clinic has no such bucket or container: create it first/) });
    expect(JSON.stringify(missing)).not.toContain(azurite.accountKey);
  });
});
