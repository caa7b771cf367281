/**
 * What the file store does beyond the conformance suite: a sidecar too large for its first read
 * (much metadata) still reads whole, and a disk unplugged after writes answers `Unavailable` on the
 * next put rather than recreating the folder on the local disk.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { rename } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FileStore } from '../../../main/storage/file.js';
import { readAll } from '../../../main/storage/store.js';
import { scratchDir } from '../../support/paths.js';

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
