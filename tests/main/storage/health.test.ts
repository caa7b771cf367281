/**
 * The `store` health probe and the outbox count the lead wires into `app.health`: ok when the
 * store answers, unavailable (with how many images wait locally) when it does not, and a store
 * that answers again has its outbox drained.
 */
import { randomBytes } from 'node:crypto';
import { rename } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MemorySecretStore } from '../../../main/storage/secrets.js';
import { openStorage } from '../../../main/storage/service.js';
import { readAll } from '../../../main/storage/store.js';
import { scratchDir } from '../../support/paths.js';

describe('storage health', () => {
  it('reports the store and the images waiting for it', async () => {
    const dataDir = scratchDir('health');
    const storage = await openStorage({ dataDir, url: 'file:objects', secrets: new MemorySecretStore(), cacheBytes: 1e6 });
    expect(await storage.health()).toEqual({ state: 'ok' });
    expect(await storage.pendingUploads()).toBe(0);

    // The "disk" goes away: writes still succeed into the outbox, health says so.
    await rename(join(dataDir, 'objects'), join(dataDir, 'objects-unplugged'));
    const bytes = randomBytes(1000);
    await storage.store.put('p/i/view', bytes);
    expect(await storage.pendingUploads()).toBe(1);
    const down = await storage.health();
    expect(down.state).toBe('unavailable');
    expect(down.message).toMatch(/cannot be reached.*1 image\(s\) wait/);
    expect((await readAll((await storage.store.get('p/i/view')).body)).equals(bytes)).toBe(true);

    await rename(join(dataDir, 'objects-unplugged'), join(dataDir, 'objects'));
    expect(await storage.health()).toEqual({ state: 'ok' });
    await storage.outbox.drain();
    expect(await storage.pendingUploads()).toBe(0);
    expect((await readAll((await storage.backend.get('p/i/view')).body)).equals(bytes)).toBe(true);
    await storage.close();
  });
});
