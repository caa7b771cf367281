import type { Knex } from 'knex';
import type { ImageRecord } from '../../../contract/index.js';
import { AppError } from '../../app/errors.js';
import type { Database } from '../database.js';
import { bool, guarded, json, newId, nowIso, num, numOrNull, updateVersioned } from '../rows.js';

/**
 * The imaging index: study / series / image rows keyed by DICOM UIDs, the stored objects of each
 * image (one row per variant and backend), the inline chart thumbnail, and links to
 * appointments and procedures. Pixels live in the object store, never here (except thumb200).
 */

type Row = Record<string, unknown>;
type Modality = ImageRecord['modality'];
type Variant = ImageRecord['variants'][number];

export interface ImageIndexInput {
  patientId: string;
  study: { studyInstanceUid: string; studyDate?: string | null; description?: string | null; accessionNumber?: string | null };
  series: { seriesInstanceUid: string; modality: Modality; seriesNumber?: number | null; description?: string | null };
  image: {
    sopInstanceUid: string;
    sopClassUid?: string | null;
    modality: Modality;
    acquiredAt?: string | null;
    teeth?: number[];
    rows: number;
    columns: number;
    bitsStored: number;
    photometric: string;
    pixelSpacing?: { row: number; column: number; source: 'pixel_spacing' | 'imager_pixel_spacing' | 'calibration' } | null;
    window?: { center: number; width: number } | null;
    lossy?: boolean;
    thumb200?: { bytes: Buffer; type: string } | null;
  };
}

export interface StoredObjectInput {
  imageId: string;
  variant: Variant;
  backend: 'file' | 's3' | 'azure';
  key: string;
  bytes: number;
  sha256: string;
  tier?: 'hot' | 'warm' | 'cold' | 'archive';
  encryptionKeyId?: string | null;
  verifiedAt?: string | null;
}

export interface StoredObject extends Required<Omit<StoredObjectInput, 'verifiedAt' | 'encryptionKeyId'>> {
  id: string;
  encryptionKeyId: string | null;
  createdAt: string;
  verifiedAt: string | null;
}

/**
 * Records an image (and its study and series when new). Idempotent on the SOP Instance UID:
 * indexing the same instance again returns the existing image id with `created: false`.
 */
export async function indexImage(db: Database, practiceId: string, input: ImageIndexInput): Promise<{ imageId: string; created: boolean }> {
  return guarded('The image', () =>
    db.write(async (trx) => {
      const existing = await trx('images').where({ sop_instance_uid: input.image.sopInstanceUid }).first('id', 'patient_id');
      if (existing) {
        if (existing.patient_id !== input.patientId) throw new AppError('CONFLICT', 'This image is already filed under another patient');
        return { imageId: existing.id as string, created: false };
      }
      const patient = await trx('patients').where({ id: input.patientId, practice_id: practiceId }).first('id');
      if (!patient) throw new AppError('NOT_FOUND', 'The patient was not found');
      const now = nowIso();
      let study = await trx('studies').where({ study_instance_uid: input.study.studyInstanceUid }).first('id', 'patient_id');
      if (study && study.patient_id !== input.patientId) throw new AppError('CONFLICT', 'This study is already filed under another patient');
      if (!study) {
        study = { id: newId() };
        await trx('studies').insert({
          id: study.id, practice_id: practiceId, patient_id: input.patientId, study_instance_uid: input.study.studyInstanceUid,
          study_date: input.study.studyDate ?? null, description: input.study.description ?? null,
          accession_number: input.study.accessionNumber ?? null, created_at: now,
        });
      }
      let series = await trx('series').where({ series_instance_uid: input.series.seriesInstanceUid }).first('id', 'study_id');
      if (series && series.study_id !== study.id) throw new AppError('CONFLICT', 'This series belongs to another study');
      if (!series) {
        series = { id: newId() };
        await trx('series').insert({
          id: series.id, study_id: study.id, series_instance_uid: input.series.seriesInstanceUid, modality: input.series.modality,
          series_number: input.series.seriesNumber ?? null, description: input.series.description ?? null, created_at: now,
        });
      }
      const imageId = newId();
      const { image } = input;
      await trx('images').insert({
        id: imageId, series_id: series.id, patient_id: input.patientId, sop_instance_uid: image.sopInstanceUid,
        sop_class_uid: image.sopClassUid ?? null, modality: image.modality, acquired_at: image.acquiredAt ?? null,
        teeth: JSON.stringify(image.teeth ?? []), rows: image.rows, columns: image.columns, bits_stored: image.bitsStored,
        photometric: image.photometric, pixel_spacing_row: image.pixelSpacing?.row ?? null, pixel_spacing_col: image.pixelSpacing?.column ?? null,
        pixel_spacing_source: image.pixelSpacing?.source ?? 'unknown', window_center: image.window?.center ?? null,
        window_width: image.window?.width ?? null, lossy: image.lossy ?? false, thumb200: image.thumb200?.bytes ?? null,
        thumb200_type: image.thumb200?.type ?? null, created_at: now, updated_at: now, version: 1,
      });
      return { imageId, created: true };
    }),
  );
}

