/**
 * `cusp import --patient-folders`: the image folder another program leaves behind, one folder per
 * patient named with the chart number. Each folder's images go to that patient (a radiograph whose
 * DICOM patient id is unknown here included), a folder naming no patient goes through the usual
 * matching (here: the inbox) and is reported, loose notes are ignored, and a second run adds nothing.
 */
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../../main/cli/index.js';
import { openDatabase, type Database } from '../../../main/db/database.js';
import { migrateToLatest } from '../../../main/db/migrate.js';
import { dentalImages, dicomData, scratchDir } from '../../support/paths.js';
import { seedPractice } from '../../support/practice.js';

let dataDir: string;
let folder: string;
let db: Database;
let tremblay: string;
let gagnon: string;

async function runImport(...args: string[]) {
  const lines: string[] = [];
  const spy = vi.spyOn(console, 'log').mockImplementation((line: unknown) => void lines.push(String(line)));
  const before = process.exitCode;
  try {
    const code = await main(['node', 'cusp', 'import', '--data', dataDir, '--threads', '1', ...args]);
    return { code: Number(process.exitCode ?? code), output: lines.join('\n') };
  } finally {
    spy.mockRestore();
    process.exitCode = before;
  }
}

const imagesOf = async (patientId: string) => Number(((await db.knex('images').where({ patient_id: patientId }).count({ n: '*' }).first()) as { n: number }).n);

beforeAll(async () => {
  dataDir = scratchDir('import-folders-data');
  await writeFile(join(dataDir, 'config.json'), JSON.stringify({ database: { client: 'sqlite', filename: 'cusp.sqlite' } }));
  db = await openDatabase({ client: 'sqlite', filename: join(dataDir, 'cusp.sqlite') });
  await migrateToLatest(db.knex);
  const seeded = await seedPractice(db.knex, {
    patients: [
      { chartNumber: 'A-100', familyName: 'Tremblay', givenName: 'Marie' },
      { chartNumber: 'A-200', familyName: 'Gagnon', givenName: 'Luc' },
      { chartNumber: '100', familyName: 'Roy', givenName: 'Paul' },
    ],
  });
  [tremblay, gagnon] = seeded.patientIds as [string, string];

  folder = scratchDir('other-program');
  await mkdir(join(folder, 'TREMBLAY_MARIE_A-100', '2019-03-04'), { recursive: true });
  await mkdir(join(folder, 'Gagnon, Luc (A-200)'), { recursive: true });
  await mkdir(join(folder, 'Unknown 999'), { recursive: true });
  await copyFile(dicomData('dental', 'IO_bitewing01_8bit_JPEGBaseline.dcm'), join(folder, 'TREMBLAY_MARIE_A-100', '2019-03-04', 'IMG0001'));
  await copyFile(dicomData('dental', 'IO_bitewing01_source.png'), join(folder, 'TREMBLAY_MARIE_A-100', 'smile.png'));
  await copyFile(dicomData('compressed', 'fodicom_CR-ModalitySequenceLUT.dcm'), join(folder, 'Gagnon, Luc (A-200)', 'pano.dcm'));
  await copyFile(dentalImages('ceph_lateral_alexcorvi_sample.jpg'), join(folder, 'Unknown 999', 'ceph.jpg'));
  await writeFile(join(folder, 'export-log.txt'), 'exported by another program');
});

afterAll(async () => {
  await db?.close();
});

describe('cusp import --patient-folders', () => {
  it("files each patient folder under the patient its chart number names, and reports the folders it could not", { timeout: 180_000 }, async () => {
    const first = await runImport(folder, '--patient-folders', '--json');
    expect(first.code).toBe(0);
    const report = JSON.parse(first.output) as { files: number; imported: number; inbox: number; unmatchedFolders: string[] };
    expect(report).toMatchObject({ files: 4, imported: 4, inbox: 1, unmatchedFolders: ['Unknown 999'] });
    expect(await imagesOf(tremblay)).toBe(2); // the radiograph (its DICOM id is unknown here) and the photo
    expect(await imagesOf(gagnon)).toBe(1);
    // "A-100" is a word of the folder name; "100" (another patient's chart number) is not.
    expect(await db.knex('images').whereIn('patient_id', db.knex('patients').where({ chart_number: '100' }).select('id')).count({ n: '*' }).first()).toMatchObject({ n: 0 });

    const again = await runImport(folder, '--patient-folders', '--json');
    expect(JSON.parse(again.output)).toMatchObject({ files: 4, imported: 0, duplicates: 4 });
    // The three filed images, once each (the inbox photo waits outside the chart's images).
    expect(Number(((await db.knex('images').count({ n: '*' }).first()) as { n: number }).n)).toBe(3);
  });

  it('refuses --patient with --patient-folders, and a file where a folder of patient folders is expected', async () => {
    expect((await runImport(folder, '--patient-folders', '--patient', tremblay)).code).not.toBe(0);
    expect((await runImport(join(folder, 'export-log.txt'), '--patient-folders')).code).not.toBe(0);
  });
});
