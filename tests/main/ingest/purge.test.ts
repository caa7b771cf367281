/**
 * Purge after retention against a real Orthanc: nothing is deleted before the retention period,
 * then every finished job's instance is, once; a quarantined job's instance stays (staff may need
 * the original), and a sweep after a restart of the purger does not start over.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../main/app/log.js';
import { deriveAll } from '../../../main/imaging/derive.js';
import { defaultPreset } from '../../../main/imaging/presets.js';
import { OrthancPurger } from '../../../main/ingest/purge.js';
import { IngestService } from '../../../main/ingest/service.js';
import { OrthancClient } from '../../../main/orthanc/client.js';
import { freshDatabase, type TestDatabase } from '../../support/databases.js';
import { distinctCopies } from '../../support/dicom.js';
import { fileStore } from '../../support/ingest.js';
import { startOrthanc, type OrthancServer } from '../../support/orthanc.js';
import { dicomData } from '../../support/paths.js';
import { seedPractice } from '../../support/practice.js';

let orthanc: OrthancServer;
let t: TestDatabase;
let client: OrthancClient;

beforeAll(async () => {
  orthanc = await startOrthanc();
  client = new OrthancClient({ url: orthanc.url, username: orthanc.username, password: orthanc.password });
  t = await freshDatabase('sqlite');
  const seeded = await seedPractice(t.db.knex, { patients: [{ chartNumber: 'P-1', familyName: 'Pelletier', givenName: 'Lise', dicomIds: ['PURGE-1'] }] });
  const service = new IngestService({
    db: t.db,
    store: (await fileStore()).store,
    derive: (bytes, expect) => deriveAll(bytes, defaultPreset, { expect }),
    practiceId: seeded.practiceId,
    orthanc: client,
    log: silentLogger,
    follower: { idleDelayMs: 100 },
    workerIdleMs: 100,
  });
  service.start();
  try {
    await orthanc.storescu(await distinctCopies(dicomData('dental', 'IO_bitewing01_8bit_JPEGBaseline.dcm'), 3, { patientId: 'PURGE-1' }));
    const deadline = Date.now() + 50_000;
    while ((await service.counts()).done < 3) {
      if (Date.now() > deadline) throw new Error('ingest did not finish');
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    await service.stop();
  }
});

afterAll(async () => {
  await t?.close();
  await orthanc?.stop();
});

describe('purge from Orthanc after retention', () => {
  it('deletes finished instances only once the retention has passed, never a quarantined one', async () => {
    const hour = 3_600_000;
    const [kept] = (await t.db.knex('ingest_jobs').orderBy('id').limit(1).pluck('id')) as string[];
    await t.db.knex('ingest_jobs').where({ id: kept }).update({ state: 'quarantined', reason: 'held for review' });
    const keptInstance = (await t.db.knex('ingest_jobs').where({ id: kept }).first('orthanc_id')).orthanc_id as string;

    const purger = new OrthancPurger(t.db, client, 2 * hour);
    expect(await purger.sweep(new Date(Date.now() + hour))).toBe(0);
    expect(await client.instances({ since: 0, limit: 10 })).toHaveLength(3);

    expect(await purger.sweep(new Date(Date.now() + 3 * hour))).toBe(2);
    expect(await client.instances({ since: 0, limit: 10 })).toEqual([keptInstance]);

    const restarted = new OrthancPurger(t.db, client, 2 * hour);
    expect(await restarted.sweep(new Date(Date.now() + 4 * hour)), 'the watermark survives a restart').toBe(0);
  });
});