/** Records (or replaces, for the same image, variant and backend) where an object is stored. */
export async function putStoredObject(db: Database, input: StoredObjectInput): Promise<StoredObject> {
  const row = {
    id: newId(), image_id: input.imageId, variant: input.variant, backend: input.backend, object_key: input.key, bytes: input.bytes,
    sha256: input.sha256, tier: input.tier ?? 'hot', encryption_key_id: input.encryptionKeyId ?? null, created_at: nowIso(),
    verified_at: input.verifiedAt ?? null,
  };
  await guarded('The stored object', () =>
    db.knex('stored_objects').insert(row).onConflict(['image_id', 'variant', 'backend']).merge(['object_key', 'bytes', 'sha256', 'tier', 'encryption_key_id', 'verified_at']),
  );
  const stored = await db.knex('stored_objects').where({ image_id: input.imageId, variant: input.variant, backend: input.backend }).first();
  return toStoredObject(stored);
}

export async function storedObjects(knex: Knex, imageId: string): Promise<StoredObject[]> {
  return (await knex('stored_objects').where({ image_id: imageId }).orderBy('variant')).map(toStoredObject);
}

const toStoredObject = (r: Row): StoredObject => ({
  id: r.id as string, imageId: r.image_id as string, variant: r.variant as Variant, backend: r.backend as StoredObject['backend'],
  key: r.object_key as string, bytes: num(r.bytes), sha256: r.sha256 as string, tier: r.tier as StoredObject['tier'],
  encryptionKeyId: (r.encryption_key_id as string | null) ?? null, createdAt: r.created_at as string, verifiedAt: (r.verified_at as string | null) ?? null,
});

const imageColumns = [
  'i.id', 'i.patient_id', 'i.series_id', 'i.sop_instance_uid', 'i.modality', 'i.acquired_at', 'i.teeth', 'i.rows', 'i.columns',
  'i.bits_stored', 'i.photometric', 'i.pixel_spacing_row', 'i.pixel_spacing_col', 'i.pixel_spacing_source', 'i.calibration_mm_per_px',
  'i.window_center', 'i.window_width', 'i.lossy', 'i.thumb200', 'i.thumb200_type', 'i.version', 'i.magnification',
];

/**
 * Image rows of the practice. The study of each image is looked up afterwards by series id
 * (a handful per chart): joining `series` here made PostgreSQL hash the whole series table
 * for every chart (measured: 25 ms at 31,000 series, growing with the archive).
 */
const imagesQuery = (knex: Knex, practiceId: string) =>
  knex('images as i').join('patients as p', 'p.id', 'i.patient_id').where('p.practice_id', practiceId).select(imageColumns);

async function toImages(knex: Knex, rows: Row[]): Promise<ImageRecord[]> {
  const studyOf = new Map<string, string>();
  const seriesIds = [...new Set(rows.map((r) => r.series_id as string))];
  for (let i = 0; i < seriesIds.length; i += 500) {
    for (const s of await knex('series').whereIn('id', seriesIds.slice(i, i + 500)).select('id', 'study_id')) studyOf.set(s.id, s.study_id);
  }
  const variants = new Map<string, Variant[]>();
  const ids = rows.map((r) => r.id as string);
  for (let i = 0; i < ids.length; i += 500) {
    const objects = await knex('stored_objects').whereIn('image_id', ids.slice(i, i + 500)).distinct('image_id', 'variant');
    for (const o of objects) variants.set(o.image_id, [...(variants.get(o.image_id) ?? []), o.variant as Variant]);
  }
  return rows.map((r) => {
    const spacingRow = numOrNull(r.pixel_spacing_row);
    const spacingCol = numOrNull(r.pixel_spacing_col);
    const center = numOrNull(r.window_center);
    const width = numOrNull(r.window_width);
    const thumb = r.thumb200 as Buffer | null;
    return {
      id: r.id as string,
      patientId: r.patient_id as string,
      studyId: studyOf.get(r.series_id as string)!,
      seriesId: r.series_id as string,
      sopInstanceUid: r.sop_instance_uid as string,
      modality: r.modality as Modality,
      acquiredAt: (r.acquired_at as string | null) ?? null,
      teeth: json<number[]>(r.teeth, []),
      rows: num(r.rows),
      columns: num(r.columns),
      bitsStored: num(r.bits_stored),
      photometric: r.photometric as string,
      pixelSpacing:
        spacingRow !== null && spacingCol !== null && r.pixel_spacing_source !== 'unknown'
          ? { row: spacingRow, column: spacingCol, source: r.pixel_spacing_source as 'pixel_spacing' | 'imager_pixel_spacing' | 'calibration' }
          : null,
      calibrationMmPerPx: numOrNull(r.calibration_mm_per_px),
      magnification: numOrNull(r.magnification),
      window: center !== null && width !== null ? { center, width } : null,
      lossy: bool(r.lossy),
      thumb200: thumb ? `data:${(r.thumb200_type as string | null) ?? 'image/jpeg'};base64,${Buffer.from(thumb).toString('base64')}` : null,
      variants: (variants.get(r.id as string) ?? []).sort(),
      version: num(r.version),
    };
  });
}

