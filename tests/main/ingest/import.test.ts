/**
 * `cusp import` through the CLI entry point: a folder tree with a DICOM radiograph, a PNG photo
 * and a broken file. The radiograph is matched to its patient, the photo (no patient in it) waits
 * in the inbox — or goes to the patient named with --patient — the broken file is reported with
 * its reason and the exit code says so; importing the same folder again adds nothing.
 */
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../../main/cli/index.js';
import { openDatabase, type Database } from '../../../main/db/database.js';
import { migrateToLatest } from '../../../main/db/migrate.js';
import { dicomData, scratchDir } from '../../support/paths.js';
import { seedPractice } from '../../support/practice.js';

let dataDir: string;
let folder: string;
let db: Database;
let patientId: string;

/** Runs `cusp import … --json` in process; returns the exit code and the parsed report. */
async function runImport(...args: string[]): Promise<{ code: number; report: { files: number; imported: number; inbox: number; duplicates: number; failed: Array<{ file: string; reason: string }> } }> {
  const lines: string[] = [];
  const spy = vi.spyOn(console, 'log').mockImplementation((line: unknown) => void lines.push(String(line)));
  const before = process.exitCode;
  try {
    const code = await main(['node', 'cusp', 'import', '--data', dataDir, '--threads', '1', '--json', ...args]);
    const exitCode = process.exitCode ?? code;
    return { code: Number(exitCode), report: JSON.parse(lines.join('\n')) };
  } finally {
    spy.mockRestore();
    process.exitCode = before;
  }
}

beforeAll(async () => {
  dataDir = scratchDir('import-data');
  await writeFile(join(dataDir, 'config.json'), JSON.stringify({ database: { client: 'sqlite', filename: 'cusp.sqlite' } }));
  db = await openDatabase({ client: 'sqlite', filename: join(dataDir, 'cusp.sqlite') });
  await migrateToLatest(db.knex);
  const seeded = await seedPractice(db.knex, { patients: [{ chartNumber: 'I-1', familyName: 'Côté', givenName: 'Anne', dicomIds: ['ANON-IO-0001'] }] });
  patientId = seeded.patientIds[0]!;
  folder = scratchDir('import-src');
  await mkdir(join(folder, 'visit', 'photos'), { recursive: true });
  await copyFile(dicomData('dental', 'IO_bitewing01_8bit_JPEGBaseline.dcm'), join(folder, 'visit', 'IMG0001'));
  await copyFile(dicomData('dental', 'IO_bitewing01_source.png'), join(folder, 'visit', 'photos', 'smile.png'));
  await copyFile(dicomData('malformed', 'IO_bitewing01_trunc_in_dataset_header.dcm'), join(folder, 'broken.dcm'));
  await writeFile(join(folder, 'notes.txt'), 'not an image');
});

afterAll(async () => {
  await db?.close();
});

describe('cusp import', () => {
  it('imports a folder tree, reports the broken file with its reason, and adds nothing the second time', { timeout: 120_000 }, async () => {
    const first = await runImport(folder);
    expect(first.code).toBe(1);
    expect(first.report).toMatchObject({ files: 3, imported: 2, inbox: 1, duplicates: 0 });
    expect(first.report.failed).toEqual([{ file: 'broken.dcm', reason: expect.stringMatching(/^TRUNCATED: /) }]);
    const images = await db.knex('images').select('patient_id', 'modality');
    expect(images).toEqual([{ patient_id: patientId, modality: 'IO' }]);

    const second = await runImport(folder);
    expect(second.report).toMatchObject({ files: 3, imported: 0, duplicates: 2 });
    expect(await db.knex('images').count({ n: '*' }).first()).toMatchObject({ n: 1 });
  });

  it('files photos under the patient given with --patient', { timeout: 120_000 }, async () => {
    const photos = scratchDir('import-photos');
    await copyFile(dentalPhoto(), join(photos, 'ceph.jpg'));
    const result = await runImport(photos, '--patient', patientId);
    expect(result.code).toBe(0);
    expect(result.report).toMatchObject({ files: 1, imported: 1, inbox: 0 });
    const photo = await db.knex('images').where({ modality: 'XC' }).first('patient_id');
    expect(photo).toMatchObject({ patient_id: patientId });
  });

  it('refuses a patient that does not exist, before importing anything', async () => {
    const code = await main(['node', 'cusp', 'import', '--data', dataDir, '--patient', '00000000-0000-4000-8000-000000000000', folder]);
    expect(code).toBe(2);
  });
});

function dentalPhoto(): string {
  return join(dicomData(), '..', 'dental-images', 'ceph_lateral_alexcorvi_sample.jpg');
}
