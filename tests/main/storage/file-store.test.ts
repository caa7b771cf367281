/**
 * What the file store does beyond the conformance suite: its two layouts (small objects with an
 * inline metadata header, larger ones as plain files with a sidecar) and files from elsewhere; a
 * sidecar too large for its first read (much metadata) still reads whole; and a disk unplugged after
 * writes answers `Unavailable` on the next put rather than recreating the folder on the local disk.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { FileStore } from '../../../main/storage/file.js';
import { readAll } from '../../../main/storage/store.js';
import { scratchDir } from '../../support/paths.js';

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

async function storeIn(name: string) {
  const root = join(scratchDir(name), 'objects');
  return { root, store: await FileStore.create({ root, signingKey: randomBytes(32) }) };
}

describe('file store layouts', () => {
  it('keeps a small object and its metadata in one file, a large one as the plain bytes with a sidecar', async () => {
    const { root, store } = await storeIn('file-layout');
    const thumb = randomBytes(5000);
    const view = randomBytes(200_000);
    await store.put('p/i/thumb50', thumb, { contentType: 'image/jpeg', metadata: { variant: 'thumb50' } });
    await store.put('p/i/view', view, { contentType: 'image/jpeg' });
    // The thumbnail: one file, not the bare bytes, no sidecar.
    const thumbFile = await readFile(join(root, 'p', 'i', 'thumb50'));
    expect(thumbFile.length).toBeGreaterThan(thumb.length);
    expect(thumbFile.subarray(thumbFile.length - thumb.length).equals(thumb)).toBe(true);
    expect(existsSync(join(root, '.meta', 'p', 'i', 'thumb50.json'))).toBe(false);
    // The view: exactly its bytes (any program can open it), metadata beside.
    expect((await readFile(join(root, 'p', 'i', 'view'))).equals(view)).toBe(true);
    expect(JSON.parse(await readFile(join(root, '.meta', 'p', 'i', 'view.json'), 'utf8'))).toMatchObject({ sha256: sha256(view), contentType: 'image/jpeg' });

    const got = await store.get('p/i/thumb50');
    expect((await readAll(got.body)).equals(thumb)).toBe(true);
    expect(got.info).toMatchObject({ size: thumb.length, sha256: sha256(thumb), contentType: 'image/jpeg', tier: 'hot', metadata: { variant: 'thumb50' } });
    expect(await store.head('p/i/thumb50')).toMatchObject({ size: thumb.length, sha256: sha256(thumb) });
    const range = await store.get('p/i/thumb50', { range: { start: 10, end: 19 } });
    expect((await readAll(range.body)).equals(thumb.subarray(10, 20))).toBe(true);
    expect(range.range).toEqual({ start: 10, end: 19, size: thumb.length });
    expect((await store.list({ prefix: 'p/i/' })).items.map((i) => [i.key, i.size])).toEqual([['p/i/thumb50', thumb.length], ['p/i/view', view.length]]);
  });

  it('changes an inline object\'s tier and metadata in its header, and moves them to a sidecar when they outgrow it', async () => {
    const { root, store } = await storeIn('file-layout');
    const thumb = randomBytes(3000);
    await store.put('p/i/thumb200', thumb, { contentType: 'image/jpeg' });
    await store.setTier('p/i/thumb200', 'cold');
    expect(await store.head('p/i/thumb200')).toMatchObject({ tier: 'cold', size: thumb.length, sha256: sha256(thumb), contentType: 'image/jpeg' });
    expect(existsSync(join(root, '.meta', 'p', 'i', 'thumb200.json'))).toBe(false);
    const large = Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`note-${i}`, 'x'.repeat(1000)]));
    await store.setMetadata('p/i/thumb200', large);
    expect((await readFile(join(root, 'p', 'i', 'thumb200'))).equals(thumb)).toBe(true);
    const got = await store.get('p/i/thumb200');
    expect((await readAll(got.body)).equals(thumb)).toBe(true);
    expect(got.info).toMatchObject({ tier: 'cold', sha256: sha256(thumb), metadata: large });
  });

  it('reads files it did not write inline: copied in by hand, or with a sidecar from an earlier version', async () => {
    const { root, store } = await storeIn('file-layout');
    const handCopied = randomBytes(700);
    await mkdir(join(root, 'p', 'old'), { recursive: true });
    await writeFile(join(root, 'p', 'old', 'scan.jpg'), handCopied);
    const got = await store.get('p/old/scan.jpg');
    expect((await readAll(got.body)).equals(handCopied)).toBe(true);
    expect(got.info).toMatchObject({ size: handCopied.length, metadata: {} });
    expect(got.info.sha256).toBeUndefined();

    const earlier = randomBytes(900);
    await writeFile(join(root, 'p', 'old', 'thumb50'), earlier);
    await mkdir(join(root, '.meta', 'p', 'old'), { recursive: true });
    await writeFile(join(root, '.meta', 'p', 'old', 'thumb50.json'), JSON.stringify({ contentType: 'image/jpeg', sha256: sha256(earlier), tier: 'warm', metadata: { a: 'b' } }));
    expect(await store.head('p/old/thumb50')).toMatchObject({ size: earlier.length, sha256: sha256(earlier), tier: 'warm', metadata: { a: 'b' } });
    await store.setTier('p/old/thumb50', 'cold');
    expect((await readFile(join(root, 'p', 'old', 'thumb50'))).equals(earlier)).toBe(true);
    expect((await store.head('p/old/thumb50')).tier).toBe('cold');

    // A small object put as a stream (a migration's copy) is a plain file with a sidecar: both read alike.
    await store.put('p/old/streamed', Readable.from([earlier]), { contentType: 'image/jpeg' });
    expect((await readFile(join(root, 'p', 'old', 'streamed'))).equals(earlier)).toBe(true);
    expect(await store.head('p/old/streamed')).toMatchObject({ size: earlier.length, sha256: sha256(earlier), contentType: 'image/jpeg' });
  });

  it('replaces an object across the two layouts, the newer metadata winning', async () => {
    const { store } = await storeIn('file-layout');
    const big = randomBytes(100_000), small = randomBytes(100);
    await store.put('p/i/x', big, { contentType: 'application/dicom' });
    await store.put('p/i/x', small, { contentType: 'image/jpeg' });
    expect(await store.head('p/i/x')).toMatchObject({ size: small.length, sha256: sha256(small), contentType: 'image/jpeg' });
    await store.put('p/i/x', big, { contentType: 'application/dicom' });
    expect(await store.head('p/i/x')).toMatchObject({ size: big.length, sha256: sha256(big), contentType: 'application/dicom' });
    await store.delete('p/i/x');
    await expect(store.head('p/i/x')).rejects.toMatchObject({ code: 'NotFound' });
  });

  it('answers IntegrityError for a small object whose header was damaged on disk', async () => {
    const { root, store } = await storeIn('file-layout');
    await store.put('p/i/thumb50', randomBytes(1000), { contentType: 'image/jpeg' });
    const path = join(root, 'p', 'i', 'thumb50');
    const file = await readFile(path);
    file[14] = 0x00; // inside the JSON header
    await writeFile(path, file);
    await expect(store.get('p/i/thumb50')).rejects.toMatchObject({ code: 'IntegrityError' });
    await expect(store.head('p/i/thumb50')).rejects.toMatchObject({ code: 'IntegrityError' });
  });
});

describe('file store', () => {
  it('reads back a sidecar larger than one read', async () => {
    const store = await FileStore.create({ root: join(scratchDir('file-store'), 'objects'), signingKey: randomBytes(32) });
    const metadata = Object.fromEntries(Array.from({ length: 12 }, (_, i) => [`note-${i}`, String.fromCharCode(97 + i).repeat(1000)]));
    const bytes = randomBytes(100);
    await store.put('prac/img/thumb50', bytes, { contentType: 'image/jpeg', metadata });
    expect((await store.head('prac/img/thumb50')).metadata).toEqual(metadata);
    const got = await store.get('prac/img/thumb50');
    expect(got.info.metadata).toEqual(metadata);
    expect((await readAll(got.body)).equals(bytes)).toBe(true);
  });

  it('answers Unavailable for a put once the disk is gone, without recreating it', async () => {
    const dir = scratchDir('file-store');
    const root = join(dir, 'objects');
    const store = await FileStore.create({ root, signingKey: randomBytes(32) });
    await store.put('prac/a', Buffer.from('a'));
    await rename(root, join(dir, 'unplugged'));
    await expect(store.put('prac/b', Buffer.from('b'))).rejects.toMatchObject({ code: 'Unavailable' });
    await expect(store.get('prac/a')).rejects.toMatchObject({ code: 'Unavailable' });
    expect(existsSync(root)).toBe(false);
  });
});