/** A patient's images, newest acquisition first (images without a time last). */
export async function imagesForPatient(knex: Knex, practiceId: string, patientId: string, limit: number): Promise<ImageRecord[]> {
  const rows = await imagesQuery(knex, practiceId)
    .andWhere('i.patient_id', patientId)
    .orderByRaw('i.acquired_at is null, i.acquired_at desc, i.id')
    .limit(limit);
  return toImages(knex, rows);
}

/**
 * The newest `perPatient` images of each patient (newest first), for the front desk's day list:
 * one query for the whole day, ranked per patient in the database.
 */
export async function latestImagesForPatients(knex: Knex, practiceId: string, patientIds: string[], perPatient: number): Promise<ImageRecord[]> {
  if (patientIds.length === 0) return [];
  const ranked = imagesQuery(knex, practiceId)
    .whereIn('i.patient_id', patientIds)
    .select(knex.raw('row_number() over (partition by i.patient_id order by i.acquired_at is null, i.acquired_at desc, i.id) as newest'));
  const rows = await knex.from(ranked.as('r')).where('r.newest', '<=', perPatient).orderBy('r.patient_id').orderBy('r.newest');
  return toImages(knex, rows);
}

export async function imagesForAppointment(knex: Knex, practiceId: string, appointmentId: string): Promise<ImageRecord[]> {
  const rows = await imagesQuery(knex, practiceId)
    .join('image_appointments as l', 'l.image_id', 'i.id')
    .andWhere('l.appointment_id', appointmentId)
    .orderBy('i.acquired_at')
    .orderBy('i.id');
  return toImages(knex, rows);
}

export async function getImage(knex: Knex, practiceId: string, id: string): Promise<ImageRecord> {
  const row = await imagesQuery(knex, practiceId).andWhere('i.id', id).first();
  if (!row) throw new AppError('NOT_FOUND', 'The image was not found');
  return (await toImages(knex, [row]))[0]!;
}

/** Links (or unlinks) an image and an appointment or procedure of the same patient. */
export async function linkImage(
  db: Database,
  practiceId: string,
  imageId: string,
  target: { appointmentId: string } | { procedureId: string },
  linked: boolean,
): Promise<{ patientId: string }> {
  return guarded('The link', () =>
    db.write(async (trx) => {
      const image = await getImage(trx, practiceId, imageId);
      const [table, column, id, owner] =
        'appointmentId' in target
          ? (['image_appointments', 'appointment_id', target.appointmentId, 'appointments'] as const)
          : (['image_procedures', 'procedure_id', target.procedureId, 'procedures'] as const);
      const other = await trx(owner).where({ id }).first('patient_id');
      if (!other) throw new AppError('NOT_FOUND', `The ${owner === 'appointments' ? 'appointment' : 'procedure'} was not found`);
      if (other.patient_id !== image.patientId) throw new AppError('INVALID_INPUT', 'The image and the visit belong to different patients');
      if (linked) await trx(table).insert({ image_id: imageId, [column]: id }).onConflict(['image_id', column]).ignore();
      else await trx(table).where({ image_id: imageId, [column]: id }).delete();
      return { patientId: image.patientId };
    }),
  );
}

export async function calibrateImage(db: Database, practiceId: string, id: string, version: number, mmPerPx: number | null): Promise<ImageRecord> {
  return guarded('The image', () =>
    db.write(async (trx) => {
      await getImage(trx, practiceId, id);
      await updateVersioned(trx, 'images', { id }, version, { calibration_mm_per_px: mmPerPx }, 'The image');
      return getImage(trx, practiceId, id);
    }),
  );
}
