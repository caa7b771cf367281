/**
 * Client-side encryption on every backend: the provider holds only ciphertext, reads (whole and
 * ranged, across frame boundaries) give the plaintext back, damage / truncation / a wrong key are
 * IntegrityError, and key rotation re-wraps data keys without rewriting the object's bytes.
 */
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EncryptedStore, frameSize, type Keyring } from '../../../main/storage/crypto.js';
import { StorageError } from '../../../main/storage/errors.js';
import { metaKeys, readAll } from '../../../main/storage/store.js';
import { azureBackend, fileBackend, s3Backend, type Backend } from './harness.js';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const keyring = (active: string, ...ids: Array<[string, Buffer]>): Keyring => ({ activeKeyId: active, keys: new Map(ids) });

async function errorCode(run: () => Promise<unknown>): Promise<string> {
  try {
    await run();
    return 'ok';
  } catch (error) {
    return error instanceof StorageError ? error.code : `other: ${(error as Error).message}`;
  }
}

describe.each([
  ['file', fileBackend],
  ['s3', s3Backend],
  ['azure', azureBackend],
] as const)('EncryptedStore over %s', (_name, open) => {
  let backend: Backend;
  const k1 = randomBytes(32);
  const k2 = randomBytes(32);
  let store: EncryptedStore;
  beforeAll(async () => {
    backend = await open();
    store = new EncryptedStore(backend.store, keyring('k1', ['k1', k1]));
  });
  afterAll(async () => {
    await backend?.close();
  });

  it('stores only ciphertext at the provider and reads the plaintext back', async () => {
    // A recognisable "image": a repeated pattern the ciphertext must not contain.
    const plain = Buffer.alloc(200_000, 'RADIOGRAPH-PIXELS-');
    const info = await store.put('p/img/master', plain, { contentType: 'application/dicom', metadata: { variant: 'master' } });
    expect(info).toMatchObject({ size: plain.length, sha256: sha(plain) });
    expect(info.metadata[metaKeys.keyId]).toBe('k1');
    const raw = await readAll((await backend.store.get('p/img/master')).body);
    expect(raw.includes(Buffer.from('RADIOGRAPH'))).toBe(false);
    expect(raw.length).toBe(plain.length + 4 * 16);
    const back = await store.get('p/img/master');
    expect(back.info).toMatchObject({ size: plain.length, sha256: sha(plain), contentType: 'application/dicom' });
    expect(back.info.metadata.variant).toBe('master');
    expect((await readAll(back.body)).equals(plain)).toBe(true);
    expect((await store.head('p/img/master')).size).toBe(plain.length);
  });

  it('handles empty objects, exact frame multiples, and buffers or streams of unknown digest alike', async () => {
    for (const size of [0, 1, frameSize - 1, frameSize, 2 * frameSize, 2 * frameSize + 1]) {
      const plain = randomBytes(size);
      // A buffer is sealed whole, a stream frame by frame: the same format either way.
      await store.put(`p/sizes/${size}`, Readable.from([plain]));
      await store.put(`p/sizes/${size}-buffer`, plain);
      for (const key of [`p/sizes/${size}`, `p/sizes/${size}-buffer`]) {
        const back = await store.get(key);
        expect((await readAll(back.body)).equals(plain), key).toBe(true);
        expect((await store.head(key)).sha256).toBe(sha(plain));
      }
      expect((await backend.store.head(`p/sizes/${size}-buffer`)).size).toBe((await backend.store.head(`p/sizes/${size}`)).size);
    }
  });

  it('reads byte ranges across frame boundaries without reading the rest', async () => {
    const plain = randomBytes(5 * frameSize + 1234);
    await store.put('p/img/view', plain);
    const cases: Array<[number, number | undefined]> = [
      [0, 0], [0, 99], [frameSize - 10, frameSize + 10], [frameSize, 2 * frameSize - 1], [3 * frameSize + 5, undefined],
      [plain.length - 1, undefined], [100, plain.length + 500], [2 * frameSize, 2 * frameSize],
    ];
    for (const [start, end] of cases) {
      const r = await store.get('p/img/view', { range: end === undefined ? { start } : { start, end } });
      const expectedEnd = Math.min(end ?? plain.length - 1, plain.length - 1);
      expect(r.range).toEqual({ start, end: expectedEnd, size: plain.length });
      expect((await readAll(r.body)).equals(plain.subarray(start, expectedEnd + 1)), `${start}-${end}`).toBe(true);
    }
    expect(await errorCode(() => store.get('p/img/view', { range: { start: plain.length } }))).toBe('InvalidArgument');
  });

  it('refuses a plaintext that does not match the sha256 given', async () => {
    const plain = randomBytes(150_000);
    expect(await errorCode(() => store.put('p/bad', Readable.from([plain]), { sha256: sha(Buffer.from('other')) }))).toBe('IntegrityError');
    expect(await errorCode(() => store.put('p/bad', plain, { sha256: sha(Buffer.from('other')) }))).toBe('IntegrityError');
    expect(await errorCode(() => store.head('p/bad'))).toBe('NotFound');
  });

  it('fails with IntegrityError under a wrong or unknown master key', async () => {
    const plain = randomBytes(70_000);
    await store.put('p/img/k', plain);
    const wrong = new EncryptedStore(backend.store, keyring('k1', ['k1', randomBytes(32)]));
    expect(await errorCode(() => wrong.get('p/img/k'))).toBe('IntegrityError');
    const unknown = new EncryptedStore(backend.store, keyring('k9', ['k9', randomBytes(32)]));
    expect(await errorCode(() => unknown.get('p/img/k'))).toBe('IntegrityError');
    // A plain object read through the encrypting store is refused too.
    await backend.store.put('p/plain', Buffer.from('not encrypted'));
    expect(await errorCode(() => store.get('p/plain'))).toBe('IntegrityError');
  });

  it('detects damaged and truncated ciphertext', async () => {
    const plain = randomBytes(3 * frameSize);
    await store.put('p/img/t', plain);
    const raw = await backend.store.get('p/img/t');
    const cipher = await readAll(raw.body);
    const damaged = Buffer.from(cipher);
    damaged[frameSize + 20]! ^= 1;
    await backend.store.put('p/img/damaged', damaged, { metadata: raw.info.metadata });
    expect(await errorCode(async () => readAll((await store.get('p/img/damaged')).body))).toBe('IntegrityError');
    // Dropping the last frame leaves a valid-looking prefix: the final flag catches it.
    await backend.store.put('p/img/short', cipher.subarray(0, 2 * (frameSize + 16)), { metadata: raw.info.metadata });
    expect(await errorCode(async () => readAll((await store.get('p/img/short')).body))).toBe('IntegrityError');
  });

  it('rotates the master key by re-wrapping data keys, leaving the ciphertext untouched', async () => {
    const plain = randomBytes(100_000);
    await store.put('p/img/r', plain, { tier: 'warm' });
    const before = sha(await readAll((await backend.store.get('p/img/r')).body));
    store.setKeyring(keyring('k2', ['k1', k1], ['k2', k2]));
    expect(await store.rewrap('p/img/r')).toBe('k2');
    expect(await store.rewrap('p/img/r')).toBe('k2');
    const after = await backend.store.head('p/img/r');
    expect(after.metadata[metaKeys.keyId]).toBe('k2');
    expect(after.tier).toBe('warm');
    expect(sha(await readAll((await backend.store.get('p/img/r')).body))).toBe(before);
    const onlyNew = new EncryptedStore(backend.store, keyring('k2', ['k2', k2]));
    expect((await readAll((await onlyNew.get('p/img/r')).body)).equals(plain)).toBe(true);
    const onlyOld = new EncryptedStore(backend.store, keyring('k1', ['k1', k1]));
    expect(await errorCode(() => onlyOld.get('p/img/r'))).toBe('IntegrityError');
    store.setKeyring(keyring('k1', ['k1', k1]));
  });

  it('refuses signed URLs (the provider holds only ciphertext)', async () => {
    expect(await errorCode(() => store.signedUrl('p/img/r'))).toBe('InvalidArgument');
  });
});
