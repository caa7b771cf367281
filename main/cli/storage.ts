import { InvalidArgumentError, Option, type Command } from 'commander';
import { saveConfig } from '../app/config.js';
import { AppError } from '../app/errors.js';
import { createLogger } from '../app/log.js';
import { openServices, type Services } from '../app/services.js';
import { EncryptedStore } from '../storage/crypto.js';
import { isStorageError } from '../storage/errors.js';
import { copySharedPdfs } from '../share/migrate.js';
import { journalPath, migrateObjects } from '../storage/migrate.js';
import { allRows, KnexObjectIndex } from '../storage/object-index.js';
import { openStore, type ResidencyPolicy } from '../storage/open.js';
import { addMasterKey, FileSecretStore, retireMasterKeys } from '../storage/secrets.js';
import { openStorage, type StorageService } from '../storage/service.js';
import { applyTiers, defaultTierPrices, type TierPrices } from '../storage/tiering.js';
import { verifyStore } from '../storage/verify.js';
import { dataOption } from './common.js';

/**
 * `cusp storage …`: the image store's maintenance jobs, run against the configured store and the
 * practice database's object rows. Residency is config.json's `store.residency` (default canada);
 * `--residency` overrides it for one run.
 */
export function storageCommand(program: Command): void {
  const storage = program.command('storage').description('check, verify, tier, migrate and re-key the image store');
  const residency = () =>
    new Option('--residency <policy>', 'where images may live: canada or any (default: store.residency in config.json)').choices(['canada', 'any']);

  storage
    .command('check')
    .description('show the configured store, its region, and whether it answers')
    .addOption(dataOption())
    .addOption(residency())
    .option('--url <url>', 'check this store URL instead of the configured one')
    .action((o: { data: string; residency?: ResidencyPolicy; url?: string }) =>
      withStorage(o, async ({ storage }) => {
        const d = storage.backend.description;
        console.log(`Store: ${d.location} (${d.kind}, region ${d.region}, ${d.encrypted ? 'encrypted on this computer' : 'not encrypted'})`);
        const health = await storage.health();
        console.log(`State: ${health.state}${health.message ? ` — ${health.message}` : ''}`);
        console.log(`Waiting to upload: ${await storage.pendingUploads()}`);
        if (health.state !== 'ok') process.exitCode = 1;
      }, o.url),
    );

  storage
    .command('verify')
    .description('re-read stored objects and compare each with the sha256 recorded when it was written')
    .addOption(dataOption())
    .addOption(residency())
    .option('--sample <fraction>', 'check only this random fraction (0–1) of the objects', fraction)
    .action((o: { data: string; residency?: ResidencyPolicy; sample?: number }) =>
      withStorage(o, async ({ services, storage }) => {
        const report = await verifyStore({
          index: new KnexObjectIndex(services.database().knex), store: storage.backend, sample: o.sample,
          onProgress: (n) => n % 100 === 0 && process.stderr.write(`\rchecked ${n}`),
        });
        console.log(`Checked ${report.checked} object(s): ${report.ok} intact, ${report.problems.length} with problems.`);
        for (const p of report.problems) console.log(`  ${p.code.padEnd(15)} ${p.key} — ${p.message}`);
        if (report.problems.length) process.exitCode = 1;
      }),
    );

  storage
    .command('tier')
    .description('move objects to hot / warm / cold by the tier policy and show bytes and monthly cost per tier')
    .addOption(dataOption())
    .addOption(residency())
    .option('--dry-run', 'only show what would move')
    .option('--prices <list>', 'monthly price per GB, e.g. hot=0.034,warm=0.019,cold=0.0062,archive=0.0027', prices)
    .option('--json', 'print machine-readable JSON')
    .action((o: { data: string; residency?: ResidencyPolicy; dryRun?: boolean; prices?: TierPrices; json?: boolean }) =>
      withStorage(o, async ({ services, storage }) => {
        const report = await applyTiers({ index: new KnexObjectIndex(services.database().knex), store: storage.backend, dryRun: o.dryRun, prices: o.prices });
        if (o.json) {
          console.log(JSON.stringify(report, null, 2));
          return;
        }
        console.log(`${o.dryRun ? 'Would move' : 'Moved'} ${report.moved} object(s)${report.failed.length ? `, ${report.failed.length} failed` : ''}.`);
        console.log('tier      objects          GB   per month');
        for (const t of ['hot', 'warm', 'cold', 'archive'] as const) {
          console.log(`${t.padEnd(8)} ${String(report.objects[t]).padStart(8)} ${(report.bytes[t] / 1e9).toFixed(3).padStart(11)} ${report.monthlyCost[t].toFixed(2).padStart(11)}`);
        }
        console.log(`total ${' '.repeat(32)}${report.monthlyCost.total.toFixed(2).padStart(11)}`);
        if (report.failed.length) process.exitCode = 1;
      }),
    );

  storage
    .command('migrate')
    .description('copy every object to another store, verify each copy, then switch to it (resumable)')
    .addOption(dataOption())
    .addOption(residency())
    .requiredOption('--to <url>', 'the new store, e.g. s3://bucket/prefix?region=ca-central-1')
    .action((o: { data: string; residency?: ResidencyPolicy; to: string }) =>
      withStorage(o, async ({ services, storage }) => {
        const secrets = FileSecretStore.inDataDir(services.dataDir);
        const to = await openStore({ url: o.to, dataDir: services.dataDir, secrets, residency: o.residency ?? services.config.store.residency });
        try {
          const result = await migrateObjects({
            index: new KnexObjectIndex(services.database().knex), from: storage.backend, to,
            journal: journalPath(services.dataDir, storage.backend, to),
            onProgress: (p) => process.stderr.write(`\r${p.done}/${p.total} objects, ${(p.bytes / 1e6).toFixed(1)} MB copied`),
          });
          process.stderr.write('\n');
          console.log(`Copied and verified ${result.done - result.skipped - result.failed.length} object(s) (${result.skipped} already done).`);
          for (const f of result.failed) console.log(`  ${f.code.padEnd(15)} ${f.key} — ${f.message}`);
          // Shared PDFs are not image objects: copied (and verified) last, before the switch.
          const shares = result.failed.length ? { copied: 0, problems: [] } : await copySharedPdfs(services.database().knex, storage.backend, to);
          if (shares.copied) console.log(`Copied and verified ${shares.copied} shared document(s).`);
          for (const p of shares.problems) console.log(`  ${p.code.padEnd(15)} ${p.key} — ${p.message}`);
          if (result.failed.length || shares.problems.length) {
            process.exitCode = 1;
            console.log(`Fix the problems above and run the same command again; the store in config.json is unchanged.`);
            return;
          }
          await saveConfig(services.dataDir, { ...services.config, store: { ...services.config.store, url: o.to } });
          console.log(`config.json now uses ${to.description.location}. The old store ${storage.backend.description.location} is unchanged: retire it when you are ready.`);
        } finally {
          await to.close();
        }
      }),
    );

  storage
    .command('rotate-key')
    .description('create a new master key and re-wrap every object\'s data key with it (no image is re-uploaded)')
    .addOption(dataOption())
    .addOption(residency())
    .option('--retire', 'forget the old master keys once every object is re-wrapped')
    .action((o: { data: string; residency?: ResidencyPolicy; retire?: boolean }) =>
      withStorage(o, async ({ services, storage }) => {
        if (!(storage.backend instanceof EncryptedStore)) throw new AppError('INVALID_INPUT', `${storage.backend.description.location} is not encrypted: nothing to rotate`);
        const secrets = FileSecretStore.inDataDir(services.dataDir);
        const keyring = await addMasterKey(secrets);
        storage.backend.setKeyring(keyring);
        const index = new KnexObjectIndex(services.database().knex);
        let done = 0;
        let failed = 0;
        for await (const row of allRows(index, storage.backend.description.kind)) {
          try {
            const keyId = await storage.backend.rewrap(row.key);
            await index.update(row.id, { encryptionKeyId: keyId });
            done++;
          } catch (error) {
            failed++;
            console.log(`  ${isStorageError(error) ? error.code : 'Error'} ${row.key} — ${(error as Error).message}`);
          }
        }
        console.log(`Re-wrapped ${done} object(s) under master key ${keyring.activeKeyId}${failed ? `; ${failed} failed` : ''}.`);
        if (failed) process.exitCode = 1;
        else if (o.retire) {
          await retireMasterKeys(secrets);
          console.log('Old master keys removed from the secret store.');
        }
      }),
    );

  storage
    .command('prefetch')
    .description("copy the images of a day's booked patients into this computer's cache (run overnight for tomorrow)")
    .addOption(dataOption())
    .addOption(residency())
    .option('--date <yyyy-mm-dd>', 'the day (default: tomorrow)', day)
    .action((o: { data: string; residency?: ResidencyPolicy; date?: string }) =>
      withStorage(o, async ({ services, storage }) => {
        const start = o.date ? new Date(`${o.date}T00:00:00`) : new Date(new Date().setHours(24, 0, 0, 0));
        const end = new Date(start.getTime() + 24 * 3600 * 1000);
        const keys = await new KnexObjectIndex(services.database().knex).keysForAppointments(start.toISOString(), end.toISOString());
        const result = await storage.cache.prefetch(keys);
        console.log(`Cached ${result.fetched} image object(s) for ${start.toDateString()} (${keys.length - result.fetched - result.failed} already cached, ${result.failed} failed).`);
        if (result.failed) process.exitCode = 1;
      }),
    );

  storage
    .command('outbox')
    .description('show (and with --drain, upload) the images waiting on this computer for the store')
    .addOption(dataOption())
    .addOption(residency())
    .option('--drain', 'upload them now')
    .action((o: { data: string; residency?: ResidencyPolicy; drain?: boolean }) =>
      withStorage(o, async ({ storage }) => {
        if (o.drain) console.log(`Uploaded ${await storage.outbox.drain()} image(s).`);
        const pending = await storage.pendingUploads();
        console.log(`${pending} image(s) waiting to upload.`);
        if (o.drain && pending) process.exitCode = 1;
      }),
    );
}

