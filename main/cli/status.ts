import type { Command } from 'commander';
import { createLogger } from '../app/log.js';
import { openCliClient } from './client.js';
import { dataOption } from './common.js';

export function statusCommand(program: Command): void {
  program
    .command('status')
    .description('show what this data folder is connected to and whether each part answers')
    .addOption(dataOption())
    .option('--json', 'print machine-readable JSON')
    .action(async (options: { data: string; json?: boolean }) => {
      const { client, close } = await openCliClient({ dataDir: options.data, log: createLogger({ level: 'warn' }) });
      try {
        const info = await client.call('app.info', {});
        const health = await client.call('app.health', {});
        if (options.json) {
          console.log(JSON.stringify({ info, health }, null, 2));
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
      } finally {
        await close();
      }
    });
}
