import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import { fillNextSlot } from '../db/repositories/mounts.js';

/**
 * The index step of ingest: patient matching, study/series/image and stored-object rows, the
 * inline thumbnail and the appointment link, written in the caller's transaction.
 *
 * These write straight into the practice schema (main/db/migrations/20261128153000_practice.ts);
 * when the imaging repositories of main/db land, these inserts belong there.
 */

/** What the pipeline knows about an image once every object is stored and verified (job.index_data). */
export interface IndexData {
  kind: 'dicom' | 'raster';
  sopInstanceUid: string;
  sopClassUid?: string;
  studyInstanceUid: string;
  seriesInstanceUid: string;
  modality?: string;
  /** For matching only: never logged. */
  patient: { id?: string; name?: string; birthDate?: string };
  studyDate?: string;
  acquisitionDateTime?: string;
  rows: number;
  columns: number;
  bitsStored: number;
  photometric: string;
  pixelSpacing?: { row: number; column: number; source: 'PixelSpacing' | 'ImagerPixelSpacing'; magnification?: number };
  window?: { center: number; width: number };
  lossy: boolean;
  teeth: string[];
  backend: 'file' | 's3' | 'azure';
  objects: StoredObjectRef[];
}

export interface StoredObjectRef {
  variant: 'thumb50' | 'thumb200' | 'preview' | 'view' | 'master';
  key: string;
  bytes: number;
  sha256: string;
  contentType: string;
  verifiedAt: string;
}

export type PatientMatch = { patientId: string; by: 'dicom-id' | 'chart-number' | 'name-and-birth-date' | 'chosen' } | null;

/** Lower-case, accents stripped, letters and digits only: how names are compared. */
export function normalizeName(value: string): string {
  return value
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
}

/** DICOM DA (YYYYMMDD) → YYYY-MM-DD, or undefined when it is not a plausible date. */
export function dicomDate(value: string | undefined): string | undefined {
  const m = value?.match(/^(\d{4})(\d{2})(\d{2})/);
  if (!m) return undefined;
  const [, y, mo, d] = m;
  if (Number(mo) < 1 || Number(mo) > 12 || Number(d) < 1 || Number(d) > 31) return undefined;
  return `${y}-${mo}-${d}`;
}

/** DICOM DT/DA+TM → ISO instant (read as UTC: the modality's zone is rarely recorded). */
export function dicomDateTime(value: string | undefined): string | undefined {
  const date = dicomDate(value);
  if (!date || !value) return undefined;
  const t = value.slice(8).match(/^(\d{2})?(\d{2})?(\d{2})?(?:\.(\d{1,3}))?/);
  const [hh = '00', mm = '00', ss = '00', ms = '0'] = [t?.[1], t?.[2], t?.[3], t?.[4]];
  if (Number(hh) > 23 || Number(mm) > 59 || Number(ss) > 60) return `${date}T00:00:00.000Z`;
  return `${date}T${hh}:${mm}:${ss.slice(0, 2)}.${ms.padEnd(3, '0')}Z`;
}

/**
 * Finds the patient an image belongs to, in order of confidence:
 * 1. the DICOM Patient ID is one the patient is known under, or their chart number;
 * 2. the name (family^given, accents and case ignored) and the birth date both agree.
 * Exactly one candidate is a match; none or several go to the imaging inbox.
 */
export async function matchPatient(trx: Knex | Knex.Transaction, practiceId: string, patient: IndexData['patient']): Promise<PatientMatch> {
  const live = { 'p.practice_id': practiceId, 'p.archived': false };
  if (patient.id) {
    const byDicomId = (await trx('patient_dicom_ids as d')
      .join('patients as p', 'p.id', 'd.patient_id')
      .where(live)
      .andWhere('d.dicom_patient_id', patient.id)
      .distinct('p.id')) as Array<{ id: string }>;
    if (byDicomId.length === 1) return { patientId: byDicomId[0]!.id, by: 'dicom-id' };
    if (byDicomId.length > 1) return null;
    const byChart = (await trx('patients as p').where(live).andWhere('p.chart_number', patient.id).select('p.id')) as Array<{ id: string }>;
    if (byChart.length === 1) return { patientId: byChart[0]!.id, by: 'chart-number' };
  }
  const birthDate = dicomDate(patient.birthDate);
  if (patient.name && birthDate) {
    const [family = '', given = ''] = patient.name.split('^').map(normalizeName);
    if (!family) return null;
    const candidates = (await trx('patients as p')
      .where(live)
      .andWhere('p.birth_date', birthDate)
      .select('p.id', 'p.family_name', 'p.given_name')) as Array<{ id: string; family_name: string; given_name: string }>;
    const same = candidates.filter(
      (c) => normalizeName(c.family_name) === family && (!given || normalizeName(c.given_name) === given),
    );
    if (same.length === 1) return { patientId: same[0]!.id, by: 'name-and-birth-date' };
  }
  return null;
}

const modalities = new Set(['IO', 'PX', 'DX', 'CT', 'XC', 'OT']);
/** The schema's modality for a DICOM one: CR (computed radiography: cephs, PSP plates) files as DX. */
export function schemaModality(modality: string | undefined, kind: IndexData['kind']): string {
  if (kind === 'raster') return 'XC';
  const m = (modality ?? '').toUpperCase();
  if (modalities.has(m)) return m;
  if (m === 'CR') return 'DX';
  return 'OT';
}

