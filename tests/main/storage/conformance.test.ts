/**
 * The storage conformance suite: every backend (file, a real s3rver, a real Azurite) must behave
 * as main/storage/store.ts documents — round trips, streams, multipart (≥ 20 MB), byte ranges,
 * paged listing, signed URLs that work and then expire, tiers, metadata, and every error code.
 */
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StorageError, type StorageErrorCode } from '../../../main/storage/errors.js';
import { readAll, type ObjectStore } from '../../../main/storage/store.js';
import { azureBackend, fileBackend, s3Backend, type Backend } from './harness.js';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

async function codeOf(promise: Promise<unknown>): Promise<StorageErrorCode | 'ok'> {
  try {
    await promise;
    return 'ok';
  } catch (error) {
    if (error instanceof StorageError) return error.code;
    throw error;
  }
}

/** Deterministic pseudo-random bytes without holding the generator's output twice. */
function* chunks(total: number, seed: number, chunk = 1024 * 1024): Generator<Buffer> {
  let x = seed >>> 0 || 1;
  for (let done = 0; done < total; done += chunk) {
    const b = Buffer.allocUnsafe(Math.min(chunk, total - done));
    for (let i = 0; i < b.length; i += 4) {
      x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
      b.writeUInt32LE(x >>> 0, i - (i + 4 > b.length ? i + 4 - b.length : 0));
    }
    yield b;
  }
}

