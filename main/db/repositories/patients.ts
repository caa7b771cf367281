import type { Knex } from 'knex';
import type {
  Consent, ConsentCreate, Patient, PatientChanges, PatientCreate, PatientDetail, PatientSearch, PatientSummary,
} from '../../../contract/index.js';
import { AppError } from '../../app/errors.js';
import type { Database } from '../database.js';
import { isPostgres } from '../dialect.js';
import { bool, guarded, newId, nowIso, num, updateVersioned } from '../rows.js';
import { nameTokens, phoneDigits, prefixUpperBound, queryTokens } from '../search.js';

/** Patients of one practice: identity, contact, DICOM patient IDs, consents, search tokens. */

type Row = Record<string, unknown>;

function toPatient(row: Row, dicomIds: string[]): Patient {
  return {
    id: row.id as string,
    chartNumber: row.chart_number as string,
    familyName: row.family_name as string,
    givenName: row.given_name as string,
    birthDate: (row.birth_date as string | null) ?? null,
    sex: row.sex as Patient['sex'],
    phone: (row.phone as string | null) ?? null,
    email: (row.email as string | null) ?? null,
    address: (row.address as string | null) ?? null,
    language: row.language as Patient['language'],
    dicomPatientIds: dicomIds,
    archived: bool(row.archived),
    createdAt: row.created_at as string,
    updatedAt: row.updated_at as string,
    version: num(row.version),
  };
}

const summaryColumns = ['id', 'chart_number', 'family_name', 'given_name', 'birth_date', 'phone', 'archived'];
const toSummary = (row: Row): PatientSummary => ({
  id: row.id as string,
  chartNumber: row.chart_number as string,
  familyName: row.family_name as string,
  givenName: row.given_name as string,
  birthDate: (row.birth_date as string | null) ?? null,
  phone: (row.phone as string | null) ?? null,
  archived: bool(row.archived),
});

function columns(fields: Partial<PatientCreate & PatientChanges>): Row {
  const row: Row = {};
  if (fields.chartNumber !== undefined) row.chart_number = fields.chartNumber;
  if (fields.familyName !== undefined) row.family_name = fields.familyName;
  if (fields.givenName !== undefined) row.given_name = fields.givenName;
  if (fields.birthDate !== undefined) row.birth_date = fields.birthDate;
  if (fields.sex !== undefined) row.sex = fields.sex;
  if (fields.phone !== undefined) {
    row.phone = fields.phone;
    row.phone_digits = phoneDigits(fields.phone);
  }
  if (fields.email !== undefined) row.email = fields.email;
  if (fields.address !== undefined) row.address = fields.address;
  if (fields.language !== undefined) row.language = fields.language;
  return row;
}

async function writeTokens(trx: Knex, patientId: string, row: Row): Promise<void> {
  await trx('patient_search_tokens').where({ patient_id: patientId }).delete();
  const tokens = new Set(nameTokens(row.family_name as string, row.given_name as string));
  const chart = String(row.chart_number ?? '').toLowerCase().replace(/[^a-z0-9]/g, '');
  if (chart) tokens.add(chart);
  if (tokens.size) await trx('patient_search_tokens').insert([...tokens].map((token) => ({ patient_id: patientId, token })));
}

async function writeDicomIds(trx: Knex, patientId: string, ids: string[]): Promise<void> {
  await trx('patient_dicom_ids').where({ patient_id: patientId }).delete();
  const unique = [...new Set(ids)];
  if (unique.length) await trx('patient_dicom_ids').insert(unique.map((id) => ({ patient_id: patientId, dicom_patient_id: id, issuer: '' })));
}

async function dicomIdsOf(knex: Knex, patientId: string): Promise<string[]> {
  const rows = await knex('patient_dicom_ids').where({ patient_id: patientId }).orderBy('dicom_patient_id').select('dicom_patient_id');
  return rows.map((r) => r.dicom_patient_id as string);
}

/** The next free numeric chart number of the practice (max + 1; 1000 for the first). */
async function nextChartNumber(trx: Knex, practiceId: string): Promise<string> {
  const numeric = isPostgres(trx) ? "chart_number ~ '^[0-9]{1,15}$'" : "chart_number not glob '*[^0-9]*' and length(chart_number) between 1 and 15";
  const row = await trx('patients')
    .where({ practice_id: practiceId })
    .whereRaw(numeric)
    .max({ top: trx.raw('cast(chart_number as bigint)') })
    .first();
  const top = row?.top === null || row?.top === undefined ? 999 : num(row.top);
  return String(top + 1);
}

export async function createPatient(db: Database, practiceId: string, input: PatientCreate): Promise<Patient> {
  // An automatic chart number can collide with another workstation's at the same moment: retry.
  for (let attempt = 0; ; attempt += 1) {
    try {
      return await guarded('The patient', () =>
        db.write(async (trx) => {
          const now = nowIso();
          const id = newId();
          const row: Row = {
            id,
            practice_id: practiceId,
            ...columns(input),
            chart_number: input.chartNumber ?? (await nextChartNumber(trx, practiceId)),
            archived: false,
            created_at: now,
            updated_at: now,
            version: 1,
          };
          await trx('patients').insert(row);
          await writeTokens(trx, id, row);
          await writeDicomIds(trx, id, input.dicomPatientIds);
          return toPatient(row, [...new Set(input.dicomPatientIds)].sort());
        }),
      );
    } catch (error) {
      if (input.chartNumber === undefined && error instanceof AppError && error.code === 'CONFLICT' && attempt < 5) continue;
      throw error;
    }
  }
}

