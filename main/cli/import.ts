import { readdir, stat } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { Option } from 'commander';
import { AppError } from '../app/errors.js';
import { createLogger } from '../app/log.js';
import { IngestService } from '../ingest/service.js';
import { positiveInt } from './agent.js';
import { dataOption } from './common.js';
import { openIngestRuntime } from './ingest-runtime.js';

/** Files that are certainly not images (notes, exports, our own summaries). */
const notImages = /\.(md|txt|json|html?|csv|xml|pdf|ini|db)$/i;

/** Every file under the paths given (folders recursively, hidden entries skipped), in name order. */
export async function collectFiles(paths: string[]): Promise<string[]> {
  const files: string[] = [];
  for (const path of paths) {
    const info = await stat(path).catch(() => null);
    if (!info) throw new AppError('INVALID_INPUT', `Expected a file or folder but ${path} does not exist`);
    if (!info.isDirectory()) {
      files.push(resolve(path));
      continue;
    }
    const entries = (await readdir(path, { withFileTypes: true })).filter((e) => !e.name.startsWith('.')).sort((a, b) => a.name.localeCompare(b.name));
    files.push(...entries.filter((e) => e.isFile() && !notImages.test(e.name)).map((e) => resolve(path, e.name)));
    files.push(...(await collectFiles(entries.filter((e) => e.isDirectory()).map((e) => join(path, e.name)))));
  }
  return files;
}

interface ImportReport {
  files: number;
  imported: number;
  inbox: number;
  duplicates: number;
  failed: Array<{ file: string; reason: string }>;
}

/**
 * `cusp import PATH…`: DICOM files and folders, and JPEG/PNG photos, through the same durable
 * pipeline as images from Orthanc. Photos carry no patient: give one with --patient, or they wait
 * in the imaging inbox. Progress goes to stderr; the report (imported, inbox, duplicates, failed
 * with reasons) to stdout. Exit code 1 when a file failed.
 */
export function importCommand(program: Command): void {
  program
    .command('import')
    .description('import DICOM files, folders and JPEG/PNG photos into the practice')
    .argument('<paths...>', 'files or folders (searched recursively)')
    .addOption(dataOption())
    .option('--patient <id>', 'the patient every imported image belongs to (otherwise matched, or the inbox)')
    .option('--store <url>', 'image store URL (default: the data folder config)')
    .option('--practice <id>', 'practice the images belong to (default: the only one)')
    .addOption(new Option('--threads <n>', 'imaging worker threads (default: one per core)').argParser(positiveInt('--threads')))
    .option('--json', 'print the report as JSON')
    .action(async (paths: string[], options: { data: string; patient?: string; store?: string; practice?: string; threads?: number; json?: boolean }) => {
      const files = await collectFiles(paths);
      if (files.length === 0) throw new AppError('INVALID_INPUT', 'Expected image files but the paths given hold none');
      const log = createLogger({ level: 'warn' });
      const runtime = await openIngestRuntime(options.data, log, options);
      try {
        if (options.patient) {
          const patient = await runtime.db.knex('patients').where({ id: options.patient, practice_id: runtime.practiceId }).first('id');
          if (!patient) throw new AppError('INVALID_INPUT', `Expected the id of a patient of this practice for --patient but received ${options.patient}`);
        }
        const service = new IngestService({ db: runtime.db, store: runtime.store, derive: runtime.derive, practiceId: runtime.practiceId, log, source: 'import', workerIdleMs: 100 });
        const ids = await service.queue.enqueueFiles(files, options.patient ? { patientId: options.patient } : {});
        service.start();
        let report: ImportReport;
        try {
          report = await waitForJobs(service, ids, files);
        } finally {
          await service.stop();
        }
        if (options.json) {
          console.log(JSON.stringify(report, null, 2));
        } else {
          console.log(`Imported ${report.imported} of ${report.files} files (${report.inbox} waiting in the imaging inbox), ${report.duplicates} already present, ${report.failed.length} failed`);
          for (const failure of report.failed) console.log(`  ${failure.file}: ${failure.reason}`);
        }
        if (report.failed.length > 0) process.exitCode = 1;
      } finally {
        await runtime.close();
      }
    });
}

async function waitForJobs(service: IngestService, ids: string[], files: string[]): Promise<ImportReport> {
  const fileOf = new Map(ids.map((id, i) => [id, files[i]!]));
  for (;;) {
    const rows = (await service.queue.db
      .knex('ingest_jobs')
      .whereIn('id', ids.length > 900 ? service.queue.db.knex('ingest_jobs').select('id').where({ source: 'import' }) : ids)
      .select('id', 'state', 'outcome', 'reason')) as Array<{ id: string; state: string; outcome: string | null; reason: string | null }>;
    const mine = rows.filter((r) => fileOf.has(r.id));
    const finished = mine.filter((r) => r.state === 'done' || r.state === 'quarantined');
    if (process.stderr.isTTY) process.stderr.write(`\r${finished.length}/${ids.length} images`);
    if (finished.length === ids.length) {
      if (process.stderr.isTTY) process.stderr.write('\n');
      const outcome = (name: string) => finished.filter((r) => r.outcome === name).length;
      return {
        files: ids.length,
        imported: outcome('indexed') + outcome('inbox'),
        inbox: outcome('inbox'),
        duplicates: outcome('duplicate'),
        failed: finished.filter((r) => r.state === 'quarantined').map((r) => ({ file: basename(fileOf.get(r.id)!), reason: r.reason ?? 'unknown' })),
      };
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}
