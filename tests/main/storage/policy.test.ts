/**
 * Storage logic that needs no provider (or only the file store): tier policy and cost, provider
 * tier names, error mapping, store URLs and the Canada-only residency policy, the secret file,
 * signed file URLs, and the LRU cache. (s3rver lists every object as STANDARD and checks no
 * signatures, so those behaviours are pinned here rather than against it.)
 */
import { randomBytes } from 'node:crypto';
import { chmod, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { azureAccessTiers, mapAzureError, tierOfAccessTier } from '../../../main/storage/azure.js';
import { CachedStore } from '../../../main/storage/cache.js';
import { EncryptedStore } from '../../../main/storage/crypto.js';
import { StorageError } from '../../../main/storage/errors.js';
import { FileStore, mapFsError, signObjectPath, verifySignedObjectPath } from '../../../main/storage/file.js';
import { MemoryObjectIndex, type StoredObjectRow } from '../../../main/storage/object-index.js';
import { checkResidency, isInCanada, openStore, parseStoreUrl, ReadOnlyStore } from '../../../main/storage/open.js';
import { mapS3Error, s3StorageClasses, tierOfStorageClass } from '../../../main/storage/s3.js';
import { addMasterKey, FileSecretStore, loadKeyring, MemorySecretStore, retireMasterKeys, urlSigningKey } from '../../../main/storage/secrets.js';
import { readAll, sha256Hex } from '../../../main/storage/store.js';
import { applyTiers, defaultTierPrices, estimateMonthlyCost, monthsBetween, tierFor } from '../../../main/storage/tiering.js';
import { scratchDir } from '../../support/paths.js';

const codeOf = async (run: () => unknown): Promise<string> => {
  try {
    await run();
    return 'ok';
  } catch (error) {
    return error instanceof StorageError ? error.code : `other: ${(error as Error).message}`;
  }
};

function row(id: string, variant: string, lastUsedAt: string, bytes = 1_000_000): StoredObjectRow {
  return {
    id, imageId: `img-${id}`, variant, backend: 'file', key: `prac/img-${id}/${variant}`, bytes, sha256: '', tier: 'hot',
    encryptionKeyId: null, createdAt: '2020-01-01T00:00:00Z', verifiedAt: null, lastUsedAt,
  };
}

describe('tier policy', () => {
  const now = new Date('2026-11-28T12:00:00Z');
  it('counts whole months', () => {
    expect(monthsBetween(new Date('2026-05-28T00:00:00Z'), now)).toBe(6);
    expect(monthsBetween(new Date('2026-05-29T00:00:00Z'), now)).toBe(5);
    expect(monthsBetween(new Date('2027-01-01T00:00:00Z'), now)).toBe(0);
  });
  it('keeps recent images hot, then warm after 6 months and cold after 24; masters cold after 12', () => {
    expect(tierFor(row('1', 'view', '2026-07-01T00:00:00Z'), now)).toBe('hot');
    expect(tierFor(row('1', 'view', '2026-04-01T00:00:00Z'), now)).toBe('warm');
    expect(tierFor(row('1', 'view', '2025-06-01T00:00:00Z'), now)).toBe('warm');
    expect(tierFor(row('1', 'master', '2025-06-01T00:00:00Z'), now)).toBe('cold');
    expect(tierFor(row('1', 'view', '2024-10-01T00:00:00Z'), now)).toBe('cold');
    expect(tierFor(row('1', 'view', '2024-10-01T00:00:00Z'), now, { warmAfterMonths: 1, coldAfterMonths: 120 })).toBe('warm');
  });
  it('moves objects at the store and in the rows, and prices bytes per tier', async () => {
    const store = await FileStore.create({ root: join(scratchDir('tiers'), 'objects'), signingKey: randomBytes(32) });
    const rows = [row('a', 'view', '2026-10-01T00:00:00Z', 2e9), row('b', 'view', '2026-01-01T00:00:00Z', 3e9), row('c', 'master', '2025-01-01T00:00:00Z', 5e9), row('d', 'view', '2020-01-01T00:00:00Z', 1e9)];
    for (const r of rows.slice(0, 3)) await store.put(r.key, Buffer.from(r.id));
    const index = new MemoryObjectIndex(rows);
    const dry = await applyTiers({ index, store, now, dryRun: true });
    expect(dry.moved).toBe(0);
    expect(dry.bytes).toEqual({ hot: 2e9, warm: 3e9, cold: 6e9, archive: 0 });
    expect((await store.head('prac/img-b/view')).tier).toBe('hot');

    const report = await applyTiers({ index, store, now });
    expect(report.moved).toBe(2);
    expect(report.failed).toEqual([{ id: 'd', key: 'prac/img-d/view', code: 'NotFound' }]);
    expect(report.bytes).toEqual({ hot: 3e9, warm: 3e9, cold: 5e9, archive: 0 });
    expect((await store.head('prac/img-b/view')).tier).toBe('warm');
    expect((await store.head('prac/img-c/master')).tier).toBe('cold');
    expect(index.rows.get('c')!.tier).toBe('cold');
    expect(index.rows.get('d')!.tier).toBe('hot');
    expect(report.monthlyCost.total).toBeCloseTo(3 * defaultTierPrices.hot + 3 * defaultTierPrices.warm + 5 * defaultTierPrices.cold, 6);
    expect(estimateMonthlyCost({ hot: 1e9, warm: 0, cold: 0, archive: 0 }, { hot: 2, warm: 1, cold: 0.5, archive: 0.1 }).total).toBe(2);
  });
});

describe('provider tiers and errors', () => {
  it('maps tiers to S3 classes and Azure access tiers', () => {
    expect(s3StorageClasses).toEqual({ hot: 'STANDARD', warm: 'STANDARD_IA', cold: 'GLACIER_IR' });
    expect(tierOfStorageClass('GLACIER_IR')).toBe('cold');
    expect(tierOfStorageClass(undefined)).toBe('hot');
    expect(tierOfStorageClass('DEEP_ARCHIVE')).toBe('archive');
    expect(tierOfStorageClass('NEARLINE', { hot: 'STANDARD', warm: 'NEARLINE', cold: 'COLDLINE' })).toBe('warm');
    expect(azureAccessTiers).toEqual({ hot: 'Hot', warm: 'Cool', cold: 'Cold', archive: 'Archive' });
    expect(tierOfAccessTier('Cool')).toBe('warm');
    expect(tierOfAccessTier('Archive')).toBe('archive');
  });
  it('maps S3, Azure and file-system errors to stable codes, keeping the cause', () => {
    const s3 = (name: string, status?: number) => mapS3Error(Object.assign(new Error(name), { name, $metadata: { httpStatusCode: status } }), 'k');
    expect(s3('NoSuchKey', 404).code).toBe('NotFound');
    expect(s3('AccessDenied', 403).code).toBe('AccessDenied');
    expect(s3('SignatureDoesNotMatch', 403).code).toBe('AccessDenied');
    expect(s3('InvalidRange', 416).code).toBe('InvalidArgument');
    expect(s3('InvalidObjectState', 403).code).toBe('Archived');
    expect(s3('PreconditionFailed', 412).code).toBe('Conflict');
    expect(s3('BadDigest', 400).code).toBe('IntegrityError');
    expect(s3('SlowDown', 503).code).toBe('Unavailable');
    expect(mapS3Error(Object.assign(new Error('refused'), { code: 'ECONNREFUSED' })).code).toBe('Unavailable');
    const cause = new Error('x');
    expect(mapS3Error(cause).cause).toBe(cause);
    const az = (statusCode: number | undefined, errorCode: string) => mapAzureError(Object.assign(new Error(errorCode), { statusCode, details: { errorCode } }), 'k');
    expect(az(404, 'BlobNotFound').code).toBe('NotFound');
    expect(az(403, 'AuthorizationFailure').code).toBe('AccessDenied');
    expect(az(409, 'BlobArchived').code).toBe('Archived');
    expect(az(409, 'BlobAlreadyExists').code).toBe('Conflict');
    expect(az(400, 'Md5Mismatch').code).toBe('IntegrityError');
    expect(mapAzureError(Object.assign(new Error("Provided contentMD5 doesn't match."), { statusCode: 400, details: { errorCode: 'InvalidOperation' } })).code).toBe('IntegrityError');
    expect(az(undefined, 'REQUEST_SEND_ERROR').code).toBe('Unavailable');
    expect(mapFsError(Object.assign(new Error('x'), { code: 'EACCES' })).code).toBe('AccessDenied');
    expect(mapFsError(Object.assign(new Error('x'), { code: 'ENOSPC' })).code).toBe('Unavailable');
  });
});

describe('store URLs and residency', () => {
  it('parses every URL form', () => {
    expect(parseStoreUrl('file:objects', '/data')).toMatchObject({ kind: 'file', region: 'local', encrypt: false, file: { root: '/data/objects' } });
    expect(parseStoreUrl('file:///mnt/nas/cusp', '/data')).toMatchObject({ kind: 'file', file: { root: '/mnt/nas/cusp' } });
    expect(parseStoreUrl('s3://bucket/clinic/a?region=ca-central-1&endpoint=http://127.0.0.1:9000&pathStyle=1&country=ca', '/d')).toMatchObject({
      kind: 's3', region: 'ca-central-1', country: 'CA', customEndpoint: true, encrypt: true,
      s3: { bucket: 'bucket', prefix: 'clinic/a', endpoint: 'http://127.0.0.1:9000', pathStyle: true },
    });
    expect(parseStoreUrl('s3://b?region=northamerica-northeast1&classes=STANDARD,NEARLINE,COLDLINE&encrypt=0', '/d')).toMatchObject({
      encrypt: false, s3: { classes: { hot: 'STANDARD', warm: 'NEARLINE', cold: 'COLDLINE' } },
    });
    expect(parseStoreUrl('azure://acct/images/clinic?region=canadaeast', '/d')).toMatchObject({
      kind: 'azure', region: 'canadaeast', azure: { account: 'acct', container: 'images', prefix: 'clinic' },
    });
    for (const bad of ['ftp://x', 's3://', 'azure://acct', 'file:', 's3://b?classes=ONE']) {
      expect(() => parseStoreUrl(bad, '/d'), bad).toThrow(StorageError);
    }
  });
  it('keeps a Canada-only practice in Canada, with a message saying what to do', () => {
    const spec = (url: string) => parseStoreUrl(url, '/d');
    expect(isInCanada(spec('file:objects'))).toBe(true);
    expect(isInCanada(spec('s3://b?region=ca-central-1'))).toBe(true);
    expect(isInCanada(spec('s3://b?region=ca-west-1'))).toBe(true);
    expect(isInCanada(spec('azure://a/c?region=canadacentral'))).toBe(true);
    expect(isInCanada(spec('s3://b?region=us-east-1'))).toBe(false);
    expect(isInCanada(spec('azure://a/c'))).toBe(false);
    expect(isInCanada(spec('s3://b?region=ca-central-1&endpoint=https://s3.example.com'))).toBe(false);
    expect(isInCanada(spec('s3://b?region=tor1&endpoint=https://s3.example.ca&country=CA'))).toBe(true);
    expect(() => checkResidency(spec('s3://b?region=us-east-1'), 'any')).not.toThrow();
    try {
      checkResidency(spec('s3://b?region=us-east-1'), 'canada');
      expect.unreachable();
    } catch (error) {
      expect((error as StorageError).code).toBe('ResidencyViolation');
      expect((error as Error).message).toMatch(/Canada only.*us-east-1.*ca-central-1/);
    }
  });
  it('refuses to open a non-Canadian store for writing, and opens it read-only for migrating away', async () => {
    const dataDir = scratchDir('residency');
    const secrets = new MemorySecretStore();
    expect(await codeOf(() => openStore({ url: 's3://b?region=eu-west-1', dataDir, secrets, residency: 'canada' }))).toBe('ResidencyViolation');
    const readOnly = await openStore({ url: 's3://b?region=eu-west-1&encrypt=0', dataDir, secrets, residency: 'canada', access: 'read' });
    expect(readOnly).toBeInstanceOf(ReadOnlyStore);
    expect(await codeOf(() => readOnly.put('a', Buffer.from('x')))).toBe('ResidencyViolation');
    await readOnly.close();
    const local = await openStore({ url: 'file:objects', dataDir, secrets, residency: 'canada' });
    expect(local.description).toMatchObject({ kind: 'file', region: 'local', encrypted: false });
    const encrypted = await openStore({ url: 'file:enc?encrypt=1', dataDir, secrets });
    expect(encrypted).toBeInstanceOf(EncryptedStore);
    const s3 = await openStore({ url: 's3://b?region=ca-central-1', dataDir, secrets, residency: 'canada' });
    expect(s3.description).toMatchObject({ kind: 's3', region: 'ca-central-1', encrypted: true });
    await s3.close();
  });
});

describe('secrets', () => {
  it('keeps secrets in a 0600 file and refuses one others can read', async () => {
    const dir = scratchDir('secrets');
    const secrets = FileSecretStore.inDataDir(dir);
    await secrets.set('a', '1');
    expect(await secrets.get('a')).toBe('1');
    expect((await stat(join(dir, 'secrets.json'))).mode & 0o777).toBe(0o600);
    await chmod(join(dir, 'secrets.json'), 0o644);
    expect(await codeOf(() => secrets.get('a'))).toBe('AccessDenied');
    await writeFile(join(dir, 'secrets.json'), '{}', { mode: 0o600 });
    await chmod(join(dir, 'secrets.json'), 0o600);
    expect(await secrets.get('a')).toBeUndefined();
  });
  it('creates, rotates and retires master keys', async () => {
    const secrets = new MemorySecretStore();
    const first = await loadKeyring(secrets);
    expect(first.keys.get(first.activeKeyId)!.length).toBe(32);
    expect((await loadKeyring(secrets)).activeKeyId).toBe(first.activeKeyId);
    const second = await addMasterKey(secrets);
    expect(second.activeKeyId).not.toBe(first.activeKeyId);
    expect([...second.keys.keys()].sort()).toEqual([first.activeKeyId, second.activeKeyId].sort());
    await retireMasterKeys(secrets);
    expect([...(await loadKeyring(secrets)).keys.keys()]).toEqual([second.activeKeyId]);
    expect((await urlSigningKey(secrets)).equals(await urlSigningKey(secrets))).toBe(true);
  });
});

describe('signed file URLs', () => {
  it('accept the signed path until it expires, and nothing else', () => {
    const key = randomBytes(32);
    const expires = Math.floor(Date.now() / 1000) + 60;
    const sig = signObjectPath(key, 'p/i/view', expires);
    expect(verifySignedObjectPath(key, `/objects/p/i/view?expires=${expires}&sig=${sig}`)).toBe('p/i/view');
    const refused = (path: string, now?: number) => {
      try {
        verifySignedObjectPath(key, path, now);
        return 'ok';
      } catch (error) {
        return (error as StorageError).code;
      }
    };
    expect(refused(`/objects/p/i/master?expires=${expires}&sig=${sig}`)).toBe('AccessDenied');
    expect(refused(`/objects/p/i/view?expires=${expires + 1}&sig=${sig}`)).toBe('AccessDenied');
    expect(refused(`/objects/p/i/view?expires=${expires}&sig=${sig}`, (expires + 1) * 1000)).toBe('AccessDenied');
    expect(refused(`/objects/p/i/view?expires=${expires}&sig=${signObjectPath(randomBytes(32), 'p/i/view', expires)}`)).toBe('AccessDenied');
    expect(refused(`/objects/../x?expires=${expires}&sig=${sig}`)).not.toBe('ok');
  });
});

describe('LRU cache', () => {
  it('serves repeat reads locally, stays within its size, and evicts the least recently used', async () => {
    const dir = scratchDir('cache');
    const inner = await FileStore.create({ root: join(dir, 'store'), signingKey: randomBytes(32) });
    const cache = new CachedStore(inner, join(dir, 'cache'), 250_000);
    const objects = ['a', 'b', 'c'].map((n) => ({ key: `p/${n}/view`, bytes: randomBytes(100_000) }));
    for (const o of objects) await inner.put(o.key, o.bytes);
    for (const o of objects.slice(0, 2)) expect(sha256Hex(await readAll((await cache.get(o.key)).body))).toBe(sha256Hex(o.bytes));
    await cache.idle();
    expect(await cache.size()).toBe(200_000);
    // Remove a from the store: the cached copy still serves it (offline viewing), ranges too.
    await inner.delete('p/a/view');
    const cachedA = await cache.get('p/a/view', { range: { start: 10, end: 19 } });
    expect((await readAll(cachedA.body)).equals(objects[0]!.bytes.subarray(10, 20))).toBe(true);
    await readAll((await cache.get('p/c/view')).body);
    await cache.idle();
    expect(await cache.size()).toBeLessThanOrEqual(250_000);
    // b was least recently used (a was read again after it): b is gone from the cache, a is kept.
    expect(await codeOf(async () => readAll((await cache.get('p/a/view')).body))).toBe('ok');
    await inner.delete('p/b/view');
    expect(await codeOf(() => cache.get('p/b/view'))).toBe('NotFound');
    expect(await cache.prefetch(['p/c/view', 'p/missing/view'])).toEqual({ fetched: 0, failed: 1 });
  });
});
