import type { Knex } from 'knex';
import type {
  Consent, ConsentCreate, Patient, PatientChanges, PatientCreate, PatientDetail, PatientSearch, PatientSummary,
} from '../../../contract/index.js';
import { AppError } from '../../app/errors.js';
import type { Database } from '../database.js';
import { isPostgres } from '../dialect.js';
import { bool, guarded, newId, nowIso, num, updateVersioned } from '../rows.js';
import { phoneDigits, prefixUpperBound, queryTokens, searchTokenRows } from '../search.js';

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

async function writeTokens(trx: Knex, row: Row): Promise<void> {
  await trx('patient_search_tokens').where({ patient_id: row.id }).delete();
  const rows = searchTokenRows({
    id: row.id as string,
    practice_id: row.practice_id as string,
    family_name: row.family_name as string,
    given_name: row.given_name as string,
    chart_number: row.chart_number as string,
    phone_digits: (row.phone_digits as string | null) ?? null,
    archived: bool(row.archived),
  });
  if (rows.length) await trx('patient_search_tokens').insert(rows);
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
          await writeTokens(trx, row);
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
      if (fields.familyName !== undefined || fields.givenName !== undefined || fields.chartNumber !== undefined) await writeTokens(trx, row);
      if (dicomPatientIds !== undefined) await writeDicomIds(trx, id, dicomPatientIds);
      return toPatient(row, await dicomIdsOf(trx, id));
    }),
  );
}

export async function archivePatient(db: Database, practiceId: string, id: string, version: number, archived: boolean): Promise<Patient> {
  return guarded('The patient', () =>
    db.write(async (trx) => {
      await updateVersioned(trx, 'patients', { id, practice_id: practiceId }, version, { archived }, 'The patient');
      await trx('patient_search_tokens').where({ patient_id: id }).update({ archived });
      return toPatient(await trx('patients').where({ id }).first(), await dicomIdsOf(trx, id));
    }),
  );
}

const isoDate = /^\d{4}-\d{2}-\d{2}$/;

/**
 * Search: every query word must be the prefix of one of the patient's tokens (name words,
 * chart number, phone digits); an ISO date matches the birth date. Results in name order.
 * Each word is an index range over tokens (already filtered by practice and archived, carrying
 * the sort key); only the patients shown are read.
 */
export async function searchPatients(knex: Knex, practiceId: string, search: PatientSearch): Promise<PatientSummary[]> {
  const words = search.query.trim().split(/\s+/).filter(Boolean);
  let birthDate = search.birthDate;
  const nameWords: string[] = [];
  for (const word of words) {
    if (isoDate.test(word) && !birthDate) birthDate = word;
    else nameWords.push(word);
  }
  // Longest first: with a birth date the first word drives the query, and longer is rarer.
  const tokens = queryTokens(nameWords.join(' ')).sort((a, b) => b.length - a.length);
  if (!tokens.length) {
    if (!birthDate) return [];
    const query = knex('patients').where({ practice_id: practiceId, birth_date: birthDate }).select(summaryColumns);
    if (!search.includeArchived) query.andWhere('archived', false);
    return (await query.orderBy(['family_name', 'given_name', 'id']).limit(search.limit)).map(toSummary);
  }

  const tokenRange = (token: string) => {
    const range = knex('patient_search_tokens as t')
      .where('t.practice_id', practiceId)
      .andWhere('t.token', '>=', token)
      .andWhere('t.token', '<', prefixUpperBound(token));
    if (!search.includeArchived) range.andWhere('t.archived', false);
    return range;
  };
  const [driver, ...others] = tokens as [string, ...string[]];
  let found: Array<{ patient_id: string; sort_key: string }>;
  if (others.length && !birthDate) {
    // Several words: read each word's range from the covering index and intersect here — a
    // few thousand index entries each, much cheaper than probing per candidate in SQL.
    const ranges: Array<Array<{ patient_id: string; sort_key: string }>> = [];
    for (const token of tokens) {
      const range = await tokenRange(token).select('t.patient_id', 't.sort_key');
      if (!range.length) return []; // longest first: a word nobody matches ends the search early
      ranges.push(range);
    }
    const [smallest, ...rest] = ranges.sort((x, y) => x.length - y.length) as [Array<{ patient_id: string; sort_key: string }>, ...Array<Array<{ patient_id: string }>>];
    const sets = rest.map((range) => new Set(range.map((row) => row.patient_id)));
    const seen = new Set<string>();
    found = smallest
      .filter((row) => !seen.has(row.patient_id) && seen.add(row.patient_id) && sets.every((set) => set.has(row.patient_id)))
      .sort((x, y) => (x.sort_key < y.sort_key ? -1 : x.sort_key > y.sort_key ? 1 : 0))
      .slice(0, search.limit);
  } else {
    const candidates = tokenRange(driver);
    for (const token of others) {
      candidates.whereExists((q) =>
        q.select(knex.raw('1')).from('patient_search_tokens as o')
          .whereRaw('o.patient_id = t.patient_id')
          .andWhere('o.token', '>=', token)
          .andWhere('o.token', '<', prefixUpperBound(token)),
      );
    }
    if (birthDate) {
      candidates.whereExists((q) => q.select(knex.raw('1')).from('patients as b').whereRaw('b.id = t.patient_id').andWhere('b.birth_date', birthDate));
    }
    // A patient can match one word with several tokens ("trem": tremblay, tremblaycote); their
    // rows are adjacent in sort order. Deduplicating here is far cheaper than DISTINCT.
    found = [];
    for (let fetch = search.limit * 4; ; fetch *= 4) {
      const rows = await candidates.clone().select('t.patient_id', 't.sort_key').orderBy('t.sort_key').limit(fetch);
      found = rows.filter((row, i) => i === 0 || row.patient_id !== rows[i - 1]!.patient_id).slice(0, search.limit);
      if (found.length === search.limit || rows.length < fetch) break;
    }
  }
  if (!found.length) return [];
  const rows = await knex('patients').whereIn('id', found.map((f) => f.patient_id)).select(summaryColumns);
  const byId = new Map(rows.map((r) => [r.id as string, r]));
  return found.map((f) => toSummary(byId.get(f.patient_id)!));
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
