/**
 * Outages during ingest, with a real Orthanc fed by storescu:
 * - the image store refuses writes (Unavailable): jobs wait and retry without losing an attempt,
 *   nothing is quarantined, nothing is purged from Orthanc; when the store returns, all finish;
 * - Orthanc is stopped while jobs still need their files: the same, and they catch up when it
 *   is back.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../main/app/log.js';
import { deriveAll } from '../../../main/imaging/derive.js';
import { defaultPreset } from '../../../main/imaging/presets.js';
import type { IngestStore } from '../../../main/ingest/pipeline.js';
import type { ObjectStore } from '../../../main/storage/store.js';
import { IngestService } from '../../../main/ingest/service.js';
import { OrthancClient } from '../../../main/orthanc/client.js';
import { freshDatabase, type TestDatabase } from '../../support/databases.js';
import { distinctCopies } from '../../support/dicom.js';
import { fileStore } from '../../support/ingest.js';
import { startOrthanc, type OrthancServer } from '../../support/orthanc.js';
import { dicomData } from '../../support/paths.js';
import { seedPractice } from '../../support/practice.js';

/** A store that can be switched off: every call fails as a cloud store does when unreachable. */
class SwitchableStore implements IngestStore {
  readonly description = { kind: 'file' as const };
  down = false;
  refused = 0;
  constructor(private readonly inner: ObjectStore) {}
  private check(): void {
    if (this.down) {
      this.refused += 1;
      throw Object.assign(new Error('The image store cannot be reached'), { code: 'Unavailable' });
    }
  }
  async put(key: string, body: Buffer, options?: { contentType?: string; sha256?: string }) {
    this.check();
    return this.inner.put(key, body, options);
  }
  async get(key: string) {
    this.check();
    return this.inner.get(key);
  }
  async delete(key: string) {
    this.check();
    return this.inner.delete(key);
  }
}

let orthanc: OrthancServer;
let t: TestDatabase;
let service: IngestService;
let store: SwitchableStore;
let client: OrthancClient;

async function until(what: string, condition: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 50_000;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}: ${JSON.stringify(await service.counts())}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
const count = async (table: string, where: Record<string, unknown> = {}) =>
  Number(((await t.db.knex(table).where(where).count({ n: '*' }).first()) as { n: number | string }).n);

beforeAll(async () => {
  orthanc = await startOrthanc();
  client = new OrthancClient({ url: orthanc.url, username: orthanc.username, password: orthanc.password, retries: 1, backoff: { baseMs: 50, maxMs: 100 } });
  t = await freshDatabase('sqlite');
  const seeded = await seedPractice(t.db.knex, { patients: [{ chartNumber: 'O-1', familyName: 'Lavoie', givenName: 'Paul', dicomIds: ['OUT-1'] }] });
  store = new SwitchableStore((await fileStore()).store);
  service = new IngestService({
    db: t.db,
    store,
    derive: (bytes, expect) => deriveAll(bytes, defaultPreset, { expect }),
    practiceId: seeded.practiceId,
    orthanc: client,
    purgeFromOrthanc: true,
    log: silentLogger,
    queue: { transientDelayMs: 200 },
    follower: { idleDelayMs: 100, maxBackoffMs: 400 },
    workerIdleMs: 100,
    workerMaxPauseMs: 400,
  });
  service.start();
});

afterAll(async () => {
  await service?.stop();
  await t?.close();
  await orthanc?.stop();
});

describe('ingest through outages', () => {
  it('waits while the store is down, purges nothing, and finishes when it returns', { timeout: 120_000 }, async () => {
    store.down = true;
    await orthanc.storescu(await distinctCopies(dicomData('dental', 'IO_bitewing01_8bit_JPEGBaseline.dcm'), 4, { patientId: 'OUT-1' }));
    await until('every job met the outage', async () => (await count('ingest_jobs')) === 4 && store.refused >= 8);
    expect(await count('ingest_jobs', { state: 'quarantined' })).toBe(0);
    const failed = await t.db.knex('ingest_jobs').where({ state: 'failed' }).select('attempts', 'reason');
    expect(failed.length).toBeGreaterThan(0);
    for (const job of failed) {
      expect(job.reason).toMatch(/cannot be reached/);
      expect(job.attempts).toBe(0); // transient failures are not counted
    }
    expect(await count('images')).toBe(0);
    expect(await client.instances({ since: 0, limit: 100 })).toHaveLength(4);

    store.down = false;
    await until('all four are indexed', async () => (await count('images')) === 4 && (await count('ingest_jobs', { state: 'done' })) === 4);
    expect(await client.instances({ since: 0, limit: 100 })).toEqual([]);
  });

  it('keeps retrying while Orthanc is stopped and catches up when it returns', { timeout: 120_000 }, async () => {
    // Jobs that already fetched once go back to fetching after the store failure; Orthanc is
    // then down, so they cannot get their files.
    store.down = true;
    await orthanc.storescu(await distinctCopies(dicomData('dental', 'IO_bitewing01_8bit_JPEGBaseline.dcm'), 3, { patientId: 'OUT-1' }));
    await until('the new jobs met the store outage', async () => (await count('ingest_jobs')) === 7 && (await count('ingest_jobs', { state: 'failed' })) === 3);
    await orthanc.stop();
    store.down = false;
    await until('the jobs found Orthanc down', async () => {
      const reasons = await t.db.knex('ingest_jobs').where({ state: 'failed' }).pluck('reason');
      return reasons.length > 0 && reasons.every((r: string) => /Orthanc/.test(r));
    });
    expect(service.follower?.getStatus().reachable).toBe(false);
    expect(await count('ingest_jobs', { state: 'quarantined' })).toBe(0);
    expect(await count('images')).toBe(4);

    await orthanc.start();
    await until('all seven are indexed', async () => (await count('images')) === 7 && (await count('ingest_jobs', { state: 'done' })) === 7);
    expect(await count('ingest_jobs', { state: 'quarantined' })).toBe(0);
    expect(await client.instances({ since: 0, limit: 100 })).toEqual([]);
    expect(service.follower?.getStatus().reachable).toBe(true);
  });
});
