// Pins down the data folder's config: defaults, validation messages a person can act on,
// atomic save, and that app.info never shows a credential.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createClient } from '../../../contract/client.js';
import { loadConfig, redactUrl, saveConfig } from '../../../main/app/config.js';
import { openApp } from '../../../main/app/index.js';
import { silentLogger } from '../../../main/app/log.js';
import { defaultDataDir } from '../../../main/app/paths.js';
import { createMemoryTransport } from '../../../main/server/memory.js';
import { scratchDir } from '../../support/paths.js';

describe('config', () => {
  it('defaults to SQLite and a filesystem store inside the data folder', async () => {
    const config = await loadConfig(scratchDir());
    expect(config.database).toEqual({ client: 'sqlite', filename: 'cusp.sqlite' });
    expect(config.store.url).toBe('file:objects');
    expect(config.language).toBe('fr');
  });

  it('refuses an invalid config naming the field and the file', async () => {
    const dir = scratchDir();
    await writeFile(join(dir, 'config.json'), JSON.stringify({ database: { client: 'postgres', url: 'mysql://x' } }));
    await expect(loadConfig(dir)).rejects.toThrow(/config\.json: database\.url: must start with postgres/);
    await writeFile(join(dir, 'config.json'), '{not json');
    await expect(loadConfig(dir)).rejects.toThrow(/not valid JSON/);
  });

  it('saves atomically and round-trips', async () => {
    const dir = scratchDir();
    const config = await loadConfig(dir);
    await saveConfig(dir, { ...config, language: 'en', orthanc: { url: 'http://127.0.0.1:8042', username: 'cusp' } });
    expect((await loadConfig(dir)).language).toBe('en');
    expect(JSON.parse(await readFile(join(dir, 'config.json'), 'utf8')).orthanc.username).toBe('cusp');
  });

  it('redacts passwords and secret query parameters', () => {
    expect(redactUrl('postgres://cusp:hunter2@db:5432/cusp')).not.toContain('hunter2');
    expect(redactUrl('s3://bucket/p?region=ca-central-1&secretKey=abc')).not.toContain('abc');
    expect(redactUrl('s3://bucket/p?region=ca-central-1')).toContain('ca-central-1');
  });

  it('uses the same per-user folder as Electron on each platform', () => {
    expect(defaultDataDir('linux', { XDG_CONFIG_HOME: '/home/a/.config' })).toBe('/home/a/.config/Cusp');
    expect(defaultDataDir('win32', { APPDATA: 'C:\\Users\\a\\AppData\\Roaming' })).toMatch(/Roaming[\\/]Cusp$/);
    expect(defaultDataDir('darwin', {})).toMatch(/Library\/Application Support\/Cusp$/);
    expect(defaultDataDir('linux', { CUSP_DATA_DIR: '/srv/cusp' })).toBe('/srv/cusp');
  });
});

describe('app.info through the in-memory transport', () => {
  it('reports where things are without credentials', async () => {
    const dir = scratchDir();
    await writeFile(
      join(dir, 'config.json'),
      JSON.stringify({ database: { client: 'postgres', url: 'postgres://cusp:hunter2@db:5432/cusp' }, orthanc: { url: 'http://orthanc.local:8042' } }),
    );
    const app = await openApp({ dataDir: dir, log: silentLogger });
    try {
      const client = createClient(
        createMemoryTransport(app.dispatch, app.services.events, () => ({ transport: 'memory', workstation: 't', sessionId: 's', user: null })),
      );
      const info = await client.call('app.info', {});
      expect(info.dataDir).toBe(dir);
      expect(info.database.client).toBe('postgres');
      expect(JSON.stringify(info)).not.toContain('hunter2');
      expect(info.orthanc).toEqual({ configured: true, url: 'http://orthanc.local:8042/' });
      const refused = await client.tryCall('app.info', { unexpected: true } as never);
      expect(refused).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT' } });
    } finally {
      await app.services.close();
    }
  });
});
