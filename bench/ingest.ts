/**
 * The ingest benchmark of issue 5, on this machine: a real Orthanc fed by storescu, the agent's
 * services in process (follower, durable queue on SQLite, imaging worker pool, file store).
 *
 * - Latency: bitewings sent one at a time, a pause between them; from storescu's C-STORE returning
 *   (Orthanc accepted the image) to the job committing the indexed image. Target p50 ≤ 2 s.
 * - Throughput: a burst of CUSP_BENCH_INGEST_BURST (default 200) distinct bitewings, images/s from
 *   the first send to the last image indexed, against the imaging pipeline alone (the same worker
 *   pool deriving the same files from memory) measured in the same run. Target ≥ 80 %. Jobs at
 *   once as the agent runs them (`jobsToKeepBusy`: twice the imaging threads).
 *
 * Run: `npm run bench -- ingest`, or `npx tsx bench/ingest.ts`.
 */
import { execFile } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import dicomParser from 'dicom-parser';
import { silentLogger } from '../main/app/log.js';
import { openDatabase } from '../main/db/database.js';
import { migrateToLatest } from '../main/db/migrate.js';
import { DerivePool } from '../main/imaging/pool.js';
import { defaultPreset } from '../main/imaging/presets.js';
import { IngestService } from '../main/ingest/service.js';
import { jobsToKeepBusy } from '../main/ingest/workers.js';
import { OrthancClient } from '../main/orthanc/client.js';
import { distinctCopies } from '../tests/support/dicom.js';
import { fileStore } from '../tests/support/ingest.js';
import { startOrthanc } from '../tests/support/orthanc.js';
import { dicomData, scratchDir } from '../tests/support/paths.js';
import { seedPractice } from '../tests/support/practice.js';

const execFileAsync = promisify(execFile);
const burstSize = Number(process.env.CUSP_BENCH_INGEST_BURST ?? 200);
const latencySamples = Number(process.env.CUSP_BENCH_INGEST_LATENCY ?? 15);
const source = dicomData('dental', 'IO_bitewing01_8bit_JPEGBaseline.dcm');

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
};
const sopOf = async (file: string) => dicomParser.parseDicom(new Uint8Array(await readFile(file)), { untilTag: 'x00080018' }).string('x00080018')!.trim();

export async function run(): Promise<void> {
  const orthanc = await startOrthanc();
  const dir = scratchDir('bench-ingest');
  const db = await openDatabase({ client: 'sqlite', filename: join(dir, 'cusp.sqlite') });
  await migrateToLatest(db.knex);
  const seeded = await seedPractice(db.knex, { patients: [{ chartNumber: 'B-1', familyName: 'Bench', givenName: 'Mark', dicomIds: ['BENCH-1'] }] });
  const threads = Math.max(1, availableParallelism());
  const pool = new DerivePool({ threads });
  const service = new IngestService({
    db,
    store: (await fileStore()).store,
    derive: (bytes, expect) => pool.derive(bytes, defaultPreset, expect),
    practiceId: seeded.practiceId,
    orthanc: new OrthancClient({ url: orthanc.url, username: orthanc.username, password: orthanc.password }),
    purgeFromOrthanc: true,
    log: silentLogger,
    concurrency: jobsToKeepBusy(threads),
  });
  const indexedAt = async (sop: string): Promise<number | null> => {
    const row = (await db.knex('ingest_jobs').where({ sop_instance_uid: sop, state: 'done', outcome: 'indexed' }).first('finished_at')) as { finished_at: string } | undefined;
    return row ? Date.parse(row.finished_at) : null;
  };
  const send = async (file: string) => {
    await execFileAsync('storescu', ['-xy', '-aet', 'BENCH', '-aec', orthanc.aet, '127.0.0.1', String(orthanc.dicomPort), file]);
    return Date.now();
  };
  try {
    service.start();
    // Warm up the worker pool (codec loading) outside the measurements.
    await pool.derive(await readFile(source));

    const singles = await distinctCopies(source, latencySamples, { patientId: 'BENCH-1', newStudy: true });
    const latencies: number[] = [];
    for (const file of singles) {
      const sop = await sopOf(file);
      const accepted = await send(file);
      let done: number | null = null;
      while ((done = await indexedAt(sop)) === null) await new Promise((r) => setTimeout(r, 20));
      latencies.push(done - accepted);
      await new Promise((r) => setTimeout(r, 500));
    }

    const burst = await distinctCopies(source, burstSize, { patientId: 'BENCH-1', newStudy: true });
    const started = Date.now();
    await execFileAsync('storescu', ['-xy', '-aet', 'BENCH', '-aec', orthanc.aet, '127.0.0.1', String(orthanc.dicomPort), ...burst], { maxBuffer: 1 << 24 });
    const target = latencySamples + burstSize;
    for (;;) {
      const n = Number(((await db.knex('images').count({ n: '*' }).first()) as { n: number }).n);
      if (n >= target) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const last = (await db.knex('ingest_jobs').max({ at: 'finished_at' }).first()) as { at: string };
    const ingestRate = burstSize / ((Date.parse(last.at) - started) / 1000);
    await service.stop();

    const bytes = await Promise.all(burst.map((f) => readFile(f)));
    const t0 = performance.now();
    await Promise.all(bytes.map((b) => pool.derive(b)));
    const pipelineRate = burstSize / ((performance.now() - t0) / 1000);

    const report = {
      machine: { cores: availableParallelism(), imagingThreads: threads },
      latencyMs: { samples: latencies.length, p50: percentile(latencies, 50), p95: percentile(latencies, 95), target: 'p50 ≤ 2000' },
      throughput: {
        burst: burstSize,
        ingestImagesPerSecond: Math.round(ingestRate * 100) / 100,
        pipelineAloneImagesPerSecond: Math.round(pipelineRate * 100) / 100,
        ratio: Math.round((ingestRate / pipelineRate) * 1000) / 1000,
        target: 'ratio ≥ 0.8',
      },
    };
    console.log(JSON.stringify(report, null, 2));
    await writeFile(join(dir, 'report.json'), JSON.stringify(report));
  } finally {
    await service.stop().catch(() => undefined);
    await pool.close();
    await db.close();
    await orthanc.stop();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await run();
