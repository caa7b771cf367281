/**
 * The imaging inbox and queue status through the contract (real dispatcher, signed-in users):
 * an image nobody matches waits in the inbox with its DICOM patient fields and thumbnail; a
 * clinician assigns it (audited, `image.new` pushed, then in the patient's chart); assigning it
 * again is a CONFLICT; the front desk may not see the inbox; quarantined files show with their
 * reason in `ingest.status`.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createClient, type CuspClient } from '../../../contract/client.js';
import { openApp, type App } from '../../../main/app/index.js';
import { main } from '../../../main/cli/index.js';
import { silentLogger } from '../../../main/app/log.js';
import { deriveAll } from '../../../main/imaging/derive.js';
import { defaultPreset } from '../../../main/imaging/presets.js';
import { IngestService } from '../../../main/ingest/service.js';
import { createMemoryTransport } from '../../../main/server/memory.js';
import { fileStore } from '../../support/ingest.js';
import { dicomData, scratchDir } from '../../support/paths.js';

const password = 'correct-horse-42';
let app: App;
let dataDir: string;
let dentist: CuspClient;
let frontdesk: CuspClient;

const session = (sessionId: string) =>
  createClient(
    createMemoryTransport(app.dispatch, app.services.events, () => ({ transport: 'memory', workstation: 'chair-1', sessionId, user: app.resolveUser(sessionId) })),
  );

beforeAll(async () => {
  dataDir = scratchDir('inbox');
  writeFileSync(join(dataDir, 'config.json'), JSON.stringify({ database: { client: 'sqlite', filename: 'practice.sqlite' } }));
  app = await openApp({ dataDir, log: silentLogger });
  const admin = session('admin');
  await admin.call('auth.setupPractice', { practiceName: 'Clinique Inbox', admin: { username: 'admin', displayName: 'Admin', password } });
  for (const role of ['dentist', 'frontdesk'] as const) {
    await admin.call('users.create', { username: role, displayName: role, role, password });
  }
  dentist = session('dentist');
  frontdesk = session('frontdesk');
  await dentist.call('auth.signIn', { username: 'dentist', password });
  await frontdesk.call('auth.signIn', { username: 'frontdesk', password });

  const db = app.services.database();
  const practice = (await db.knex('practices').first('id')) as { id: string };
  const service = new IngestService({
    db,
    store: (await fileStore(join(dataDir, 'objects'))).store,
    derive: (bytes, expect) => deriveAll(bytes, defaultPreset, { expect }),
    practiceId: practice.id,
    log: silentLogger,
    workerIdleMs: 50,
  });
  await service.queue.enqueueFiles([dicomData('compressed', 'pydicomdata_RG1_J2KI.dcm'), dicomData('malformed', 'random_bytes_4k.dcm')]);
  service.start();
  try {
    for (let i = 0; ; i += 1) {
      const counts = await service.counts();
      if (counts.done + counts.quarantined === 2) break;
      if (i > 600) throw new Error('ingest did not finish');
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    await service.stop();
  }
});

afterAll(async () => {
  app?.auth.close();
  await app?.services.close();
});

describe('imaging inbox through the contract', () => {
  it('lists the unmatched image, files it under the chosen patient, and audits it', async () => {
    const { items } = await dentist.call('ingest.inbox', {});
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({ dicomPatientId: '9RG1', modality: 'CR' });
    expect(items[0]!.thumb200).toMatch(/^data:image\/jpeg;base64,/);
    await expect(frontdesk.call('ingest.inbox', {})).rejects.toMatchObject({ code: 'FORBIDDEN' });

    const patient = await frontdesk.call('patients.create', { familyName: 'Bouchard', givenName: 'Marc' });
    const pushed: unknown[] = [];
    const off = dentist.on('image.new', (e) => pushed.push(e));
    const assigned = await dentist.call('ingest.assign', { jobId: items[0]!.jobId, patientId: patient.id });
    off();
    expect(pushed).toEqual([{ imageId: assigned.imageId, patientId: patient.id, appointmentId: null }]);

    const chart = await dentist.call('imaging.forPatient', { patientId: patient.id });
    expect(chart.images.map((i) => i.id)).toEqual([assigned.imageId]);
    expect(chart.images[0]!.variants.sort()).toEqual(['master', 'preview', 'thumb200', 'thumb50', 'view']);
    expect((await dentist.call('ingest.inbox', {})).items).toEqual([]);
    await expect(dentist.call('ingest.assign', { jobId: items[0]!.jobId, patientId: patient.id })).rejects.toMatchObject({ code: 'CONFLICT' });

    const admin = session('admin');
    const entries = (await admin.call('audit.query', { action: 'image.assign', limit: 10 })).entries;
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({ patientId: patient.id, imageId: assigned.imageId });
  });

  it('shows queue counts and quarantined files with their reason, also in app.health', async () => {
    const status = await frontdesk.call('ingest.status', {});
    expect(status.counts).toMatchObject({ done: 1, quarantined: 1, queued: 0 });
    expect(status.problems).toEqual([
      expect.objectContaining({ state: 'quarantined', source: 'import', file: 'random_bytes_4k.dcm', reason: expect.stringMatching(/^NOT_DICOM: /) }),
    ]);
    // The same counts reach `app.health` (the status bar and `cusp status --json`).
    const health = await frontdesk.call('app.health', {});
    expect(health.ingest).toMatchObject({ queued: 0, failed: 0, quarantined: 1 });
    expect(health.orthanc.state).toBe('unconfigured');
  });

  it('cusp status --json shows the counts, the problems with their reasons, and the follower cursor', async () => {
    const lines: string[] = [];
    const spy = vi.spyOn(console, 'log').mockImplementation((line: unknown) => void lines.push(String(line)));
    try {
      expect(await main(['node', 'cusp', 'status', '--json', '--data', dataDir])).toBe(0);
    } finally {
      spy.mockRestore();
    }
    const status = JSON.parse(lines.join('\n'));
    expect(status.health.ingest).toMatchObject({ quarantined: 1 });
    expect(status.ingest.counts).toMatchObject({ done: 1, quarantined: 1 });
    expect(status.ingest.problems[0]).toMatchObject({ file: 'random_bytes_4k.dcm', reason: expect.stringMatching(/^NOT_DICOM/) });
    expect(status.ingest.cursor).toBeNull();
  });
});
