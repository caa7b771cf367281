/**
 * The desktop app ingesting in its own main process (`orthanc.ingest: true` in the data folder's
 * config): services start the follower and workers, and an image sent by C-STORE reaches the open
 * windows as `image.new` for the right patient.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../main/app/log.js';
import { openServices, type Services } from '../../../main/app/services.js';
import { openDatabase } from '../../../main/db/database.js';
import { migrateToLatest } from '../../../main/db/migrate.js';
import { startOrthanc, type OrthancServer } from '../../support/orthanc.js';
import { dicomData, scratchDir } from '../../support/paths.js';
import { seedPractice } from '../../support/practice.js';

let orthanc: OrthancServer;
let services: Services;
let patientId: string;

beforeAll(async () => {
  orthanc = await startOrthanc();
  const dataDir = scratchDir('desktop-ingest');
  await writeFile(
    join(dataDir, 'config.json'),
    JSON.stringify({ orthanc: { url: orthanc.url, username: orthanc.username, ingest: true }, store: { url: 'file:objects' } }),
  );
  const db = await openDatabase({ client: 'sqlite', filename: join(dataDir, 'cusp.sqlite') });
  await migrateToLatest(db.knex);
  patientId = (await seedPractice(db.knex, { patients: [{ chartNumber: 'D-1', familyName: 'Girard', givenName: 'Joël', dicomIds: ['ANON-IO-0001'] }] })).patientIds[0]!;
  await db.close();
  process.env.CUSP_ORTHANC_PASSWORD = orthanc.password;
  services = await openServices({ dataDir, log: silentLogger, publishHealth: true });
});

afterAll(async () => {
  await services?.close();
  await orthanc?.stop();
});

describe('ingest inside the desktop app', () => {
  it('files an image sent by the sensor and tells the open windows', { timeout: 60_000 }, async () => {
    const arrived = new Promise<unknown>((resolve) => services.events.subscribe((name, payload) => name === 'image.new' && resolve(payload)));
    await orthanc.storescu(dicomData('dental', 'IO_bitewing01_8bit_JPEGBaseline.dcm'));
    expect(await arrived).toMatchObject({ patientId });
    expect((await services.health()).orthanc.state).toBe('ok');
    const objects = await services.database().knex('stored_objects').count({ n: '*' }).first();
    expect(Number((objects as { n: number }).n)).toBe(5);
  });
});
