/**
 * Migration file → S3 → Azure, each run killed (SIGKILL) part-way in a child process and then
 * restarted: it completes, every row points at the new store only after its copy verified, every
 * object reads back with its recorded sha256, and the old store is untouched and still readable.
 */
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AzureStore } from '../../../main/storage/azure.js';
import { journalPath } from '../../../main/storage/migrate.js';
import { openStore } from '../../../main/storage/open.js';
import { credentialsSecretName, FileSecretStore } from '../../../main/storage/secrets.js';
import type { ObjectStore } from '../../../main/storage/store.js';
import { verifyObject } from '../../../main/storage/verify.js';
import { startAzurite, type AzuriteServer } from '../../support/azurite.js';
import { repoRoot, scratchDir } from '../../support/paths.js';
import { startS3rver, type S3Server } from '../../support/s3.js';
import { JsonFileIndex } from './json-index.js';

const tsx = join(repoRoot, 'node_modules', 'tsx', 'dist', 'esm', 'index.mjs');
const child = join(repoRoot, 'tests', 'main', 'storage', 'migrate-child.ts');

/** Runs the migration child; with `killAfter`, SIGKILLs it once that many objects are reported done. */
function runMigration(dataDir: string, from: string, to: string, killAfter?: number): Promise<{ killed: boolean; out: string }> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, ['--import', tsx, child, dataDir, from, to], { cwd: repoRoot });
    let out = '';
    let err = '';
    let killed = false;
    proc.stdout.on('data', (d: Buffer) => {
      out += d;
      const done = [...out.matchAll(/done (\d+)\//g)].map((m) => Number(m[1]));
      if (killAfter !== undefined && !killed && done.some((n) => n >= killAfter)) {
        killed = true;
        proc.kill('SIGKILL');
      }
    });
    proc.stderr.on('data', (d: Buffer) => (err += d));
    proc.on('error', reject);
    proc.on('exit', (code) => (killed || code === 0 ? resolve({ killed, out }) : reject(new Error(`migration exited ${code}: ${err}`))));
  });
}

const journalLines = (path: string) => readFileSync(path, 'utf8').split('\n').filter(Boolean).length;

describe('storage migration', () => {
  let s3: S3Server;
  let azurite: AzuriteServer;
  beforeAll(async () => {
    [s3, azurite] = await Promise.all([startS3rver(), startAzurite()]);
  });
  afterAll(async () => {
    await Promise.all([s3?.stop(), azurite?.stop()]);
  });

  it('moves every object file → S3 → Azure through kills, switching rows only after verification', async () => {
    const dataDir = scratchDir('migration');
    const secrets = FileSecretStore.inDataDir(dataDir);
    await secrets.set(credentialsSecretName('s3', s3.bucket), JSON.stringify(s3.credentials));
    await secrets.set(credentialsSecretName('azure', azurite.account), JSON.stringify({ accountKey: azurite.accountKey }));
    const fileUrl = 'file:objects';
    const s3Url = `s3://${s3.bucket}/clinic?region=ca-central-1&endpoint=${s3.endpoint}&pathStyle=1&country=CA&classes=STANDARD,STANDARD_IA,ONEZONE_IA`;
    const azureUrl = `azure://${azurite.account}/images/clinic?region=canadacentral&endpoint=${azurite.endpoint}&country=CA`;
    await new AzureStore({ account: azurite.account, accountKey: azurite.accountKey, container: 'images', endpoint: azurite.endpoint, region: 'canadacentral' }).ensureContainer();

    const source = await openStore({ url: fileUrl, dataDir, secrets, residency: 'canada' });
    const objects = Array.from({ length: 30 }, (_, i) => ({ id: `row-${String(i).padStart(2, '0')}`, key: `prac/img-${i}/${i % 3 ? 'view' : 'master'}`, bytes: randomBytes(400_000 + i * 1000) }));
    // Odd-numbered images were moved to warm before the migration; the tier must travel.
    const tierOf = (o: { id: string }) => (Number(o.id.slice(4)) % 2 ? ('warm' as const) : ('hot' as const));
    for (const o of objects) await source.put(o.key, o.bytes, { contentType: 'image/jpeg', tier: tierOf(o) });
    const index = JsonFileIndex.create(join(dataDir, 'index.json'), objects.map((o) => ({
      id: o.id, imageId: `img-${o.id}`, variant: o.key.split('/')[2]!, backend: 'file' as const, key: o.key, bytes: o.bytes.length,
      sha256: createHash('sha256').update(o.bytes).digest('hex'), tier: tierOf(o),
      encryptionKeyId: null, createdAt: '2026-01-01T00:00:00Z', verifiedAt: null, lastUsedAt: null,
    })));

    const check = async (store: ObjectStore, backend: string) => {
      for (const row of index.rows()) {
        expect(row.backend, row.id).toBe(backend);
        expect(row.verifiedAt).not.toBeNull();
        expect(await verifyObject(store, row.key, row.sha256, row.bytes), row.key).toBeNull();
      }
    };

    for (const [from, to, backend] of [[fileUrl, s3Url, 's3'], [s3Url, azureUrl, 'azure']] as const) {
      const first = await runMigration(dataDir, from, to, 8);
      expect(first.killed).toBe(true);
      const fromStore = await openStore({ url: from, dataDir, secrets, access: 'read' });
      const toStore = await openStore({ url: to, dataDir, secrets });
      const journal = journalPath(dataDir, fromStore, toStore);
      const switchedBeforeRestart = journalLines(journal);
      expect(switchedBeforeRestart).toBeGreaterThanOrEqual(8);
      expect(switchedBeforeRestart).toBeLessThan(objects.length);
      // No row points at an object that is not there and verified, even mid-migration.
      for (const row of index.rows()) {
        const store = row.backend === backend ? toStore : fromStore;
        expect(await verifyObject(store, row.key, row.sha256, row.bytes), `${row.key} on ${row.backend}`).toBeNull();
      }
      const second = await runMigration(dataDir, from, to);
      expect(second.out).toMatch(new RegExp(`"skipped":${switchedBeforeRestart}`));
      await check(toStore, backend);
      expect(toStore.description.encrypted).toBe(true);
      expect(index.rows().every((r) => r.encryptionKeyId?.startsWith('mk-'))).toBe(true);
      // The old store is untouched and still readable.
      for (const row of index.rows()) expect(await verifyObject(fromStore, row.key, row.sha256, row.bytes)).toBeNull();
      await fromStore.close();
      await toStore.close();
    }
    // Tiers travelled with the objects.
    const azure = await openStore({ url: azureUrl, dataDir, secrets });
    expect((await azure.head('prac/img-1/view')).tier).toBe('warm');
    expect((await azure.head('prac/img-2/view')).tier).toBe('hot');
    await azure.close();
  });
});