/** FDI tooth numbers among the codes a file lists (11–48 permanent, 51–85 primary). */
function fdiTeeth(codes: string[]): number[] {
  return codes
    .map((c) => Number(c))
    .filter((n) => Number.isInteger(n) && ((n >= 11 && n <= 48) || (n >= 51 && n <= 85)) && n % 10 >= 1 && n % 10 <= 8);
}

/**
 * Writes the study (reused when its UID is known), the series (likewise), the image with its
 * inline thumbnail, one stored-object row per verified object, and the appointment link.
 */
export async function indexImage(
  trx: Knex.Transaction,
  input: { practiceId: string; patientId: string; imageId: string; data: IndexData; thumb200?: Buffer | null; thumbType?: string | null; remoteAet?: string | null; now: string },
): Promise<{ appointmentId: string | null }> {
  const { data, now, practiceId, patientId, imageId } = input;
  let study = (await trx('studies').where({ study_instance_uid: data.studyInstanceUid }).first('id')) as { id: string } | undefined;
  if (!study) {
    study = { id: randomUUID() };
    await trx('studies').insert({
      id: study.id,
      practice_id: practiceId,
      patient_id: patientId,
      study_instance_uid: data.studyInstanceUid,
      study_date: dicomDate(data.studyDate) ?? null,
      created_at: now,
    });
  }
  const modality = schemaModality(data.modality, data.kind);
  let series = (await trx('series').where({ series_instance_uid: data.seriesInstanceUid }).first('id')) as { id: string } | undefined;
  if (!series) {
    series = { id: randomUUID() };
    await trx('series').insert({ id: series.id, study_id: study.id, series_instance_uid: data.seriesInstanceUid, modality, created_at: now });
  }
  const spacing = data.pixelSpacing;
  await trx('images').insert({
    id: imageId,
    series_id: series.id,
    patient_id: patientId,
    sop_instance_uid: data.sopInstanceUid,
    sop_class_uid: data.sopClassUid ?? null,
    modality,
    acquired_at: dicomDateTime(data.acquisitionDateTime) ?? now,
    teeth: JSON.stringify(fdiTeeth(data.teeth)),
    rows: data.rows,
    columns: data.columns,
    bits_stored: data.bitsStored,
    photometric: data.photometric,
    pixel_spacing_row: spacing?.row ?? null,
    pixel_spacing_col: spacing?.column ?? null,
    pixel_spacing_source: spacing ? (spacing.source === 'PixelSpacing' ? 'pixel_spacing' : 'imager_pixel_spacing') : 'unknown',
    // Only meaningful for detector spacing; PixelSpacing is already at the patient.
    magnification: spacing?.source === 'ImagerPixelSpacing' ? (spacing.magnification ?? null) : null,
    window_center: data.window?.center ?? null,
    window_width: data.window?.width ?? null,
    lossy: data.lossy,
    thumb200: input.thumb200 ?? null,
    thumb200_type: input.thumbType ?? null,
    created_at: now,
    updated_at: now,
  });
  await trx('stored_objects').insert(
    data.objects.map((o) => ({
      id: randomUUID(),
      image_id: imageId,
      variant: o.variant,
      backend: data.backend,
      object_key: o.key,
      bytes: o.bytes,
      sha256: o.sha256,
      tier: 'hot',
      created_at: now,
      verified_at: o.verifiedAt,
    })),
  );
  const appointmentId = await appointmentInProgress(trx, patientId, now, input.remoteAet ?? null);
  if (appointmentId) await trx('image_appointments').insert({ image_id: imageId, appointment_id: appointmentId });
  // A new intra-oral exposure fills the next empty slot of the patient's open mount (issue 7).
  await fillNextSlot(trx, { patientId, imageId, modality, now });
  return { appointmentId };
}

/**
 * The appointment an image taken now belongs to: the patient's appointment that holds the chair
 * now (from an hour before its start to an hour after its end, not cancelled or missed),
 * preferring the operatory whose sensors carry the sending AE title. A day running late is
 * common: otherwise, the visit the front desk marked in chair (or arrived) within the same day's
 * hours (16 h either way) is the one.
 */
export async function appointmentInProgress(trx: Knex | Knex.Transaction, patientId: string, now: string, remoteAet: string | null): Promise<string | null> {
  const at = Date.parse(now);
  const hour = 3_600_000;
  const rows = (await trx('appointments as a')
    .join('operatories as o', 'o.id', 'a.operatory_id')
    .where('a.patient_id', patientId)
    .whereNotIn('a.status', ['cancelled', 'no_show'])
    .andWhere('a.starts_at', '<=', new Date(at + hour).toISOString())
    .andWhere('a.ends_at', '>=', new Date(at - hour).toISOString())
    .orderBy('a.starts_at')
    .select('a.id', 'o.ae_titles')) as Array<{ id: string; ae_titles: string }>;
  if (rows.length === 0) {
    const seated = (await trx('appointments')
      .where('patient_id', patientId)
      .whereIn('status', ['in_chair', 'arrived'])
      .andWhere('starts_at', '<=', new Date(at + 16 * hour).toISOString())
      .andWhere('ends_at', '>=', new Date(at - 16 * hour).toISOString())
      .orderByRaw("case when status = 'in_chair' then 0 else 1 end")
      .orderBy('starts_at', 'desc')
      .first('id')) as { id: string } | undefined;
    return seated?.id ?? null;
  }
  if (remoteAet) {
    const inRoom = rows.find((r) => {
      try {
        return (JSON.parse(r.ae_titles) as unknown[]).includes(remoteAet);
      } catch {
        return false;
      }
    });
    if (inRoom) return inRoom.id;
  }
  return rows[0]!.id;
}
