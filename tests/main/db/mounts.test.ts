// Pins down mounts and "compare with previous" in the database, on SQLite and PostgreSQL:
// placing, moving, swapping and removing images with optimistic versions; a new exposure filed
// by ingest lands in the next empty slot of the patient's open mount (today's newest incomplete
// one), once, and only for intra-oral images; the previous image is the latest earlier one of
// the same modality sharing a tooth.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../../main/app/errors.js';
import * as imaging from '../../../main/db/repositories/imaging.js';
import * as mounts from '../../../main/db/repositories/mounts.js';
import { indexImage as ingestIndexImage, type IndexData } from '../../../main/ingest/indexer.js';
import * as migration from '../../../main/db/migrations/20261128233000_mounts.js';
import { mountCreateSchema, mountTemplates, type ImageRecord } from '../../../contract/index.js';
import { databases, freshDatabase, type TestDatabase } from '../../support/databases.js';
import { addPatient, seedPractice } from './fixtures.js';

const rejects = async (promise: Promise<unknown>, code: AppError['code']) => {
  const error = await promise.then(() => null, (e: unknown) => e);
  expect(error, `expected ${code}`).toBeInstanceOf(AppError);
  expect((error as AppError).code).toBe(code);
};

let counter = 0;
const uid = () => `1.2.826.0.1.3680043.10.777.${process.pid}.${++counter}`;

