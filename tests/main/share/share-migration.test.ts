// Pins down that a store migration takes the shared PDFs along: the app's migration (Settings, to
// a real s3rver, encrypted) copies the PDF of every share not revoked and reads it back before the
// switch, so the link made before still downloads the same bytes from the new store once the old
// folder is gone; `cusp storage migrate` does the same; a revoked share (its PDF deleted) is not
// looked for, and a missing PDF keeps the store unchanged with the key named.
import { createHash } from 'node:crypto';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../../../main/app/config.js';
import { openApp, type App } from '../../../main/app/index.js';
import { silentLogger } from '../../../main/app/log.js';
import { main } from '../../../main/cli/index.js';
import { FileStore } from '../../../main/storage/file.js';
import { dicomData, scratchDir } from '../../support/paths.js';
import { adminCalls } from '../../support/app-admin.js';
import { startS3rver, type S3Server } from '../../support/s3.js';

const dataDir = scratchDir('share-migration');
let s3: S3Server;
let app: App;
const { call, migrationSettled: settled } = adminCalls(() => app);
async function bytesOf(body: AsyncIterable<unknown>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

let live: { id: string; key: string; sha256: string };
let revokedKey: string;

beforeAll(async () => {
  s3 = await startS3rver();
  app = await openApp({ dataDir, log: silentLogger });
  await call('auth.setupPractice', { practiceName: 'Clinique Partage', admin: { username: 'admin', displayName: 'Admin', password: 'a-long-test-password' } });
  const patientId = (await call('patients.create', { familyName: 'Gagnon', givenName: 'Lise' })).id as string;
  vi.spyOn(console, 'log').mockImplementation(() => undefined);
  expect(await main(['node', 'cusp', 'import', dicomData('dental', 'IO_bitewing01_8bit_JPEGBaseline.dcm'), '--patient', patientId, '--data', dataDir])).toBe(0);
  vi.restoreAllMocks();
  const imageId = ((await app.services.database().knex('images').first('id')) as { id: string }).id;
  const first = await call<{ id: string }>('share.createPdf', { patientId, imageIds: [imageId] });
  const second = await call<{ id: string }>('share.createPdf', { patientId, imageIds: [imageId], language: 'en' });
  await call('share.createLink', { id: first.id, expiresInSeconds: 7 * 24 * 3600 });
  await call('share.revoke', { id: second.id });
  const rows = (await app.services.database().knex('shares').select('id', 'object_key', 'sha256')) as Array<{ id: string; object_key: string; sha256: string }>;
  const row = rows.find((r) => r.id === first.id)!;
  live = { id: row.id, key: row.object_key, sha256: row.sha256 };
  revokedKey = rows.find((r) => r.id === second.id)!.object_key;
}, 120_000);

afterAll(async () => {
  await app?.services.close();
  await s3?.stop();
});

describe('shared PDFs follow a store migration', () => {
  const form = () => ({
    kind: 's3', endpoint: s3.endpoint, region: 'ca-central-1', bucket: s3.bucket, prefix: 'clinic',
    accessKeyId: s3.credentials.accessKeyId, secretAccessKey: s3.credentials.secretAccessKey, inCanada: true,
  });

  it('keeps the store when a live share’s PDF is missing, naming it', async () => {
    const path = join(dataDir, 'objects', ...live.key.split('/'));
    const { body } = await app.services.storage().store.get(live.key);
    const pdf = await bytesOf(body);
    await rm(path);
    await call('settings.migrateStore', form());
    const failed = await settled();
    expect(failed).toMatchObject({ state: 'failed' });
    expect((failed.errors as string[])[0]).toBe(`NotFound: ${live.key}`);
    expect((await loadConfig(dataDir)).store.url).toBe('file:objects');
    await writeFile(path, pdf);
  });

  it('copies and verifies the live share’s PDF before switching; its bytes then come from S3', async () => {
    await call('settings.migrateStore', form());
    expect(await settled()).toMatchObject({ state: 'done', failed: 0 });
    expect(app.services.storage().backend.description).toMatchObject({ kind: 's3', encrypted: true });
    await rm(join(dataDir, 'objects'), { recursive: true });
    await rm(join(dataDir, 'storage', 'cache'), { recursive: true, force: true });
    const { body } = await app.services.storage().store.get(live.key);
    expect(sha256(await bytesOf(body))).toBe(live.sha256);
    // The revoked share's PDF was deleted at revocation and is not on the new store either.
    await expect(app.services.storage().backend.head(revokedKey)).rejects.toMatchObject({ code: 'NotFound' });
  });

  it('cusp storage migrate copies it too', async () => {
    await app.services.close();
    const folder = join(dataDir, 'third');
    vi.spyOn(console, 'log').mockImplementation(() => undefined);
    vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      expect(await main(['node', 'cusp', 'storage', 'migrate', '--to', `file://${folder}`, '--data', dataDir])).toBe(0);
    } finally {
      vi.restoreAllMocks();
    }
    const store = new FileStore({ root: folder, signingKey: Buffer.alloc(32) });
    expect(sha256(await bytesOf((await store.get(live.key)).body))).toBe(live.sha256);
    app = await openApp({ dataDir, log: silentLogger });
  });
});
