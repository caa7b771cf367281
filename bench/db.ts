/**
 * The practice database benchmark of issue 3. Generates a large practice — at scale 1,
 * 100,000 patients, 1,000,000 images and 2,000,000 appointments — in SQLite and in PostgreSQL,
 * then times what a workstation does all day, through the same repository functions the app
 * uses:
 * - patient search (name prefixes in any order, chart number, phone), limit 50;
 * - opening a chart: the patient + its 500 newest images with inline thumbnails;
 * - one day's schedule for 10 operatories.
 * Prints p50/p95 per database. Targets on SQLite: search ≤ 20 ms, chart ≤ 50 ms, day ≤ 20 ms (p95).
 *
 * `--scale 0.01` (or CUSP_BENCH_SCALE) for a quick check; `--only sqlite|postgres` (CUSP_BENCH_ONLY)
 * for one database. PostgreSQL: CUSP_BENCH_PG_URL, or a
 * temporary server is started (Debian's postgresql package, as in the tests).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { randomUUID } from 'node:crypto';
import { openDatabase, type Database, type DatabaseSettings } from '../main/db/database.js';
import { fakeBirthDate, fakePhone, familyNames, givenNames, pick, seededRandom } from '../main/db/fake.js';
import { migrateToLatest } from '../main/db/migrate.js';
import { getPatient, searchPatients } from '../main/db/repositories/patients.js';
import { imagesForPatient } from '../main/db/repositories/imaging.js';
import { listAppointments } from '../main/db/repositories/schedule.js';
import { phoneDigits, searchTokenRows, type SearchablePatient } from '../main/db/search.js';
import { createDatabase, startPostgres, type PostgresServer } from '../tests/support/postgres.js';

type Row = Record<string, unknown>;

/** A DICOM UID from a UUID (the 2.25 root). */
const uidOf = (uuid: string) => `2.25.${BigInt('0x' + uuid.replace(/-/g, ''))}`;

interface Scale {
  patients: number;
  images: number;
  appointments: number;
  /** Patients with 500 images each: the charts that are opened. */
  heavyPatients: number;
}

const operatoryCount = 10;
const slotsPerDay = 16; // 30-minute slots, 8:00–16:00 UTC
const chartImages = 500;

function scaleOf(factor: number): Scale {
  const patients = Math.max(1000, Math.round(100_000 * factor));
  return {
    patients,
    images: Math.max(20_000, Math.round(1_000_000 * factor)),
    appointments: Math.max(20_000, Math.round(2_000_000 * factor)),
    heavyPatients: Math.max(10, Math.round(200 * factor)),
  };
}

/** Inserts rows in multi-row statements, `perTransaction` rows per write transaction. */
async function bulkInsert(db: Database, table: string, rows: Row[], rowsPerStatement: number): Promise<void> {
  // knex writes SQLite multi-row inserts as a compound SELECT, limited to 500 terms.
  const perStatement = db.client === 'sqlite' ? Math.min(rowsPerStatement, 500) : rowsPerStatement;
  const perTransaction = perStatement * 40;
  for (let i = 0; i < rows.length; i += perTransaction) {
    const chunk = rows.slice(i, i + perTransaction);
    await db.write(async (trx) => {
      for (let j = 0; j < chunk.length; j += perStatement) await trx(table).insert(chunk.slice(j, j + perStatement));
    });
  }
}