describe.each(databases)('mounts on %s', (client) => {
  let t: TestDatabase;
  let practiceId: string;
  let userId: string;

  beforeAll(async () => {
    t = await freshDatabase(client);
    const seed = await seedPractice(t.db);
    practiceId = seed.practice.id;
    userId = seed.dentist.id;
  });
  afterAll(async () => t?.close());

  async function addImage(patientId: string, fields: { modality?: ImageRecord['modality']; acquiredAt?: string | null; teeth?: number[] } = {}): Promise<string> {
    const modality = fields.modality ?? 'IO';
    const { imageId } = await imaging.indexImage(t.db, practiceId, {
      patientId,
      study: { studyInstanceUid: uid() },
      series: { seriesInstanceUid: uid(), modality },
      image: {
        sopInstanceUid: uid(), modality, acquiredAt: fields.acquiredAt === undefined ? new Date().toISOString() : fields.acquiredAt, teeth: fields.teeth ?? [],
        rows: 100, columns: 150, bitsStored: 8, photometric: 'MONOCHROME2',
      },
    });
    return imageId;
  }

  /** What ingest does for a new exposure: the indexer's own transaction. */
  async function ingest(patientId: string, modality = 'IO', now = new Date().toISOString()): Promise<string> {
    const imageId = randomUUID();
    const data: IndexData = {
      kind: 'dicom', sopInstanceUid: uid(), studyInstanceUid: uid(), seriesInstanceUid: uid(), modality, patient: {}, rows: 100, columns: 150, bitsStored: 8,
      photometric: 'MONOCHROME2', lossy: false, teeth: [], backend: 'file',
      objects: [{ variant: 'view', key: `${practiceId}/${imageId}/view`, bytes: 10, sha256: 'a'.repeat(64), contentType: 'image/webp', verifiedAt: now }],
    };
    await t.db.write((trx) => ingestIndexImage(trx, { practiceId, patientId, imageId, data, now }));
    return imageId;
  }

  const today = () => mounts.localDay(new Date());
  const create = (patientId: string, template: 'fmx18' | 'bw4', takenOn = today()) =>
    mounts.createMount(t.db, practiceId, userId, mountCreateSchema.parse({ patientId, template, takenOn }));

  it('places, moves, swaps and removes images with optimistic versions', async () => {
    const p = await addPatient(t.db, practiceId, { familyName: 'Mount', givenName: 'Ana' });
    const [a, b, c] = [await addImage(p.id), await addImage(p.id), await addImage(p.id)];
    const m = await create(p.id, 'fmx18');
    expect(m).toMatchObject({ template: 'fmx18', slots: [], complete: false, version: 1 });

    let r = await mounts.placeImage(t.db, practiceId, { id: m.id, version: 1, slot: 8, imageId: a });
    expect(r.mount.slots).toEqual([{ slot: 8, imageId: a }]);
    r = await mounts.placeImage(t.db, practiceId, { id: m.id, version: r.mount.version, slot: 1, imageId: b });
    // A stale version is refused: nothing is overwritten silently.
    await rejects(mounts.placeImage(t.db, practiceId, { id: m.id, version: 1, slot: 2, imageId: c }), 'CONFLICT');
    // Move a from 8 to 1, where b sits: they swap.
    r = await mounts.placeImage(t.db, practiceId, { id: m.id, version: r.mount.version, slot: 1, imageId: a });
    expect(r.mount.slots).toEqual([{ slot: 1, imageId: a }, { slot: 8, imageId: b }]);
    // Move a to an empty slot: 1 becomes empty.
    r = await mounts.placeImage(t.db, practiceId, { id: m.id, version: r.mount.version, slot: 18, imageId: a });
    expect(r.mount.slots).toEqual([{ slot: 8, imageId: b }, { slot: 18, imageId: a }]);
    // An image from outside replaces what was in the slot.
    r = await mounts.placeImage(t.db, practiceId, { id: m.id, version: r.mount.version, slot: 8, imageId: c });
    expect(r.before).toBe(b);
    expect(r.mount.slots).toEqual([{ slot: 8, imageId: c }, { slot: 18, imageId: a }]);
    r = await mounts.placeImage(t.db, practiceId, { id: m.id, version: r.mount.version, slot: 18, imageId: null });
    expect(r.mount.slots).toEqual([{ slot: 8, imageId: c }]);
    expect(r.mount.version).toBe(7);
    // Restored as saved.
    expect((await mounts.mountsForPatient(t.db.knex, practiceId, p.id))[0]).toEqual(r.mount);

    // No slot 5 on four bitewings, no other patient's image, no other practice's mount.
    const bw = await create(p.id, 'bw4');
    await rejects(mounts.placeImage(t.db, practiceId, { id: bw.id, version: 1, slot: 5, imageId: a }), 'INVALID_INPUT');
    const other = await addPatient(t.db, practiceId, { familyName: 'Autre', givenName: 'Bea' });
    await rejects(mounts.placeImage(t.db, practiceId, { id: bw.id, version: 1, slot: 1, imageId: await addImage(other.id) }), 'INVALID_INPUT');
    await rejects(mounts.placeImage(t.db, randomUUID(), { id: bw.id, version: 1, slot: 1, imageId: a }), 'NOT_FOUND');
    await rejects(mounts.mountsForPatient(t.db.knex, randomUUID(), p.id), 'NOT_FOUND');
    await mounts.deleteMount(t.db, practiceId, bw.id, 1);
    expect((await mounts.mountsForPatient(t.db.knex, practiceId, p.id)).map((x) => x.id)).toEqual([m.id]);
  });

  it('files a new intra-oral exposure in the next empty slot of today’s newest incomplete mount, once', async () => {
    const p = await addPatient(t.db, practiceId, { familyName: 'Fill', givenName: 'Noe' });
    const yesterday = mounts.localDay(new Date(Date.now() - 86_400_000));
    const old = await create(p.id, 'bw4', yesterday);
    const fmx = await create(p.id, 'fmx18');
    const bw = await create(p.id, 'bw4');
    // bw is today's newest: slots 1..4, then it is complete and fmx (older, today) takes over.
    const placed = await mounts.placeImage(t.db, practiceId, { id: bw.id, version: 1, slot: 2, imageId: await addImage(p.id) });
    const first = await ingest(p.id);
    const second = await ingest(p.id);
    const third = await ingest(p.id);
    const fourth = await ingest(p.id);
    const byId = async (id: string) => (await mounts.mountsForPatient(t.db.knex, practiceId, p.id)).find((m) => m.id === id)!;
    const bwNow = await byId(bw.id);
    expect(bwNow.slots.map((s) => s.slot)).toEqual([1, 2, 3, 4]);
    expect(bwNow.slots.find((s) => s.slot === 1)!.imageId).toBe(first);
    expect(bwNow.slots.find((s) => s.slot === 3)!.imageId).toBe(second);
    expect(bwNow.slots.find((s) => s.slot === 4)!.imageId).toBe(third);
    expect(bwNow.complete).toBe(true);
    expect(bwNow.version).toBe(placed.mount.version + 3);
    expect((await byId(fmx.id)).slots).toEqual([{ slot: 1, imageId: fourth }]);
    // A panoramic or a photo goes into no slot; yesterday's mount is never filled.
    await ingest(p.id, 'PX');
    await ingest(p.id, 'XC');
    expect((await byId(fmx.id)).slots).toHaveLength(1);
    expect((await byId(old.id)).slots).toEqual([]);
    // The same image cannot sit twice in a mount (the database refuses it, whatever the code does).
    await expect(t.db.knex('mount_slots').insert({ mount_id: fmx.id, slot: 2, image_id: fourth })).rejects.toThrow();
    // The fill order is the template's slot order.
    expect(mountTemplates.fmx18.map((s) => s.slot)).toEqual(Array.from({ length: 18 }, (_, i) => i + 1));
    expect(mountTemplates.fmx18.filter((s) => s.kind === 'bitewing')).toHaveLength(4);
  });

  it('gives two exposures filed at the same time two different slots', async () => {
    const p = await addPatient(t.db, practiceId, { familyName: 'Race', givenName: 'Max' });
    const m = await create(p.id, 'bw4');
    // Two workstations' connections (PostgreSQL: two transactions racing for the mount row).
    const other = await t.openAnother();
    const imageIds = [randomUUID(), randomUUID(), randomUUID()];
    const data = (imageId: string): IndexData => ({
      kind: 'dicom', sopInstanceUid: uid(), studyInstanceUid: uid(), seriesInstanceUid: uid(), modality: 'IO', patient: {}, rows: 10, columns: 10, bitsStored: 8,
      photometric: 'MONOCHROME2', lossy: false, teeth: [], backend: 'file',
      objects: [{ variant: 'view', key: `${practiceId}/${imageId}/view`, bytes: 10, sha256: 'a'.repeat(64), contentType: 'image/webp', verifiedAt: new Date().toISOString() }],
    });
    const now = new Date().toISOString();
    await Promise.all(
      imageIds.map((imageId, i) => (i % 2 ? other : t.db).write((trx) => ingestIndexImage(trx, { practiceId, patientId: p.id, imageId, data: data(imageId), now }))),
    );
    const [mount] = await mounts.mountsForPatient(t.db.knex, practiceId, p.id);
    expect(mount!.id).toBe(m.id);
    expect(mount!.slots.map((s) => s.slot)).toEqual([1, 2, 3]);
    expect(mount!.slots.map((s) => s.imageId).sort()).toEqual([...imageIds].sort());
    expect(mount!.version).toBe(4);
  });

  it('fills nothing when the patient has no mount today, and a stale renderer then gets CONFLICT', async () => {
    const p = await addPatient(t.db, practiceId, { familyName: 'None', givenName: 'Zoe' });
    const imageId = await ingest(p.id);
    expect(await t.db.knex('mount_slots').where({ image_id: imageId })).toEqual([]);
    const m = await create(p.id, 'fmx18');
    await ingest(p.id);
    await rejects(mounts.placeImage(t.db, practiceId, { id: m.id, version: 1, slot: 2, imageId }), 'CONFLICT');
  });

  it('has a migration that goes down and up again', async () => {
    const other = await freshDatabase(client);
    try {
      await migration.down(other.db.knex);
      expect(await other.db.knex.schema.hasTable('mount_slots')).toBe(false);
      expect(await other.db.knex.schema.hasTable('mounts')).toBe(false);
      await migration.up(other.db.knex);
      expect(await other.db.knex.schema.hasTable('mount_slots')).toBe(true);
    } finally {
      await other.close();
    }
  });

  it('finds the previous image of the same modality sharing a tooth', async () => {
    const p = await addPatient(t.db, practiceId, { familyName: 'Prev', givenName: 'Leo' });
    const day = (d: string) => `${d}T10:00:00.000Z`;
    const oldest = await addImage(p.id, { acquiredAt: day('2022-01-10'), teeth: [36, 37] });
    const upperRight = await addImage(p.id, { acquiredAt: day('2024-03-01'), teeth: [16, 17] });
    const lowerLeft = await addImage(p.id, { acquiredAt: day('2024-06-01'), teeth: [37, 38] });
    const pano = await addImage(p.id, { modality: 'PX', acquiredAt: day('2025-01-01'), teeth: [36] });
    const untagged = await addImage(p.id, { acquiredAt: day('2025-02-01') });
    const later = await addImage(p.id, { acquiredAt: day('2026-01-01'), teeth: [36, 37] });
    const current = await addImage(p.id, { acquiredAt: day('2025-06-01'), teeth: [36, 37] });
    const other = await addPatient(t.db, practiceId, { familyName: 'Other', givenName: 'Kim' });
    await addImage(other.id, { acquiredAt: day('2025-05-01'), teeth: [36] });

    expect((await mounts.previousImage(t.db.knex, practiceId, current))?.id).toBe(lowerLeft);
    expect((await mounts.previousImage(t.db.knex, practiceId, lowerLeft))?.id).toBe(oldest);
    expect(await mounts.previousImage(t.db.knex, practiceId, oldest)).toBeNull();
    expect(await mounts.previousImage(t.db.knex, practiceId, pano)).toBeNull();
    // Without teeth on the image, any earlier image of the modality.
    expect((await mounts.previousImage(t.db.knex, practiceId, untagged))?.id).toBe(lowerLeft);
    expect((await mounts.previousImage(t.db.knex, practiceId, later))?.id).toBe(current);
    expect((await mounts.previousImage(t.db.knex, practiceId, upperRight))).toBeNull();
    await rejects(mounts.previousImage(t.db.knex, randomUUID(), current), 'NOT_FOUND');
  });
});