async function withStorage(
  options: { data: string; residency?: ResidencyPolicy },
  run: (ctx: { services: Services; storage: StorageService }) => Promise<void>,
  url?: string,
): Promise<void> {
  const services = await openServices({ dataDir: options.data, log: createLogger({ level: 'warn' }) });
  let storage: StorageService | undefined;
  try {
    storage = await openStorage({
      dataDir: services.dataDir, url: url ?? services.config.store.url, secrets: FileSecretStore.inDataDir(services.dataDir),
      residency: options.residency ?? services.config.store.residency, cacheBytes: services.config.cache.maxBytes,
    });
    await run({ services, storage });
  } catch (error) {
    // Storage errors a person can fix (a bad URL, a region outside the policy) exit 2 like other bad input.
    if (isStorageError(error, 'InvalidArgument') || isStorageError(error, 'ResidencyViolation')) throw new AppError('INVALID_INPUT', error.message, { cause: error });
    throw error;
  } finally {
    await storage?.close();
    await services.close();
  }
}

function day(value: string): string {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value) || Number.isNaN(Date.parse(value))) throw new InvalidArgumentError(`Expected a date as YYYY-MM-DD but received ${value}`);
  return value;
}

function fraction(value: string): number {
  const n = Number(value);
  if (!(n > 0 && n <= 1)) throw new InvalidArgumentError(`Expected a fraction between 0 and 1 but received ${value}`);
  return n;
}

function prices(value: string): TierPrices {
  const out: TierPrices = { ...defaultTierPrices };
  for (const part of value.split(',')) {
    const [tier, price] = part.split('=');
    if (!tier || !(tier in out) || !(Number(price) >= 0)) {
      throw new InvalidArgumentError(`Expected tier=price pairs (hot, warm, cold, archive) but received ${JSON.stringify(part)}`);
    }
    out[tier as keyof TierPrices] = Number(price);
  }
  return out;
}
