/**
 * Shutdown of the ingest workers (what `cusp agent` does on SIGTERM): a job still running when
 * the grace period ends is given back — no lease, no attempt counted — and the next worker takes
 * it from where it stands and finishes it.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../main/app/log.js';
import { deriveAll } from '../../../main/imaging/derive.js';
import { defaultPreset } from '../../../main/imaging/presets.js';
import { IngestService } from '../../../main/ingest/service.js';
import { freshDatabase, type TestDatabase } from '../../support/databases.js';
import { fileStore } from '../../support/ingest.js';
import { dicomData } from '../../support/paths.js';
import { seedPractice } from '../../support/practice.js';

describe('ingest workers on shutdown', () => {
  let t: TestDatabase;
  afterEach(async () => t?.close());

  it('release a job still running after the grace period, and a restarted worker finishes it', { timeout: 60_000 }, async () => {
    t = await freshDatabase('sqlite');
    const seeded = await seedPractice(t.db.knex, { patients: [{ chartNumber: 'W-1', familyName: 'Fortin', givenName: 'Eve', dicomIds: ['ANON-IO-0001'] }] });
    const { store } = await fileStore();
    let release!: () => void;
    const slowDerive = new Promise<void>((resolve) => (release = resolve));
    const make = (derive: ConstructorParameters<typeof IngestService>[0]['derive']) =>
      new IngestService({ db: t.db, store, derive, practiceId: seeded.practiceId, log: silentLogger, workerIdleMs: 50 });

    const first = make(async (bytes, expect) => {
      await slowDerive;
      return deriveAll(bytes, defaultPreset, { expect });
    });
    const [id] = await first.queue.enqueueFiles([dicomData('dental', 'IO_bitewing01_8bit_ExplicitVRLE.dcm')]);
    first.start();
    while ((await first.queue.get(id!))?.state !== 'fetched') await new Promise((r) => setTimeout(r, 20));
    const stopping = first.workers.stop(100);
    setTimeout(release, 300); // the derivation outlasts the grace period
    await stopping;
    const released = await first.queue.get(id!);
    expect(released).toMatchObject({ leaseOwner: null, attempts: 0 });
    expect(['fetched', 'derived']).toContain(released?.state); // stopped before storing anything
    expect(await t.db.knex('images').count({ n: '*' }).first()).toMatchObject({ n: 0 });

    const second = make((bytes, expect) => deriveAll(bytes, defaultPreset, { expect }));
    second.start();
    try {
      while ((await second.queue.get(id!))?.state !== 'done') await new Promise((r) => setTimeout(r, 50));
    } finally {
      await second.stop();
    }
    expect(await second.queue.get(id!)).toMatchObject({ state: 'done', outcome: 'indexed', attempts: 1 });
    expect(await t.db.knex('images').count({ n: '*' }).first()).toMatchObject({ n: 1 });
  });
});
