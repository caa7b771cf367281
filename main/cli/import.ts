import { readdir, stat } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import type { Command } from 'commander';
import type { Knex } from 'knex';
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

/** One patient's files, or (patientId null) files left to matching by their DICOM patient id or the inbox. */
export interface ImportGroup {
  patientId: string | null;
  files: string[];
}

/**
 * `--patient-folders`, for the image folder another program leaves behind: each folder directly
 * under a given folder holds one patient's images and has the patient's chart number as one of the
 * words of its name (`12345`, `ROY_CLAIRE_12345`, `Roy, Claire (12345)`). A folder naming exactly one
 * patient of the practice goes to that patient; any other folder, and loose files, go through the
 * usual matching (DICOM patient id, else the imaging inbox). Returns the unmatched folder names so
 * the person importing can act on them.
 */
export async function groupByPatientFolder(
  knex: Knex,
  practiceId: string,
  paths: string[],
): Promise<{ groups: ImportGroup[]; unmatched: string[] }> {
  const groups: ImportGroup[] = [];
  const unmatched: string[] = [];
  const loose: string[] = [];
  for (const path of paths) {
    const info = await stat(path).catch(() => null);
    if (!info?.isDirectory()) throw new AppError('INVALID_INPUT', `Expected a folder of patient folders for --patient-folders but ${path} is not a folder`);
    const entries = (await readdir(path, { withFileTypes: true })).filter((e) => !e.name.startsWith('.')).sort((a, b) => a.name.localeCompare(b.name));
    loose.push(...(await collectFiles(entries.filter((e) => e.isFile()).map((e) => join(path, e.name)))).filter((f) => !notImages.test(f)));
    for (const folder of entries.filter((e) => e.isDirectory())) {
      const words = folder.name.split(/[^\p{L}\p{N}-]+/u).filter(Boolean);
      const patients = words.length ? ((await knex('patients').where({ practice_id: practiceId }).whereIn('chart_number', words).select('id')) as Array<{ id: string }>) : [];
      const files = await collectFiles([join(path, folder.name)]);
      if (patients.length === 1) groups.push({ patientId: patients[0]!.id, files });
      else {
        unmatched.push(folder.name);
        loose.push(...files);
      }
    }
  }
  if (loose.length) groups.push({ patientId: null, files: loose });
  return { groups, unmatched };
}

interface ImportReport {
  files: number;
  imported: number;
  inbox: number;
  duplicates: number;
  failed: Array<{ file: string; reason: string }>;
  /** With --patient-folders: folders that named no patient (or several). */
  unmatchedFolders?: string[];
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
    .option('--patient-folders', "another program's image folder: one folder per patient, named with the chart number")
    .option('--json', 'print the report as JSON')
    .action(async (paths: string[], options: { data: string; patient?: string; patientFolders?: boolean; store?: string; practice?: string; threads?: number; json?: boolean }) => {
      if (options.patient && options.patientFolders) throw new AppError('INVALID_INPUT', 'Use either --patient or --patient-folders, not both');
      const log = createLogger({ level: 'warn' });
      const runtime = await openIngestRuntime(options.data, log, options);
      try {
        if (options.patient) {
          const patient = await runtime.db.knex('patients').where({ id: options.patient, practice_id: runtime.practiceId }).first('id');
          if (!patient) throw new AppError('INVALID_INPUT', `Expected the id of a patient of this practice for --patient but received ${options.patient}`);
        }
        const { groups, unmatched } = options.patientFolders
          ? await groupByPatientFolder(runtime.db.knex, runtime.practiceId, paths)
          : { groups: [{ patientId: options.patient ?? null, files: await collectFiles(paths) }], unmatched: [] };
        const files = groups.flatMap((g) => g.files);
        if (files.length === 0) throw new AppError('INVALID_INPUT', 'Expected image files but the paths given hold none');
        const service = new IngestService({ db: runtime.db, store: runtime.store, derive: runtime.derive, practiceId: runtime.practiceId, log, source: 'import', workerIdleMs: 100, concurrency: runtime.jobs });
        const ids: string[] = [];
        for (const group of groups) ids.push(...(await service.queue.enqueueFiles(group.files, group.patientId ? { patientId: group.patientId } : {})));
        service.start();
        let report: ImportReport;
        try {
          report = await waitForJobs(service, ids, files);
        } finally {
          await service.stop();
        }
        if (options.patientFolders) report.unmatchedFolders = unmatched;
        if (options.json) {
          console.log(JSON.stringify(report, null, 2));
        } else {
          console.log(`Imported ${report.imported} of ${report.files} files (${report.inbox} waiting in the imaging inbox), ${report.duplicates} already present, ${report.failed.length} failed`);
          for (const failure of report.failed) console.log(`  ${failure.file}: ${failure.reason}`);
          if (unmatched.length) console.log(`Folders without exactly one patient's chart number in their name (matched by DICOM id or sent to the inbox): ${unmatched.join(', ')}`);
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