export async function getPatient(knex: Knex, practiceId: string, id: string): Promise<PatientDetail> {
  const row = await knex('patients').where({ id, practice_id: practiceId }).first();
  if (!row) throw new AppError('NOT_FOUND', 'The patient was not found');
  const consents = await knex('consents').where({ patient_id: id }).orderBy('granted_on').orderBy('id');
  return { ...toPatient(row, await dicomIdsOf(knex, id)), consents: consents.map(toConsent) };
}

export async function updatePatient(db: Database, practiceId: string, id: string, version: number, changes: PatientChanges): Promise<Patient> {
  return guarded('The patient', () =>
    db.write(async (trx) => {
      const { dicomPatientIds, ...fields } = changes;
      await updateVersioned(trx, 'patients', { id, practice_id: practiceId }, version, columns(fields), 'The patient');
      const row = await trx('patients').where({ id }).first();
      if (fields.familyName !== undefined || fields.givenName !== undefined || fields.chartNumber !== undefined) await writeTokens(trx, id, row);
      if (dicomPatientIds !== undefined) await writeDicomIds(trx, id, dicomPatientIds);
      return toPatient(row, await dicomIdsOf(trx, id));
    }),
  );
}

export async function archivePatient(db: Database, practiceId: string, id: string, version: number, archived: boolean): Promise<Patient> {
  return guarded('The patient', () =>
    db.write(async (trx) => {
      await updateVersioned(trx, 'patients', { id, practice_id: practiceId }, version, { archived }, 'The patient');
      return toPatient(await trx('patients').where({ id }).first(), await dicomIdsOf(trx, id));
    }),
  );
}

const isoDate = /^\d{4}-\d{2}-\d{2}$/;

/**
 * Search: every query word must be the prefix of one of the patient's name words (or the
 * chart number); a word of 4+ digits also matches the start of a phone number; an ISO date
 * matches the birth date. Results by family name, given name.
 */
export async function searchPatients(knex: Knex, practiceId: string, search: PatientSearch): Promise<PatientSummary[]> {
  const words = search.query.trim().split(/\s+/).filter(Boolean);
  let birthDate = search.birthDate;
  const nameWords: string[] = [];
  for (const word of words) {
    if (isoDate.test(word) && !birthDate) birthDate = word;
    else nameWords.push(word);
  }
  const tokens = queryTokens(nameWords.join(' '));
  if (!tokens.length && !birthDate) return [];

  const query = knex('patients as p').where('p.practice_id', practiceId).select(summaryColumns.map((c) => `p.${c}`));
  if (!search.includeArchived) query.andWhere('p.archived', false);
  if (birthDate) query.andWhere('p.birth_date', birthDate);
  for (const token of tokens) {
    query.andWhere((w) => {
      w.whereIn(
        'p.id',
        knex('patient_search_tokens').select('patient_id').where('token', '>=', token).andWhere('token', '<', prefixUpperBound(token)),
      );
      if (/^\d{4,}$/.test(token)) {
        w.orWhere((phone) => phone.where('p.phone_digits', '>=', token).andWhere('p.phone_digits', '<', prefixUpperBound(token)));
      }
    });
  }
  const rows = await query.orderBy('p.family_name').orderBy('p.given_name').orderBy('p.id').limit(search.limit);
  return rows.map(toSummary);
}

/** Patients whose DICOM Patient ID is `dicomPatientId` (ingest's first matching rule). */
export async function patientsByDicomId(knex: Knex, practiceId: string, dicomPatientId: string): Promise<PatientSummary[]> {
  const rows = await knex('patients as p')
    .join('patient_dicom_ids as d', 'd.patient_id', 'p.id')
    .where({ 'p.practice_id': practiceId, 'd.dicom_patient_id': dicomPatientId })
    .distinct(summaryColumns.map((c) => `p.${c}`));
  return rows.map(toSummary);
}

const toConsent = (row: Row): Consent => ({
  id: row.id as string,
  scope: row.scope as string,
  grantedOn: row.granted_on as string,
  expiresOn: (row.expires_on as string | null) ?? null,
  note: (row.note as string | null) ?? null,
  recordedBy: row.recorded_by as string,
});

export async function addConsent(db: Database, practiceId: string, userId: string, input: ConsentCreate): Promise<Consent> {
  return guarded('The consent', () =>
    db.write(async (trx) => {
      const patient = await trx('patients').where({ id: input.patientId, practice_id: practiceId }).first('id');
      if (!patient) throw new AppError('NOT_FOUND', 'The patient was not found');
      const row = {
        id: newId(),
        patient_id: input.patientId,
        scope: input.scope,
        granted_on: input.grantedOn,
        expires_on: input.expiresOn,
        note: input.note,
        recorded_by: userId,
        created_at: nowIso(),
      };
      await trx('consents').insert(row);
      return toConsent(row);
    }),
  );
}

/** Throws NOT_FOUND unless the patient belongs to the practice. */
export async function assertPatient(knex: Knex, practiceId: string, id: string): Promise<void> {
  const row = await knex('patients').where({ id, practice_id: practiceId }).first('id');
  if (!row) throw new AppError('NOT_FOUND', 'The patient was not found');
}
