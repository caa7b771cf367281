/**
 * Detector spacing and its magnification factor reach the image record: a radiograph with only
 * ImagerPixelSpacing (0018,1164) and an EstimatedRadiographicMagnificationFactor (0018,1114) is
 * imported; the record says the spacing is the detector's and carries the factor, so the viewer
 * shows millimetres at the patient before the master is loaded. One with PixelSpacing carries none.
 */
import { execFile } from 'node:child_process';
import { copyFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../../main/cli/index.js';
import { openDatabase, type Database } from '../../../main/db/database.js';
import { migrateToLatest } from '../../../main/db/migrate.js';
import { imagesForPatient } from '../../../main/db/repositories/imaging.js';
import { dicomData, scratchDir } from '../../support/paths.js';
import { seedPractice } from '../../support/practice.js';

const exec = promisify(execFile);
let dataDir: string;
let db: Database;
let practiceId: string;
let patientId: string;

beforeAll(async () => {
  dataDir = scratchDir('magnification');
  await writeFile(join(dataDir, 'config.json'), JSON.stringify({ database: { client: 'sqlite', filename: 'cusp.sqlite' } }));
  db = await openDatabase({ client: 'sqlite', filename: join(dataDir, 'cusp.sqlite') });
  await migrateToLatest(db.knex);
  const seeded = await seedPractice(db.knex, { patients: [{ chartNumber: 'M-1', familyName: 'Ouellet', givenName: 'Rose' }] });
  practiceId = seeded.practiceId;
  patientId = seeded.patientIds[0]!;
});

afterAll(async () => {
  await db?.close();
});

async function importWith(name: string, tags: string[]) {
  const file = join(scratchDir('magnification-src'), name);
  await copyFile(dicomData('dental', 'IO_bitewing01_8bit_JPEGBaseline.dcm'), file);
  await exec('dcmodify', ['-nb', '-gin', '-imt', '-ea', '(0028,0030)', '-ea', '(0018,1164)', '-ea', '(0018,1114)', ...tags.flatMap((t) => ['-i', t]), file]);
  const log = vi.spyOn(console, 'log').mockImplementation(() => undefined);
  try {
    expect(await main(['node', 'cusp', 'import', file, '--patient', patientId, '--data', dataDir, '--threads', '1'])).toBe(0);
  } finally {
    log.mockRestore();
  }
  const sop = (await exec('dcmdump', ['+P', '0008,0018', file])).stdout.match(/\[([\d.]+)\]/)![1]!;
  return (await imagesForPatient(db.knex, practiceId, patientId, 50)).find((i) => i.sopInstanceUid === sop)!;
}

describe('pixel spacing in the image record', () => {
  it('keeps the magnification factor of detector spacing, and none for spacing at the patient', { timeout: 120_000 }, async () => {
    const detector = await importWith('detector.dcm', ['(0018,1164)=0.1\\0.1', '(0018,1114)=1.25']);
    expect(detector.pixelSpacing).toEqual({ row: 0.1, column: 0.1, source: 'imager_pixel_spacing' });
    expect(detector.magnification).toBe(1.25);

    const patient = await importWith('patient.dcm', ['(0028,0030)=0.08\\0.08', '(0018,1114)=1.25']);
    expect(patient.pixelSpacing).toEqual({ row: 0.08, column: 0.08, source: 'pixel_spacing' });
    expect(patient.magnification).toBeNull();

    const bare = await importWith('bare.dcm', ['(0018,1164)=0.1\\0.1']);
    expect(bare.magnification).toBeNull();
  });
});
