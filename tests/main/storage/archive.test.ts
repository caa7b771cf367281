/**
 * Azure's Archive tier (the only backend here that offers it): reading an archived blob answers
 * `Archived` and asks for rehydration to Hot at the same time; once the provider has rehydrated it
 * (hours on Azure, at once on Azurite) the same read succeeds. Backends without an archive tier
 * refuse it with InvalidArgument.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StorageError } from '../../../main/storage/errors.js';
import { readAll } from '../../../main/storage/store.js';
import { azureBackend, fileBackend, type Backend } from './harness.js';

describe('archive tier with rehydration', () => {
  let azure: Backend;
  let file: Backend;
  beforeAll(async () => {
    [azure, file] = await Promise.all([azureBackend(), fileBackend()]);
  });
  afterAll(async () => {
    await Promise.all([azure?.close(), file?.close()]);
  });

  it('answers Archived and requests rehydration; the object reads again once rehydrated', async () => {
    const bytes = randomBytes(4000);
    await azure.store.put('p/old/master', bytes);
    await azure.store.setTier('p/old/master', 'archive');
    expect((await azure.store.head('p/old/master')).tier).toBe('archive');
    const error = await azure.store.get('p/old/master').then(() => null, (e: unknown) => e);
    expect(error).toBeInstanceOf(StorageError);
    expect((error as StorageError).code).toBe('Archived');
    expect((error as StorageError).message).toMatch(/rehydration/);
    // The read asked for rehydration: the blob is on its way back to (or already in) Hot.
    const deadline = Date.now() + 20_000;
    while ((await azure.store.head('p/old/master')).tier !== 'hot') {
      if (Date.now() > deadline) throw new Error('the blob was never rehydrated');
      await new Promise((r) => setTimeout(r, 200));
    }
    expect((await readAll((await azure.store.get('p/old/master')).body)).equals(bytes)).toBe(true);
  });

  it('is refused by stores without an archive tier', async () => {
    await file.store.put('p/x', Buffer.from('x'));
    await expect(file.store.setTier('p/x', 'archive')).rejects.toMatchObject({ code: 'InvalidArgument' });
  });
});
