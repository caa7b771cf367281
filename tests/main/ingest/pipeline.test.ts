/**
 * Ingest end to end, in process: storescu (the X-ray unit) → a real Orthanc → follower → durable
 * queue → imaging derivatives → filesystem store (written, read back, sha256-checked) → index
 * under the right patient, linked to the appointment in progress → purge from Orthanc.
 * Then: the same images sent again are recognised as duplicates, different bytes under an
 * accepted SOP Instance UID are quarantined, an unknown patient lands in the inbox, and
 * malformed files are quarantined with their reason while good files keep flowing.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../main/app/log.js';
import { deriveAll } from '../../../main/imaging/derive.js';
import { defaultPreset } from '../../../main/imaging/presets.js';
import type { ImageEvent } from '../../../main/ingest/pipeline.js';
import { IngestService } from '../../../main/ingest/service.js';
import { OrthancClient } from '../../../main/orthanc/client.js';
import { readAll, type ObjectStore } from '../../../main/storage/store.js';
import { databases, freshDatabase, type TestDatabase } from '../../support/databases.js';
import { fileStore } from '../../support/ingest.js';
import { startOrthanc, type OrthancServer } from '../../support/orthanc.js';
import { dicomData } from '../../support/paths.js';
import { appointmentNow, seedPractice } from '../../support/practice.js';

const dental = ['IO_bitewing01_8bit_ExplicitVRLE.dcm', 'IO_bitewing01_8bit_JPEGBaseline.dcm', 'IO_bitewing01_12bit_J2K_Lossless.dcm'].map((f) => dicomData('dental', f));
const crKnown = dicomData('compressed', 'pydicomdata_RG3_J2KR.dcm'); // PatientID 11RG3 = a chart number
const crUnknown = dicomData('compressed', 'pydicomdata_RG1_J2KI.dcm'); // PatientID 9RG1: nobody

describe.each(databases)('ingest from a modality through Orthanc on %s', (client) => {
  let orthanc: OrthancServer;
  let t: TestDatabase;
  let service: IngestService;
  let store: ObjectStore;
  let seeded: Awaited<ReturnType<typeof seedPractice>>;
  let appointmentId: string;
  const events: ImageEvent[] = [];

  async function settle(expectedJobs: number): Promise<void> {
    const deadline = Date.now() + 45_000;
    for (;;) {
      const counts = await service.counts();
      const open = counts.queued + counts.fetched + counts.derived + counts.stored + counts.indexed + counts.failed;
      if (counts.done + counts.quarantined >= expectedJobs && open === 0) return;
      if (Date.now() > deadline) throw new Error(`ingest did not settle: ${JSON.stringify(counts)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  beforeAll(async () => {
    orthanc = await startOrthanc();
    t = await freshDatabase(client);
    seeded = await seedPractice(t.db.knex, {
      operatoryAeTitles: ['CUSPTEST'],
      patients: [
        { chartNumber: 'A-100', familyName: 'Tremblay', givenName: 'Hélène', dicomIds: ['ANON-IO-0001'] },
        { chartNumber: '11RG3', familyName: 'Gagnon', givenName: 'Louis' },
      ],
    });
    appointmentId = await appointmentNow(t.db.knex, { ...seeded, patientId: seeded.patientIds[0]! });
    ({ store } = await fileStore());
    service = new IngestService({
      db: t.db,
      store,
      derive: (bytes, expect) => deriveAll(bytes, defaultPreset, { expect }),
      practiceId: seeded.practiceId,
      orthanc: new OrthancClient({ url: orthanc.url, username: orthanc.username, password: orthanc.password }),
      purgeFromOrthanc: true,
      log: silentLogger,
      follower: { idleDelayMs: 100 },
      workerIdleMs: 100,
      onImage: (e) => events.push(e),
    });
    service.start();
  });

  afterAll(async () => {
    await service?.stop();
    await t?.close();
    await orthanc?.stop();
  });

  it('indexes each image under the right patient with every object stored and verified, then purges Orthanc', async () => {
    await orthanc.storescu([...dental, crKnown, crUnknown]);
    await settle(5);
    const { knex } = t.db;
    const [dentalPatient, crPatient] = seeded.patientIds;

    const images = await knex('images').select('id', 'patient_id', 'modality', 'thumb200', 'sop_instance_uid');
    expect(images.filter((i) => i.patient_id === dentalPatient)).toHaveLength(3);
    expect(images.filter((i) => i.patient_id === crPatient)).toHaveLength(1);
    expect(images).toHaveLength(4);
    expect(images.filter((i) => i.patient_id === dentalPatient).every((i) => i.modality === 'IO')).toBe(true);
    expect(images.find((i) => i.patient_id === crPatient)?.modality).toBe('DX');
    for (const image of images) expect(Buffer.from(image.thumb200).subarray(0, 2)).toEqual(Buffer.from([0xff, 0xd8]));

    // Every variant of every image is in the store, byte for byte what the row says.
    const objects = await knex('stored_objects').select('image_id', 'variant', 'object_key', 'bytes', 'sha256', 'verified_at');
    expect(objects).toHaveLength(images.length * 5);
    for (const object of objects) {
      const bytes = await readAll((await store.get(String(object.object_key))).body);
      expect(bytes.length).toBe(Number(object.bytes));
      expect(createHash('sha256').update(bytes).digest('hex')).toBe(object.sha256);
      expect(object.object_key).toBe(`${seeded.practiceId}/${object.image_id}/${object.variant}`);
      expect(object.verified_at).toBeTruthy();
    }

    // The dental images were taken while the patient was in the chair whose sensor is CUSPTEST.
    const links = await knex('image_appointments').select('appointment_id');
    expect(links).toHaveLength(3);
    expect(links.every((l) => l.appointment_id === appointmentId)).toBe(true);

    // Nobody has PatientID 9RG1: the image waits in the inbox, with its thumbnail.
    const inbox = await knex('ingest_jobs').where({ outcome: 'inbox' }).select('thumb200', 'state', 'index_data');
    expect(inbox).toHaveLength(1);
    expect(inbox[0].state).toBe('done');
    expect(inbox[0].thumb200).toBeTruthy();

    // Purged from Orthanc only after indexing; the events said which patient got what.
    expect(await new OrthancClient({ url: orthanc.url, username: orthanc.username, password: orthanc.password }).instances({ since: 0, limit: 10 })).toEqual([]);
    expect(events.filter((e) => e.outcome === 'indexed' && e.patientId === dentalPatient)).toHaveLength(3);
    expect(events.filter((e) => e.outcome === 'inbox')).toHaveLength(1);
  });

  it('recognises the same images sent again, and quarantines different bytes under an accepted UID', async () => {
    await orthanc.storescu([...dental, crKnown]);
    await settle(9);
    // Same SOP Instance UID as the 12-bit J2K file, but RLE-encoded: different bytes. (Sent once
    // the J2K copy is purged: while Orthanc holds an instance it ignores another with its UID.)
    await orthanc.storescu(dicomData('dental', 'IO_bitewing01_12bit_RLE.dcm'));
    await settle(10);
    const { knex } = t.db;
    expect(Number(((await knex('images').count({ n: '*' }).first()) as { n: number | string }).n)).toBe(4);
    expect(Number(((await knex('stored_objects').count({ n: '*' }).first()) as { n: number | string }).n)).toBe(20);
    const duplicates = await knex('ingest_jobs').where({ outcome: 'duplicate', state: 'done' }).select('id');
    expect(duplicates).toHaveLength(4);
    const conflict = await knex('ingest_jobs').where({ state: 'quarantined' }).select('reason');
    expect(conflict).toHaveLength(1);
    expect(conflict[0].reason).toMatch(/already accepted .* different content/);
  });

  it('quarantines malformed files with their reason while good files keep flowing', async () => {
    const malformed = ['random_bytes_4k.dcm', 'IO_bitewing01_8bit_trunc_mid_pixeldata.dcm', 'zero_length.dcm'].map((f) => dicomData('malformed', f));
    const good = dicomData('compressed', 'fodicom_CR-ModalitySequenceLUT.dcm');
    const ids = await service.queue.enqueueFiles([...malformed, good]);
    service.workers.wake();
    await settle(14);
    const jobs = await Promise.all(ids.map((id) => service.queue.get(id)));
    for (const job of jobs.slice(0, 3)) {
      expect(job?.state).toBe('quarantined');
      expect(job?.reason).toMatch(/^[A-Z_]+: ./);
    }
    expect(jobs[3]).toMatchObject({ state: 'done', outcome: 'inbox' });
  });
});
