// Pins down `cusp demo`: a fictional practice, clearly marked demo, with patients, chairs, a
// week of appointments (never overlapping) and plans; refused in a folder that has a practice.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createClient } from '../../../contract/client.js';
import { openApp } from '../../../main/app/index.js';
import { silentLogger } from '../../../main/app/log.js';
import { createMemoryTransport } from '../../../main/server/memory.js';
import { openServices } from '../../../main/app/services.js';
import { main } from '../../../main/cli/index.js';
import { listPractices } from '../../../main/db/repositories/practices.js';
import { scratchDir } from '../../support/paths.js';

afterEach(() => vi.restoreAllMocks());

describe('cusp demo', () => {
  it('creates the demo practice once, in an empty SQLite data folder', async () => {
    const dir = scratchDir('demo');
    const out: string[] = [];
    const err: string[] = [];
    vi.spyOn(console, 'log').mockImplementation((...args) => void out.push(args.join(' ')));
    vi.spyOn(console, 'error').mockImplementation((...args) => void err.push(args.join(' ')));
    expect(await main(['node', 'cusp', 'demo', '--data', dir, '--patients', '60'])).toBe(0);
    expect(out.join('\n')).toMatch(/60 patients, \d+ appointments this week, 15 treatment plans/);
    expect(out.join('\n')).toMatch(/fictional/);

    const services = await openServices({ dataDir: dir, log: silentLogger });
    try {
      const { knex } = services.database();
      const [practice] = await listPractices(knex);
      expect(practice).toMatchObject({ demo: true });
      expect(Number((await knex('patients').count({ n: '*' }))[0]!.n)).toBe(60);
      const appointments = await knex('appointments').orderBy(['operatory_id', 'starts_at']);
      expect(appointments.length).toBeGreaterThan(30);
      const languages = new Set((await knex('patients').distinct('language')).map((r) => r.language));
      expect(languages).toEqual(new Set(['fr', 'en']));
      expect((await knex('users').select('role')).map((r) => r.role).sort()).toEqual(['admin', 'dentist', 'dentist', 'frontdesk', 'hygienist']);
    } finally {
      await services.close();
    }

    expect(await main(['node', 'cusp', 'demo', '--data', dir])).toBe(1);
    expect(err.join('\n')).toMatch(/already has a practice/);
    expect(await main(['node', 'cusp', 'demo', '--data', dir, '--patients', 'lots'])).toBe(2);
  });

  it('backs the first-run button: status says unconfigured, createDemo works once without sign-in', async () => {
    const app = await openApp({ dataDir: scratchDir('first-run'), log: silentLogger });
    try {
      const client = createClient(createMemoryTransport(app.dispatch, app.services.events, () => ({ transport: 'memory', workstation: 'w', sessionId: 's', user: null })));
      expect(await client.call('practice.status', {})).toEqual({ configured: false, practice: null });
      const demo = await client.call('practice.createDemo', {});
      expect(demo).toMatchObject({ patients: 200, practice: { demo: true } });
      expect(await client.call('practice.status', {})).toEqual({ configured: true, practice: demo.practice });
      expect(await client.tryCall('practice.createDemo', {})).toMatchObject({ ok: false, error: { code: 'CONFLICT' } });
    } finally {
      await app.services.close();
    }
  });
});