describe.each([
  ['file', fileBackend],
  ['s3', s3Backend],
  ['azure', azureBackend],
] as const)('ObjectStore conformance: %s', (_name, open) => {
  let backend: Backend;
  let store: ObjectStore;
  beforeAll(async () => {
    backend = await open();
    store = backend.store;
  });
  afterAll(async () => {
    await backend?.close();
  });

  it('round-trips a buffer with content type, sha256 and metadata', async () => {
    const bytes = randomBytes(3000);
    const info = await store.put('prac/img-1/thumb50', bytes, { contentType: 'image/jpeg', metadata: { variant: 'thumb50' } });
    expect(info).toMatchObject({ key: 'prac/img-1/thumb50', size: 3000, sha256: sha(bytes), contentType: 'image/jpeg' });
    const got = await store.get('prac/img-1/thumb50');
    expect(sha(await readAll(got.body))).toBe(sha(bytes));
    expect(got.info.size).toBe(3000);
    const head = await store.head('prac/img-1/thumb50');
    expect(head).toMatchObject({ size: 3000, sha256: sha(bytes), contentType: 'image/jpeg', tier: 'hot' });
    expect(head.metadata.variant).toBe('thumb50');
  });

  it('reads a small object whole and by byte ranges', async () => {
    const bytes = randomBytes(8192);
    await store.put('prac/img-5/thumb50', bytes, { contentType: 'image/jpeg' });
    const whole = await store.get('prac/img-5/thumb50');
    expect((await readAll(whole.body)).equals(bytes)).toBe(true);
    expect(whole.info).toMatchObject({ size: 8192, sha256: sha(bytes), contentType: 'image/jpeg' });
    const part = await store.get('prac/img-5/thumb50', { range: { start: 100, end: 199 } });
    expect(part.range).toEqual({ start: 100, end: 199, size: 8192 });
    expect((await readAll(part.body)).equals(bytes.subarray(100, 200))).toBe(true);
    const tail = await store.get('prac/img-5/thumb50', { range: { start: 8000 } });
    expect((await readAll(tail.body)).equals(bytes.subarray(8000))).toBe(true);
  });

  it('stores an empty object', async () => {
    await store.put('prac/empty', Buffer.alloc(0));
    expect((await store.head('prac/empty')).size).toBe(0);
    expect((await readAll((await store.get('prac/empty')).body)).length).toBe(0);
  });

  it('replaces an object, or refuses with Conflict when asked to', async () => {
    await store.put('prac/replace', Buffer.from('one'));
    await store.put('prac/replace', Buffer.from('two'));
    expect((await readAll((await store.get('prac/replace')).body)).toString()).toBe('two');
    expect(await codeOf(store.put('prac/replace', Buffer.from('three'), { ifAbsent: true }))).toBe('Conflict');
    expect((await readAll((await store.get('prac/replace')).body)).toString()).toBe('two');
    await store.put('prac/new-one', Buffer.from('x'), { ifAbsent: true });
  });

  it('uploads a 21 MB stream in parts, with sha256 and provider checksums, and reads ranges of it', async () => {
    const size = 21 * 1024 * 1024 + 12345;
    const hash = createHash('sha256');
    for (const c of chunks(size, 7)) hash.update(c);
    const expected = hash.digest('hex');
    let progress = 0;
    const info = await store.put('prac/img-2/master', Readable.from(chunks(size, 7)), {
      contentType: 'application/dicom', sha256: expected, onProgress: (n) => (progress = n),
    });
    expect(info).toMatchObject({ size, sha256: expected });
    expect(progress).toBe(size);
    expect((await store.head('prac/img-2/master')).sha256).toBe(expected);
    const whole = await readAll((await store.get('prac/img-2/master')).body);
    expect(sha(whole)).toBe(expected);

    const mid = await store.get('prac/img-2/master', { range: { start: 9_000_000, end: 9_100_000 } });
    expect(mid.range).toEqual({ start: 9_000_000, end: 9_100_000, size });
    expect((await readAll(mid.body)).equals(whole.subarray(9_000_000, 9_100_001))).toBe(true);
    const tail = await store.get('prac/img-2/master', { range: { start: size - 10 } });
    expect((await readAll(tail.body)).equals(whole.subarray(size - 10))).toBe(true);
    const over = await store.get('prac/img-2/master', { range: { start: size - 5, end: size + 100 } });
    expect(over.range).toEqual({ start: size - 5, end: size - 1, size });
    expect((await readAll(over.body)).length).toBe(5);
  });

  it('writes an object of between one and two parts (one request where the provider allows), checking its sha256', async () => {
    const bytes = randomBytes(7 * 1024 * 1024 + 4096);
    await store.put('prac/img-6/master', bytes, { sha256: sha(bytes) });
    expect(await codeOf(store.put('prac/img-6/master', randomBytes(bytes.length), { sha256: sha(bytes) }))).toBe('IntegrityError');
    const got = await store.get('prac/img-6/master');
    expect(got.info).toMatchObject({ size: bytes.length, sha256: sha(bytes) });
    expect((await readAll(got.body)).equals(bytes)).toBe(true);
  });

  it('refuses a write whose bytes do not match the sha256 given, leaving the old object', async () => {
    await store.put('prac/guarded', Buffer.from('original'));
    expect(await codeOf(store.put('prac/guarded', Buffer.from('tampered'), { sha256: sha(Buffer.from('expected')) }))).toBe('IntegrityError');
    const big = Readable.from(chunks(11 * 1024 * 1024, 3));
    expect(await codeOf(store.put('prac/guarded', big, { sha256: '0'.repeat(64) }))).toBe('IntegrityError');
    expect((await readAll((await store.get('prac/guarded')).body)).toString()).toBe('original');
  });

  it('lists by prefix in key order, page by page', async () => {
    const keys = ['list/a/1', 'list/a/2', 'list/a/3', 'list/a/4', 'list/a/5', 'list/b/1'];
    for (const key of keys) await store.put(key, Buffer.from(key));
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await store.list({ prefix: 'list/a/', limit: 2, cursor });
      seen.push(...page.items.map((i) => i.key));
      expect(page.items.every((i) => i.size === 8)).toBe(true);
      cursor = page.cursor;
      pages++;
    } while (cursor);
    expect(seen).toEqual(keys.slice(0, 5));
    expect(pages).toBe(3);
    expect((await store.list({ prefix: 'list/' })).items.map((i) => i.key)).toEqual(keys);
    expect((await store.list({ prefix: 'nothing-here/' })).items).toEqual([]);
  });

  it('deletes, and deleting a missing object succeeds', async () => {
    await store.put('prac/gone', Buffer.from('x'));
    await store.delete('prac/gone');
    expect(await codeOf(store.head('prac/gone'))).toBe('NotFound');
    await store.delete('prac/gone');
  });

  it('gives signed URLs that work, serve ranges, and then expire', async () => {
    const bytes = randomBytes(5000);
    await store.put('prac/img-3/view', bytes, { contentType: 'image/jpeg' });
    const url = await store.signedUrl('prac/img-3/view', { expiresInSeconds: 2 });
    const ok = await fetch(url);
    expect(ok.status).toBe(200);
    expect(Buffer.from(await ok.arrayBuffer()).equals(bytes)).toBe(true);
    const part = await fetch(url, { headers: { range: 'bytes=100-199' } });
    expect(part.status).toBe(206);
    expect(Buffer.from(await part.arrayBuffer()).equals(bytes.subarray(100, 200))).toBe(true);
    await new Promise((r) => setTimeout(r, 3200));
    const expired = await fetch(url);
    await expired.arrayBuffer();
    expect(expired.status).toBe(403);
  });

  it('moves objects between tiers and reports the tier', async () => {
    await store.put('prac/img-4/master', randomBytes(1000), { metadata: { keep: 'me' } });
    await store.setTier('prac/img-4/master', 'warm');
    expect((await store.head('prac/img-4/master')).tier).toBe('warm');
    await store.setTier('prac/img-4/master', 'cold');
    const head = await store.head('prac/img-4/master');
    expect(head.tier).toBe('cold');
    expect(head.metadata.keep).toBe('me');
    expect((await readAll((await store.get('prac/img-4/master')).body)).length).toBe(1000);
    await store.put('prac/img-4/view', randomBytes(10), { tier: 'warm' });
    expect((await store.head('prac/img-4/view')).tier).toBe('warm');
    expect(await codeOf(store.setTier('prac/img-4/master', 'lukewarm' as never))).toBe('InvalidArgument');
    expect(await codeOf(store.setTier('prac/missing', 'warm'))).toBe('NotFound');
  });

  it('replaces metadata without changing the bytes or the tier', async () => {
    const bytes = randomBytes(2000);
    await store.put('prac/meta', bytes, { contentType: 'image/png', tier: 'warm', metadata: { a: '1' } });
    await store.setMetadata('prac/meta', { b: '2', 'cusp-key-id': 'k1' });
    const head = await store.head('prac/meta');
    expect(head.metadata).toMatchObject({ b: '2', 'cusp-key-id': 'k1' });
    expect(head.metadata.a).toBeUndefined();
    expect(head).toMatchObject({ contentType: 'image/png', tier: 'warm', size: 2000 });
    expect(sha(await readAll((await store.get('prac/meta')).body))).toBe(sha(bytes));
    expect(await codeOf(store.setMetadata('prac/missing', { a: '1' }))).toBe('NotFound');
  });

  it('answers NotFound for missing objects', async () => {
    expect(await codeOf(store.get('prac/missing'))).toBe('NotFound');
    expect(await codeOf(store.head('prac/missing'))).toBe('NotFound');
    expect(await codeOf(store.get('prac/missing', { range: { start: 0, end: 10 } }))).toBe('NotFound');
  });

  it('answers InvalidArgument for bad keys, ranges, metadata and expiries', async () => {
    for (const key of ['', '../etc/passwd', 'a//b', '/abs', 'a/.meta/x', 'sp ace', 'é']) {
      expect(await codeOf(store.put(key, Buffer.from('x'))), key).toBe('InvalidArgument');
    }
    expect(await codeOf(store.head('a/../b'))).toBe('InvalidArgument');
    await store.put('prac/small', Buffer.from('0123456789'));
    expect(await codeOf(store.get('prac/small', { range: { start: 10 } }))).toBe('InvalidArgument');
    expect(await codeOf(store.get('prac/small', { range: { start: 5, end: 2 } }))).toBe('InvalidArgument');
    expect(await codeOf(store.get('prac/small', { range: { start: -1 } }))).toBe('InvalidArgument');
    expect(await codeOf(store.put('prac/x', Buffer.from('x'), { metadata: { 'Bad Name': 'v' } }))).toBe('InvalidArgument');
    expect(await codeOf(store.signedUrl('prac/small', { expiresInSeconds: 0 }))).toBe('InvalidArgument');
  });

  it('answers AccessDenied when the credentials are refused', async () => {
    expect(await backend.denied()).toBe('AccessDenied');
  });

  it('answers Unavailable when the store cannot be reached', async () => {
    const down = await backend.unreachable();
    expect(await codeOf(down.put('prac/x', Buffer.from('x')))).toBe('Unavailable');
    expect(await codeOf(down.get('prac/x'))).toBe('Unavailable');
    expect(await codeOf(down.list({ prefix: 'prac/' }))).toBe('Unavailable');
    await down.close();
  });

  it('keeps the provider error as the cause', async () => {
    try {
      await store.head('prac/missing');
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(StorageError);
      expect((error as StorageError).cause).toBeDefined();
      expect((error as StorageError).key).toBe('prac/missing');
    }
  });
});
