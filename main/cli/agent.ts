import type { Command } from 'commander';
import { Option } from 'commander';
import { loadConfig, redactUrl } from '../app/config.js';
import { AppError } from '../app/errors.js';
import { createLogger } from '../app/log.js';
import { IngestService } from '../ingest/service.js';
import { OrthancClient } from '../orthanc/client.js';
import { dataOption } from './common.js';
import { openIngestRuntime } from './ingest-runtime.js';
import { startNightly } from './nightly.js';
import { orthancPassword } from '../app/orthanc-connection.js';
import { FileSecretStore } from '../storage/secrets.js';

/**
 * `cusp agent`: the imaging PC's headless ingest — follows Orthanc, runs the pipeline, logs JSON
 * lines (ids, never names) to stderr. SIGTERM/SIGINT: stop following, let running jobs finish
 * for up to --grace seconds, release the rest, exit 0.
 *
 * The Orthanc password comes from the URL (http://user:pass@host:port), CUSP_ORTHANC_PASSWORD, or the
 * secret `orthanc.password` saved from Settings → Orthanc. Once a night (config.json `nightly.hour`,
 * default 02:00 local) it also tiers the store and caches tomorrow's patients' images (nightly.ts).
 */
export function agentCommand(program: Command): void {
  program
    .command('agent')
    .description('follow Orthanc and ingest every new image into the practice (headless)')
    .addOption(dataOption())
    .option('--orthanc <url>', 'Orthanc REST URL (default: the data folder config)')
    .option('--store <url>', 'image store URL (default: the data folder config)')
    .option('--practice <id>', 'practice the images belong to (default: the only one)')
    .option('--purge', 'delete each instance from Orthanc once its image is indexed and every object verified')
    .addOption(new Option('--purge-after <hours>', 'delete instances from Orthanc this many hours after they were indexed').argParser(positiveInt('--purge-after')))
    .addOption(new Option('--concurrency <n>', 'jobs at once (default: twice the imaging threads)').argParser(positiveInt('--concurrency')))
    .addOption(new Option('--threads <n>', 'imaging worker threads (default: one per core)').argParser(positiveInt('--threads')))
    .addOption(new Option('--grace <seconds>', 'time running jobs get to finish on SIGTERM').default(10).argParser(positiveInt('--grace')))
    .option('--no-nightly', 'do not run the nightly storage tiering and cache prefetch')
    .addOption(new Option('--lease <seconds>', 'how long a crashed agent keeps its jobs before others take them').default(60).argParser(positiveInt('--lease')))
    .action(async (options: { data: string; orthanc?: string; store?: string; practice?: string; purge?: boolean; purgeAfter?: number; concurrency?: number; threads?: number; grace: number; lease: number; nightly?: boolean }) => {
      const log = createLogger().child({ component: 'agent' });
      const config = await loadConfig(options.data);
      const orthancUrl = options.orthanc ?? config.orthanc?.url;
      if (!orthancUrl) throw new AppError('INVALID_INPUT', 'Expected --orthanc URL (or orthanc.url in the data folder config) but received none');
      const orthanc = new OrthancClient({
        url: orthancUrl,
        ...(config.orthanc?.username && !new URL(orthancUrl).username ? { username: config.orthanc.username } : {}),
        ...(await agentPassword(options.data, orthancUrl)),
        log,
      });
      const runtime = await openIngestRuntime(options.data, log, options);
      const service = new IngestService({
        db: runtime.db,
        store: runtime.store,
        derive: runtime.derive,
        practiceId: runtime.practiceId,
        orthanc,
        log,
        concurrency: options.concurrency ?? runtime.jobs,
        queue: { leaseMs: options.lease * 1000 },
        ...(options.purge ? { purgeFromOrthanc: true } : {}),
        ...(options.purgeAfter ? { purgeAfterMs: options.purgeAfter * 3_600_000 } : {}),
      });
      service.start();
      const stopNightly = options.nightly === false ? () => undefined : startNightly({ dataDir: options.data, hour: config.nightly.hour, log });
      log.info({ orthanc: redactUrl(orthancUrl), concurrency: options.concurrency ?? runtime.jobs, purge: Boolean(options.purge), purgeAfterHours: options.purgeAfter ?? null }, 'agent started');
      await new Promise<void>((resolve) => {
        process.once('SIGTERM', () => resolve());
        process.once('SIGINT', () => resolve());
      });
      stopNightly();
      log.info('stopping: finishing or releasing running jobs');
      await service.stop(options.grace * 1000);
      log.info({ counts: await service.counts() }, 'agent stopped');
      await runtime.close();
    });
}

export function positiveInt(flag: string): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1) throw new AppError('INVALID_INPUT', `Expected a positive integer for ${flag} but received ${value}`);
    return n;
  };
}

/** CUSP_ORTHANC_PASSWORD first, then a password in the URL, then the secret saved from Settings. */
async function agentPassword(dataDir: string, orthancUrl: string): Promise<{ password?: string }> {
  if (process.env.CUSP_ORTHANC_PASSWORD) return { password: process.env.CUSP_ORTHANC_PASSWORD };
  if (new URL(orthancUrl).password) return {};
  const password = await orthancPassword(FileSecretStore.inDataDir(dataDir));
  return password ? { password } : {};
}
