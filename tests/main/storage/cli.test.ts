/**
 * `cusp storage` against a real data folder: a demo practice in SQLite, images indexed with their
 * stored objects in the file store. Pins down verify (finds damage, exit 1), tier (bytes and cost
 * per tier from the stored_objects rows via KnexObjectIndex), migrate (refuses to switch while a
 * copy does not verify; switches config.json once all do), check, and residency refusals (exit 2).
 */
import { createHash, randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../../../main/app/config.js';
import { createLogger } from '../../../main/app/log.js';
import { openServices } from '../../../main/app/services.js';
import { main } from '../../../main/cli/index.js';
import { indexImage, putStoredObject } from '../../../main/db/repositories/imaging.js';
import { KnexObjectIndex } from '../../../main/storage/object-index.js';
import { openStorage } from '../../../main/storage/service.js';
import { FileSecretStore } from '../../../main/storage/secrets.js';
import { scratchDir } from '../../support/paths.js';

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  vi.spyOn(console, 'log').mockImplementation((...args) => void out.push(args.join(' ')));
  vi.spyOn(console, 'error').mockImplementation((...args) => void err.push(args.join(' ')));
  vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  return { out, err, text: () => out.join('\n'), reset: () => ((out.length = 0), (err.length = 0)) };
}

afterEach(() => {
  vi.restoreAllMocks();
  process.exitCode = 0;
});

async function run(args: string[]): Promise<number> {
  process.exitCode = 0;
  const code = await main(['node', 'cusp', ...args]);
  const exit = code || Number(process.exitCode ?? 0);
  process.exitCode = 0;
  return exit;
}

describe('cusp storage', () => {
  it('verifies, tiers and migrates the objects of a practice', async () => {
    const dir = scratchDir('cli-storage');
    const io = capture();
    expect(await run(['demo', '--data', dir, '--patients', '2'])).toBe(0);

    // Index one image with two stored objects, as ingest would.
    const services = await openServices({ dataDir: dir, log: createLogger({ level: 'silent' }) });
    const db = services.database();
    const practice = await db.knex('practices').first('id');
    const booked = await db.knex('appointments').whereNotIn('status', ['cancelled', 'no_show']).orderBy('starts_at').first('patient_id', 'starts_at');
    const patient = { id: booked.patient_id as string };
    const { imageId } = await indexImage(db, practice.id, {
      patientId: patient.id,
      study: { studyInstanceUid: '2.25.1' },
      series: { seriesInstanceUid: '2.25.2', modality: 'IO' },
      image: { sopInstanceUid: '2.25.3', modality: 'IO', acquiredAt: '2019-03-01T10:00:00.000Z', rows: 10, columns: 10, bitsStored: 12, photometric: 'MONOCHROME2' },
    });
    const storage = await openStorage({ dataDir: dir, url: services.config.store.url, secrets: FileSecretStore.inDataDir(dir) });
    const bodies = { view: randomBytes(50_000), master: randomBytes(120_000) };
    for (const [variant, bytes] of Object.entries(bodies)) {
      const key = `${practice.id}/${imageId}/${variant}`;
      const info = await storage.store.put(key, bytes, { contentType: 'application/octet-stream' });
      await putStoredObject(db, { imageId, variant: variant as 'view', backend: 'file', key, bytes: info.size, sha256: info.sha256! });
    }
    const rows = await new KnexObjectIndex(db.knex).page({ limit: 10 });
    expect(rows).toHaveLength(2);
    expect(rows.every((r) => r.lastUsedAt! >= '2019-03-01')).toBe(true);
    // The overnight prefetch list: the booked patient's viewing variants, not the master.
    const day = new Date(booked.starts_at as string);
    const next = new Date(day.getTime() + 24 * 3600 * 1000).toISOString();
    expect(await new KnexObjectIndex(db.knex).keysForAppointments(day.toISOString(), next)).toEqual([`${practice.id}/${imageId}/view`]);
    expect(await new KnexObjectIndex(db.knex).keysForAppointments('2000-01-01', '2000-01-02')).toEqual([]);
    await storage.close();
    await services.close();

    io.reset();
    expect(await run(['storage', 'verify', '--data', dir])).toBe(0);
    expect(io.text()).toMatch(/Checked 2 object\(s\): 2 intact, 0 with problems/);

    io.reset();
    expect(await run(['storage', 'tier', '--data', dir, '--json', '--prices', 'hot=1,warm=1,cold=1,archive=1'])).toBe(0);
    const report = JSON.parse(io.text());
    expect(report.objects.hot + report.objects.warm + report.objects.cold).toBe(2);
    expect(report.monthlyCost.total).toBeCloseTo(170_000 / 1e9, 9);

    // Damage the view on disk: verify reports it, and migration will not switch to a bad copy.
    const viewPath = join(dir, 'objects', practice.id, imageId, 'view');
    const good = await readFile(viewPath);
    await writeFile(viewPath, Buffer.concat([good.subarray(0, 100), Buffer.from('x'), good.subarray(101)]));
    io.reset();
    expect(await run(['storage', 'verify', '--data', dir])).toBe(1);
    expect(io.text()).toMatch(/IntegrityError .*\/view/);
    const target = `file://${join(scratchDir('cli-storage-new'), 'objects')}`;
    io.reset();
    expect(await run(['storage', 'migrate', '--data', dir, '--to', target])).toBe(1);
    expect((await loadConfig(dir)).store.url).toBe('file:objects');

    await writeFile(viewPath, good);
    io.reset();
    expect(await run(['storage', 'migrate', '--data', dir, '--to', target])).toBe(0);
    expect((await loadConfig(dir)).store.url).toBe(target);
    io.reset();
    expect(await run(['storage', 'verify', '--data', dir])).toBe(0);
    expect(io.text()).toMatch(/2 intact/);
    expect(createHash('sha256').update(await readFile(join(target.slice('file://'.length), practice.id, imageId, 'master'))).digest('hex'))
      .toBe(createHash('sha256').update(bodies.master).digest('hex'));

    io.reset();
    expect(await run(['storage', 'prefetch', '--data', dir, '--date', new Date(booked.starts_at as string).toLocaleDateString('en-CA')])).toBe(0);
    expect(io.text()).toMatch(/Cached 1 image object/);

    io.reset();
    expect(await run(['storage', 'check', '--data', dir])).toBe(0);
    expect(io.text()).toMatch(/region local/);
    expect(await run(['storage', 'check', '--data', dir, '--residency', 'canada', '--url', 's3://bucket?region=us-east-1'])).toBe(2);
    expect(io.err.join('\n')).toMatch(/Canada only/);
  });
});