/** Builds the data set in memory, table by table, and inserts it. Deterministic (seeded). */
export async function generate(db: Database, scale: Scale, log: (line: string) => void): Promise<{ practiceId: string; heavy: string[]; operatories: string[]; firstDay: string; days: number; charts: string[]; phones: string[] }> {
  const random = seededRandom(7);
  const now = new Date().toISOString();
  const stamps = { created_at: now, updated_at: now, version: 1 };
  const practiceId = randomUUID();
  await db.knex('practices').insert({ id: practiceId, name: 'Bench', demo: true, ...stamps });
  const providerId = randomUUID();
  await db.knex('providers').insert({ id: providerId, practice_id: practiceId, display_name: 'Dr Bench', kind: 'dentist', active: true, ...stamps });
  const operatories = Array.from({ length: operatoryCount }, () => randomUUID());
  await db.knex('operatories').insert(operatories.map((id, n) => ({ id, practice_id: practiceId, name: `Chair ${n + 1}`, ae_titles: '[]', active: true, ...stamps })));

  let started = performance.now();
  const patientIds: string[] = [];
  const patients: Row[] = [];
  const tokens: Row[] = [];
  const charts: string[] = [];
  const phones: string[] = [];
  for (let n = 0; n < scale.patients; n += 1) {
    const id = randomUUID();
    const family = pick(random, familyNames) + (random() < 0.5 ? '' : `-${pick(random, familyNames)}`);
    const given = pick(random, givenNames);
    const phone = fakePhone(random).replace('555-01', `${200 + Math.floor(random() * 700)}-`) + String(Math.floor(random() * 10));
    const chart = String(100000 + n);
    patientIds.push(id);
    if (n % 97 === 0) charts.push(chart);
    if (n % 89 === 0) phones.push(phoneDigits(phone)!);
    patients.push({
      id, practice_id: practiceId, chart_number: chart, family_name: family, given_name: given, birth_date: fakeBirthDate(random),
      sex: random() < 0.5 ? 'F' : 'M', phone, phone_digits: phoneDigits(phone), language: random() < 0.7 ? 'fr' : 'en', archived: false, ...stamps,
    });
    tokens.push(...searchTokenRows(patients[patients.length - 1] as unknown as SearchablePatient));
  }
  await bulkInsert(db, 'patients', patients, 400);
  await bulkInsert(db, 'patient_search_tokens', tokens, 2000);
  log(`  ${scale.patients} patients (${tokens.length} search tokens) in ${((performance.now() - started) / 1000).toFixed(1)} s`);

  // Images: the heavy patients get exactly 500 each; the rest are spread over everyone else.
  started = performance.now();
  const heavy = patientIds.slice(0, scale.heavyPatients);
  const heavySet = new Set(heavy);
  const chartThumb = Buffer.alloc(5 * 1024, 0x5a); // about a real 200 px JPEG thumbnail
  const smallThumb = Buffer.alloc(1024, 0x5a); // smaller elsewhere, to keep generation time reasonable
  const perStudy = 10;
  let made = 0;
  const owners: string[] = [];
  for (const id of heavy) for (let k = 0; k < chartImages; k += 1) owners.push(id);
  const light = patientIds.slice(scale.heavyPatients);
  while (owners.length < scale.images) owners.push(pick(random, light));
  for (let i = 0; i < owners.length; i += 50_000) {
    const studies: Row[] = [];
    const series: Row[] = [];
    const images: Row[] = [];
    let seriesId = '';
    let owner = '';
    let inStudy = 0;
    let day = 0;
    for (let k = i; k < Math.min(i + 50_000, owners.length); k += 1) {
      const patientId = owners[k]!;
      // A study (one visit, one series) holds up to 10 images of one patient.
      if (patientId !== owner || inStudy === perStudy) {
        const studyId = randomUUID();
        seriesId = randomUUID();
        owner = patientId;
        inStudy = 0;
        day = Date.UTC(2000, 0, 1) + Math.floor(random() * 9000) * 86_400_000;
        studies.push({ id: studyId, practice_id: practiceId, patient_id: patientId, study_instance_uid: uidOf(studyId), created_at: now });
        series.push({ id: seriesId, study_id: studyId, series_instance_uid: uidOf(seriesId), modality: 'IO', created_at: now });
      }
      const imageId = randomUUID();
      images.push({
        id: imageId, series_id: seriesId, patient_id: patientId, sop_instance_uid: uidOf(imageId),
        modality: 'IO', acquired_at: new Date(day + inStudy * 60_000).toISOString(), teeth: '[36,37]', rows: 1200, columns: 1600,
        bits_stored: 12, photometric: 'MONOCHROME2', pixel_spacing_row: 0.02, pixel_spacing_col: 0.02, pixel_spacing_source: 'imager_pixel_spacing',
        window_center: 2048, window_width: 4096, lossy: false, thumb200: heavySet.has(patientId) ? chartThumb : smallThumb, thumb200_type: 'image/jpeg', ...stamps,
      });
      inStudy += 1;
      made += 1;
    }
    await bulkInsert(db, 'studies', studies, 500);
    await bulkInsert(db, 'series', series, 500);
    await bulkInsert(db, 'images', images, 200);
  }
  log(`  ${made} images in ${((performance.now() - started) / 1000).toFixed(1)} s`);

  // Appointments: every chair full, 16 half-hour slots a day, day after day, never overlapping.
  started = performance.now();
  const days = Math.ceil(scale.appointments / (operatoryCount * slotsPerDay));
  const firstDay = Date.UTC(2000, 0, 3);
  let booked = 0;
  for (let d = 0; d < days && booked < scale.appointments; d += 200) {
    const rows: Row[] = [];
    for (let day = d; day < Math.min(d + 200, days); day += 1) {
      for (const operatoryId of operatories) {
        for (let slot = 0; slot < slotsPerDay && booked < scale.appointments; slot += 1) {
          const start = firstDay + day * 86_400_000 + (8 * 60 + slot * 30) * 60_000;
          rows.push({
            id: randomUUID(), practice_id: practiceId, patient_id: pick(random, patientIds), provider_id: providerId, operatory_id: operatoryId,
            starts_at: new Date(start).toISOString(), ends_at: new Date(start + 30 * 60_000).toISOString(), status: 'completed', ...stamps,
          });
          booked += 1;
        }
      }
    }
    await bulkInsert(db, 'appointments', rows, 400);
  }
  log(`  ${booked} appointments over ${days} days in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  await db.knex.raw('analyze');
  return { practiceId, heavy, operatories, firstDay: new Date(firstDay).toISOString(), days, charts, phones };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function time(label: string, runs: number, fn: (i: number) => Promise<unknown>): Promise<{ label: string; p50: number; p95: number }> {
  for (let i = 0; i < 5; i += 1) await fn(i); // warm-up
  const samples: number[] = [];
  for (let i = 0; i < runs; i += 1) {
    const t0 = performance.now();
    await fn(i);
    samples.push(performance.now() - t0);
  }
  samples.sort((a, b) => a - b);
  return { label, p50: percentile(samples, 50), p95: percentile(samples, 95) };
}

async function measure(db: Database, data: Awaited<ReturnType<typeof generate>>) {
  const random = seededRandom(11);
  const fold = (s: string) => s.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase().replace(/[^a-z]/g, '');
  const queries: string[] = [];
  for (let i = 0; i < 200; i += 1) {
    const family = fold(pick(random, familyNames));
    const given = fold(pick(random, givenNames));
    switch (i % 5) {
      case 0: queries.push(`${family.slice(0, 3)} ${given.slice(0, 2)}`); break; // "tre he"
      case 1: queries.push(`${given.slice(0, 4)} ${family.slice(0, 4)}`); break; // any order
      case 2: queries.push(family.slice(0, 5)); break; // one common prefix: 50 of thousands
      case 3: queries.push(data.charts[i % data.charts.length]!); break;
      default: queries.push(data.phones[i % data.phones.length]!); break;
    }
  }
  const search = await time('patient search', 200, (i) =>
    searchPatients(db.knex, data.practiceId, { query: queries[i % queries.length]!, includeArchived: false, limit: 50 }),
  );
  const chart = await time('open chart (patient + 500 images)', 100, async (i) => {
    const id = data.heavy[i % data.heavy.length]!;
    await getPatient(db.knex, data.practiceId, id);
    const images = await imagesForPatient(db.knex, data.practiceId, id, chartImages);
    if (images.length !== chartImages) throw new Error(`chart returned ${images.length} images`);
  });
  const day = await time('day schedule, 10 operatories', 200, async (i) => {
    const from = new Date(Date.parse(data.firstDay) + ((i * 37) % data.days) * 86_400_000);
    const list = await listAppointments(db.knex, data.practiceId, {
      from: from.toISOString(), to: new Date(from.getTime() + 86_400_000).toISOString(), operatoryIds: data.operatories, includeCancelled: false,
    });
    if (!list.length) throw new Error('empty day');
  });
  return [search, chart, day];
}

function optionValue(flag: string, env: string): string | undefined {
  const index = process.argv.indexOf(flag);
  return index >= 0 ? process.argv[index + 1] : process.env[env];
}

function argScale(): number {
  const raw = optionValue('--scale', 'CUSP_BENCH_SCALE');
  const value = raw === undefined ? 1 : Number(raw);
  if (!(value > 0 && value <= 1)) throw new Error(`Expected --scale between 0 (exclusive) and 1 but received ${raw}`);
  return value;
}

export async function run(options: { scale?: number } = {}): Promise<void> {
  const scale = scaleOf(options.scale ?? argScale());
  const log = (line: string) => console.log(line);
  log(`Practice database: ${scale.patients} patients, ${scale.images} images, ${scale.appointments} appointments`);
  const dir = mkdtempSync(join(tmpdir(), 'cusp-bench-db-'));
  const targets: Record<string, number> = { 'patient search': 20, 'open chart (patient + 500 images)': 50, 'day schedule, 10 operatories': 20 };
  const only = optionValue('--only', 'CUSP_BENCH_ONLY');
  const started: { server?: PostgresServer } = {};
  const settingsFor = async (client: DatabaseSettings['client']): Promise<DatabaseSettings> => {
    if (client === 'sqlite') return { client, filename: join(dir, 'bench.sqlite') };
    let serverUrl = process.env.CUSP_BENCH_PG_URL;
    if (!serverUrl) {
      started.server = await startPostgres();
      serverUrl = started.server.url;
    }
    return { client, url: await createDatabase(serverUrl, 'bench') };
  };
  try {
    for (const client of (['sqlite', 'postgres'] as const).filter((c) => !only || c === only)) {
      const db = await openDatabase(await settingsFor(client));
      try {
        await migrateToLatest(db.knex);
        log(`${client}: generating`);
        const data = await generate(db, scale, log);
        for (const r of await measure(db, data)) {
          const target = client === 'sqlite' ? ` (target p95 ≤ ${targets[r.label]} ms: ${r.p95 <= targets[r.label]! ? 'met' : 'MISSED'})` : '';
          log(`  ${client.padEnd(8)} ${r.label.padEnd(36)} p50 ${r.p50.toFixed(2).padStart(7)} ms  p95 ${r.p95.toFixed(2).padStart(7)} ms${target}`);
        }
      } finally {
        await db.close();
      }
    }
  } finally {
    await started.server?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  await run();
}
