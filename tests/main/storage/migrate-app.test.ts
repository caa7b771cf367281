// Pins down the store migration the Settings screen runs in the app: real images imported by the
// real pipeline move from the file store to a real s3rver in the background with progress; an
// object that does not copy leaves the store unchanged; after a restart of the app the run resumes
// where it stopped — shown as interrupted when the process died mid-run — (objects already copied are not copied again), switches config.json and the
// running app to the new store only once everything verified, and the images are then read from
// S3 (the old folder removed).
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../../../main/app/config.js';
import { openApp, type App } from '../../../main/app/index.js';
import { silentLogger } from '../../../main/app/log.js';
import { main } from '../../../main/cli/index.js';
import { dentalImages, dicomData, scratchDir } from '../../support/paths.js';
import { adminCalls } from '../../support/app-admin.js';
import { startS3rver, type S3Server } from '../../support/s3.js';

const dataDir = scratchDir('migrate-app');
let s3: S3Server;
let app: App;
const { call, migrationSettled: settled } = adminCalls(() => app);

beforeAll(async () => {
  s3 = await startS3rver();
  app = await openApp({ dataDir, log: silentLogger });
  await call('auth.setupPractice', { practiceName: 'Clinique Test', admin: { username: 'admin', displayName: 'Admin', password: 'a-long-test-password' } });
  const patientId = (await call('patients.create', { familyName: 'Tremblay', givenName: 'Hélène' })).id as string;
  vi.spyOn(console, 'log').mockImplementation(() => undefined);
  for (const file of [dicomData('dental', 'IO_bitewing01_12bit_ExplicitVRLE.dcm'), dentalImages('ceph_lateral_alexcorvi_sample.jpg')]) {
    expect(await main(['node', 'cusp', 'import', file, '--patient', patientId, '--data', dataDir])).toBe(0);
  }
  vi.restoreAllMocks();
}, 120_000);

afterAll(async () => {
  await app?.services.close();
  await s3?.stop();
});

describe('migrating the image store from the app', () => {
  it('keeps the store when an object fails, resumes after a restart, then switches to S3', async () => {
    const knex = () => app.services.database().knex;
    const rows = await knex()('stored_objects').orderBy('id').select('id', 'object_key', 'backend', 'bytes');
    expect(rows.length).toBeGreaterThanOrEqual(8);
    expect(new Set(rows.map((r) => r.backend))).toEqual(new Set(['file']));
    const form = {
      kind: 's3', endpoint: s3.endpoint, region: 'ca-central-1', bucket: s3.bucket, prefix: 'clinic',
      accessKeyId: s3.credentials.accessKeyId, secretAccessKey: s3.credentials.secretAccessKey, inCanada: true,
    };

    // A damaged object on the file store: its copy cannot verify, so the run ends 'failed'.
    const damaged = join(dataDir, 'objects', rows[rows.length - 1]!.object_key);
    const good = await readFile(damaged);
    await writeFile(damaged, Buffer.concat([good.subarray(0, 10), Buffer.from([good[10]! ^ 0xff]), good.subarray(11)]));
    const started = await call('settings.migrateStore', form);
    expect(started).toMatchObject({ state: 'running' });
    expect(String(started.to)).toMatch(/^s3:\/\/cusp-test\/clinic/);
    const failed = await settled();
    expect(failed).toMatchObject({ state: 'failed', done: rows.length, total: rows.length, failed: 1 });
    expect((failed.errors as string[])[0]).toMatch(/IntegrityError/);
    expect((await loadConfig(dataDir)).store.url).toBe('file:objects');
    expect(app.services.storage().backend.description.kind).toBe('file');
    const switched = await knex()('stored_objects').where('backend', 's3').count({ n: '*' }).first();
    expect(Number(switched!.n)).toBe(rows.length - 1);
    // The secret went to the secret store, never config.json.
    expect(await readFile(join(dataDir, 'config.json'), 'utf8').catch(() => '(none yet)')).not.toContain('S3RVER');
    expect(JSON.parse(await readFile(join(dataDir, 'secrets.json'), 'utf8'))['storage.credentials.s3.cusp-test']).toContain('S3RVER');

    // Restart the app: the run is remembered and resumes; only the repaired object is copied.
    await app.services.close();
    await writeFile(damaged, good);
    // What a process killed mid-run leaves behind: its state file still says running.
    const statePath = join(dataDir, 'storage', 'migrations', 'current.json');
    await writeFile(statePath, JSON.stringify({ ...JSON.parse(await readFile(statePath, 'utf8')), state: 'running' }));
    app = await openApp({ dataDir, log: silentLogger });
    await call('auth.signIn', { username: 'admin', password: 'a-long-test-password' });
    expect(await call('settings.migration', {})).toMatchObject({ state: 'interrupted', done: rows.length, failed: 1 });
    await call('settings.resumeMigration', {});
    const done = await settled();
    expect(done).toMatchObject({ state: 'done', done: rows.length, total: rows.length, failed: 0 });
    // The resumed run copied only the object that failed (its file may hold a metadata header too).
    expect(done.bytes).toBe(Number(rows[rows.length - 1]!.bytes));

    // Switched in config.json and in the running app; every row on S3.
    expect((await loadConfig(dataDir)).store.url).toMatch(/^s3:\/\/cusp-test\/clinic\?region=ca-central-1&endpoint=http:\/\/127\.0\.0\.1:\d+&pathStyle=1&country=CA$/);
    expect(app.services.storage().backend.description.kind).toBe('s3');
    expect(await call('settings.storage', {})).toMatchObject({ kind: 's3', inCanada: true, encrypted: true, health: { state: 'ok' } });
    expect(new Set((await knex()('stored_objects').select('backend')).map((r) => r.backend))).toEqual(new Set(['s3']));
    // The images now come from S3: the old folder and the cache are gone and every object still reads.
    await rm(join(dataDir, 'objects'), { recursive: true });
    await rm(join(dataDir, 'storage', 'cache'), { recursive: true, force: true });
    for (const row of rows) {
      const { body } = await app.services.storage().store.get(row.object_key);
      const chunks: Buffer[] = [];
      for await (const chunk of body) chunks.push(chunk as Buffer);
      expect(Buffer.concat(chunks).length).toBeGreaterThan(0);
    }
    const audit = await call<{ entries: Array<{ detail: Record<string, unknown> }> }>('audit.query', { action: 'settings.store.migrate' });
    expect(audit.entries).toHaveLength(2);
    expect(JSON.stringify(audit.entries)).not.toContain('S3RVER');
  });
});
