/**
 * Crash safety of `cusp agent`, as a real process: while 120 distinct radiographs flow from
 * storescu through Orthanc, the agent is killed with SIGKILL at random moments (at least five
 * times) and restarted. At the end every image is indexed exactly once, every object exists once
 * and matches its sha256, nothing is stuck or quarantined, and Orthanc was purged of everything.
 * A final SIGTERM stops the agent cleanly (exit 0). On SQLite and on PostgreSQL (whose password the
 * agent reads from the data folder's secret store).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { openSync, closeSync } from 'node:fs';
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { databasePasswordSecret } from '../../../main/app/config.js';
import { openDatabase, type Database, type DatabaseClient } from '../../../main/db/database.js';
import { migrateToLatest } from '../../../main/db/migrate.js';
import { OrthancClient } from '../../../main/orthanc/client.js';
import { FileSecretStore } from '../../../main/storage/secrets.js';
import { readAll } from '../../../main/storage/store.js';
import { databases } from '../../support/databases.js';
import { distinctCopies } from '../../support/dicom.js';
import { fileStore } from '../../support/ingest.js';
import { startOrthanc, type OrthancServer } from '../../support/orthanc.js';
import { dicomData, repoRoot, scratchDir } from '../../support/paths.js';
import { createDatabase } from '../../support/postgres.js';
import { seedPractice } from '../../support/practice.js';

const imageCount = 120;

async function kill(child: ChildProcess, signal: NodeJS.Signals): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  child.kill(signal);
  return exited;
}

describe.each(databases)('on %s', (client: DatabaseClient) => {
  let orthanc: OrthancServer;
  let dataDir: string;
  let db: Database;
  let agent: ChildProcess | null = null;
  let starts = 0;

  function startAgent(): ChildProcess {
    starts += 1;
    const log = openSync(join(dataDir, `agent-${starts}.log`), 'w');
    const child = spawn(
      process.execPath,
      [
        '--import', 'tsx', join(repoRoot, 'tests', 'support', 'cusp-cli.ts'), 'agent',
        '--data', dataDir,
        '--orthanc', `http://${orthanc.username}@127.0.0.1:${orthanc.httpPort}`,
        '--purge', '--concurrency', '2', '--threads', '1', '--lease', '3',
      ],
      { cwd: repoRoot, env: { ...process.env, CUSP_ORTHANC_PASSWORD: orthanc.password }, stdio: ['ignore', log, log] },
    );
    closeSync(log);
    return child;
  }

  beforeAll(async () => {
    orthanc = await startOrthanc();
    dataDir = scratchDir('agent-data');
    if (client === 'sqlite') {
      await writeFile(join(dataDir, 'config.json'), JSON.stringify({ database: { client: 'sqlite', filename: 'cusp.sqlite' }, store: { url: 'file:objects' } }));
      db = await openDatabase({ client: 'sqlite', filename: join(dataDir, 'cusp.sqlite') });
    } else {
      // config.json names the server without its password; the agent finds that in the secret store.
      const url = new URL(await createDatabase(inject('postgresUrl'), 'crash'));
      const password = decodeURIComponent(url.password);
      url.password = '';
      await writeFile(join(dataDir, 'config.json'), JSON.stringify({ database: { client: 'postgres', url: url.toString() }, store: { url: 'file:objects' } }));
      await FileSecretStore.inDataDir(dataDir).set(databasePasswordSecret, password);
      db = await openDatabase({ client: 'postgres', url: url.toString(), password });
    }
    await migrateToLatest(db.knex);
    await seedPractice(db.knex, { patients: [{ chartNumber: 'K-1', familyName: 'Roy', givenName: 'Claire', dicomIds: ['CRASH-0001'] }] });
  });

  afterAll(async () => {
    if (agent) await kill(agent, 'SIGKILL');
    await db?.close();
    await orthanc?.stop();
  });

  describe('cusp agent killed with SIGKILL while images flow', () => {
    it('indexes every image exactly once with every object verified, nothing stuck', { timeout: 600_000 }, async () => {
      const files = await distinctCopies(dicomData('dental', 'IO_bitewing01_8bit_JPEGBaseline.dcm'), imageCount, { patientId: 'CRASH-0001', newStudy: true });
      agent = startAgent();
      const sending = orthanc.storescu(files);

      // Kill at random moments while work remains, at least five times.
      let kills = 0;
      let midFlow = 0;
      while (kills < 5) {
        await new Promise((r) => setTimeout(r, 800 + Math.random() * 2500));
        const indexed = (await db.knex('images').count({ n: '*' }).first()) as { n: number };
        if (Number(indexed.n) < imageCount) midFlow += 1;
        await kill(agent, 'SIGKILL');
        kills += 1;
        agent = startAgent();
      }
      expect(midFlow, 'kills that hit the agent while images were still flowing').toBe(5);
      await sending;

      const deadline = Date.now() + 400_000;
      for (;;) {
        const open = (await db.knex('ingest_jobs').whereNotIn('state', ['done', 'quarantined']).count({ n: '*' }).first()) as { n: number };
        const images = (await db.knex('images').count({ n: '*' }).first()) as { n: number };
        if (Number(open.n) === 0 && Number(images.n) >= imageCount) break;
        if (Date.now() > deadline) throw new Error(`agent did not finish: ${open.n} open jobs, ${images.n} images (logs in ${dataDir})`);
        await new Promise((r) => setTimeout(r, 500));
      }
      expect(await kill(agent, 'SIGTERM'), 'a SIGTERM stops the agent cleanly').toBe(0);
      agent = null;

      const images = await db.knex('images').select('id', 'sop_instance_uid', 'patient_id');
      expect(images).toHaveLength(imageCount);
      expect(new Set(images.map((i) => i.sop_instance_uid)).size).toBe(imageCount);
      expect(new Set(images.map((i) => i.patient_id)).size).toBe(1);

      const jobs = await db.knex('ingest_jobs').select('state', 'outcome', 'reason');
      expect(jobs.filter((j) => j.state === 'quarantined').map((j) => j.reason)).toEqual([]);
      expect(jobs.filter((j) => j.outcome === 'indexed')).toHaveLength(imageCount);

      const objects = await db.knex('stored_objects').select('object_key', 'sha256', 'bytes');
      expect(objects).toHaveLength(imageCount * 5);
      const { store } = await fileStore(join(dataDir, 'objects'));
      for (const object of objects) {
        const bytes = await readAll((await store.get(String(object.object_key))).body);
        expect(createHash('sha256').update(bytes).digest('hex')).toBe(object.sha256);
      }
      // Exactly the indexed objects are in the store: a crashed attempt left no second copy.
      const stored: string[] = [];
      const walk = async (dir: string, prefix: string): Promise<void> => {
        for (const entry of await readdir(dir, { withFileTypes: true })) {
          if (entry.name.startsWith('.')) continue;
          if (entry.isDirectory()) await walk(join(dir, entry.name), `${prefix}${entry.name}/`);
          else stored.push(`${prefix}${entry.name}`);
        }
      };
      await walk(join(dataDir, 'objects'), '');
      expect(stored.sort()).toEqual(objects.map((o) => String(o.object_key)).sort());

      const client = new OrthancClient({ url: orthanc.url, username: orthanc.username, password: orthanc.password });
      expect(await client.instances({ since: 0, limit: 10 })).toEqual([]);
      expect(starts).toBeGreaterThanOrEqual(6);
    });
  });
});
