// Pins down what `cusp serve`'s import runner does at start with what a crash left in
// <data>/uploads: a complete file without a job is queued (and then imported like any upload),
// an upload cut off (`.part`) is removed, and files younger than the orphan age — possibly between
// their rename and their enqueue — and files that have a job are left alone.
import { randomUUID } from 'node:crypto';
import { copyFile, mkdir, utimes, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openApp, type App } from '../../../main/app/index.js';
import { silentLogger } from '../../../main/app/log.js';
import { JobQueue } from '../../../main/ingest/queue.js';
import { ImportRunner, uploadsDirOf } from '../../../main/ingest/uploads.js';
import { distinctCopies } from '../../support/dicom.js';
import { dicomData, scratchDir } from '../../support/paths.js';

const dataDir = scratchDir('upload-recovery');
let app: App;
let runner: ImportRunner;

/** A file where the upload route puts one, `minutesAgo` old. */
async function uploaded(source: string, name: string, minutesAgo: number): Promise<string> {
  const folder = join(uploadsDirOf(dataDir), randomUUID(), randomUUID());
  await mkdir(folder, { recursive: true });
  const path = join(folder, name);
  if (source) await copyFile(source, path);
  else await writeFile(path, Buffer.from('DICM-partial'));
  const at = new Date(Date.now() - minutesAgo * 60_000);
  await utimes(path, at, at);
  return path;
}

beforeAll(async () => {
  app = await openApp({ dataDir, log: silentLogger });
  const ctx = { transport: 'memory' as const, workstation: 'desk', sessionId: 'admin', user: null };
  const setup = await app.dispatch('auth.setupPractice', { practiceName: 'Clinique Reprise', admin: { username: 'admin', displayName: 'Admin', password: 'a-long-test-password' } }, ctx);
  expect(setup.ok).toBe(true);
  runner = new ImportRunner({ db: () => app.services.database(), store: () => app.services.storage().backend, dataDir, log: silentLogger, pollMs: 200 });
}, 60_000);

afterAll(async () => {
  await runner?.close();
  await app?.services.close();
});

describe('uploads left by a crash', () => {
  it('queues the orphaned file, removes the cut-off upload, leaves young and known files alone; the orphan is then imported', async () => {
    const [a, b] = await distinctCopies(dicomData('dental', 'IO_bitewing01_8bit_JPEGBaseline.dcm'), 2, { newStudy: true });
    const orphan = await uploaded(a!, 'bitewing.dcm', 30);
    const cutOff = await uploaded('', 'bitewing.dcm.part', 30);
    const young = await uploaded(b!, 'young.dcm', 0);
    const known = await uploaded(b!, 'known.dcm', 30);
    const [knownJob] = await new JobQueue(app.services.database()).enqueueFiles([known]);

    runner.start();
    const jobs = app.services.database().knex('ingest_jobs');
    await expect.poll(async () => (await jobs.clone().where({ source_path: orphan }).first('id')) !== undefined, { timeout: 10_000 }).toBe(true);
    await expect.poll(() => existsSync(join(cutOff, '..')), { timeout: 10_000 }).toBe(false);
    expect(existsSync(young)).toBe(true);
    expect(await jobs.clone().where({ source_path: young }).first('id')).toBeUndefined();
    expect((await jobs.clone().where({ source_path: known }).select('id')).map((r) => r.id)).toEqual([knownJob]);

    // The runner imports it like any upload, then removes the file.
    await expect.poll(async () => (await jobs.clone().where({ source_path: orphan }).first('state'))?.state, { timeout: 60_000 }).toBe('done');
    // No patient has its DICOM id: it waits in the inbox, like any unmatched upload.
    expect(await jobs.clone().where({ source_path: orphan }).first('outcome')).toEqual({ outcome: 'inbox' });
    await expect.poll(() => existsSync(orphan), { timeout: 10_000 }).toBe(false);
  });
});
