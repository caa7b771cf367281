import type { Command } from 'commander';
import { createLogger } from '../app/log.js';
import type { Services } from '../app/services.js';
import { ingestStatus } from '../ingest/inbox.js';
import { JobQueue } from '../ingest/queue.js';
import { openCliClient } from './client.js';
import { dataOption } from './common.js';

export function statusCommand(program: Command): void {
  program
    .command('status')
    .description('show what this data folder is connected to and whether each part answers')
    .addOption(dataOption())
    .option('--json', 'print machine-readable JSON')
    .action(async (options: { data: string; json?: boolean }) => {
      const { client, services, close } = await openCliClient({ dataDir: options.data, log: createLogger({ level: 'warn' }) });
      try {
        const info = await client.call('app.info', {});
        const health = await client.call('app.health', {});
        const ingest = await ingestDetail(services);
        if (options.json) {
          console.log(JSON.stringify({ info, health, ingest }, null, 2));
          return;
        }
        console.log(`Cusp ${info.version} — data in ${info.dataDir}`);
        console.log(`Overall: ${health.status}`);
        for (const part of ['database', 'store', 'orthanc'] as const) {
          const { state, message } = health[part];
          console.log(`  ${part.padEnd(9)} ${state}${message ? ` — ${message}` : ''}`);
        }
        const q = health.ingest;
        console.log(`  ingest    queued ${q.queued}, failed ${q.failed}, quarantined ${q.quarantined}, outbox ${q.outbox}`);
        if (ingest?.cursor) console.log(`            Orthanc change ${ingest.cursor.seq} reached`);
        for (const problem of ingest?.problems.slice(0, 5) ?? []) {
          console.log(`            ${problem.state} ${problem.file ?? problem.jobId}: ${problem.reason}`);
        }
      } finally {
        await close();
      }
    });
}

/** Queue counts per state, the latest problems and the follower's cursor; null without a database. */
async function ingestDetail(services: Services) {
  let db;
  try {
    db = services.database();
  } catch {
    return null;
  }
  const { counts, problems } = await ingestStatus(db, 10);
  const cursor = await new JobQueue(db).sink('orthanc').cursor();
  return { counts, problems, cursor: cursor ? { seq: cursor.seq } : null };
}
