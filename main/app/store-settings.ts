import { randomBytes, randomUUID } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { z } from 'zod';
import { storeFormSchema, type MigrationStatus, type StoreTestResult } from '../../contract/index.js';
import { isStorageError } from '../storage/errors.js';
import { copySharedPdfs } from '../share/migrate.js';
import { journalPath, migrateObjects, type MigrationProgress } from '../storage/migrate.js';
import { KnexObjectIndex } from '../storage/object-index.js';
import { isInCanada, openStore, parseStoreUrl, type ResidencyPolicy } from '../storage/open.js';
import { credentialsSecretName, type SecretStore } from '../storage/secrets.js';
import type { ObjectStore } from '../storage/store.js';
import { loadConfig, saveConfig } from './config.js';
import { AppError } from './errors.js';
import type { Services } from './services.js';

type StoreForm = z.output<typeof storeFormSchema>;

/**
 * Settings → Storage: the store URL and secret a form describes, a probe of it, and the
 * migration to it as a background job of this process.
 */
export interface DescribedStore {
  /** config.json `store.url` (no secrets). */
  url: string;
  /** Credentials to keep in the secret store, if the form carried them. */
  secret?: { name: string; value: string };
}

export function describeStore(form: StoreForm): DescribedStore {
  if (form.kind === 'file') {
    return { url: isAbsolute(form.folder) ? pathToFileURL(form.folder).toString() : `file:${form.folder}` };
  }
  const prefix = form.prefix.replace(/^\/+|\/+$/g, '');
  const params = new URLSearchParams({ region: form.region });
  if (form.endpoint) params.set('endpoint', form.endpoint);
  if (form.kind === 's3' && form.endpoint) params.set('pathStyle', '1');
  if (form.inCanada) params.set('country', 'CA');
  // Readable URLs: the endpoint's ':' and '/' need no escaping in a query.
  const query = decodeURIComponent(params.toString());
  if (form.kind === 's3') {
    const url = `s3://${form.bucket}/${prefix}?${query}`;
    return form.accessKeyId && form.secretAccessKey
      ? { url, secret: { name: credentialsSecretName('s3', form.bucket), value: JSON.stringify({ accessKeyId: form.accessKeyId, secretAccessKey: form.secretAccessKey }) } }
      : { url };
  }
  const url = `azure://${form.account}/${[form.container, prefix].filter(Boolean).join('/')}?${query}`;
  return form.accountKey ? { url, secret: { name: credentialsSecretName('azure', form.account), value: JSON.stringify({ accountKey: form.accountKey }) } } : { url };
}

/** The real secret store with the form's credentials in front (a test saves nothing but keys it must create). */
function withCredentials(secrets: SecretStore, secret: DescribedStore['secret']): SecretStore {
  if (!secret) return secrets;
  return {
    get: async (name) => (name === secret.name ? secret.value : secrets.get(name)),
    set: (name, value) => secrets.set(name, value),
    delete: (name) => secrets.delete(name),
  };
}

function describeFailure(error: unknown, location: string): { code: string; message: string } {
  if (isStorageError(error)) {
    if (error.code === 'Unavailable') return { code: error.code, message: `The store ${location} cannot be reached: check the address, the port and the network.` };
    if (error.code === 'NotFound') return { code: error.code, message: `The store ${location} has no such bucket or container: create it first (${error.message}).` };
    if (error.code === 'AccessDenied') return { code: error.code, message: `The store ${location} refuses these credentials: check the key and its permissions.` };
    return { code: error.code, message: error.message };
  }
  return { code: 'Error', message: error instanceof Error ? error.message : String(error) };
}

/** Opens the described store (residency first), writes a probe object, reads it back, deletes it. */
export async function testStore(options: { store: DescribedStore; dataDir: string; secrets: SecretStore; residency: ResidencyPolicy }): Promise<StoreTestResult> {
  let location = options.store.url;
  let store: ObjectStore | undefined;
  try {
    store = await openStore({ url: options.store.url, dataDir: options.dataDir, secrets: withCredentials(options.secrets, options.store.secret), residency: options.residency, maxAttempts: 1 });
    location = store.description.location;
    const key = `cusp-probe/${randomUUID()}`;
    const body = randomBytes(64);
    await store.put(key, body, { contentType: 'application/octet-stream' });
    const chunks: Buffer[] = [];
    for await (const chunk of (await store.get(key)).body) chunks.push(chunk as Buffer);
    await store.delete(key);
    if (!Buffer.concat(chunks).equals(body)) return { ok: false, code: 'IntegrityError', message: `The store ${location} returned different bytes than were written.` };
    const spec = parseStoreUrl(options.store.url, options.dataDir);
    return { ok: true, location, inCanada: isInCanada(spec), encrypted: store.description.encrypted };
  } catch (error) {
    return { ok: false, ...describeFailure(error, location) };
  } finally {
    await store?.close().catch(() => undefined);
  }
}

const stateSchema = z.object({
  to: z.string(),
  state: z.enum(['running', 'failed', 'done']),
  startedAt: z.string(),
  progress: z.object({ done: z.number(), total: z.number(), bytes: z.number(), failed: z.number() }),
  errors: z.array(z.string()),
});
type SavedState = z.infer<typeof stateSchema>;

/**
 * The migration to another store as a background job of this process (`cusp serve`, the desktop
 * app), over the same `migrateObjects` as `cusp storage migrate`: each object copied, read back and
 * verified before its row moves, with a journal so an interrupted run resumes where it stopped.
 * `store.url` switches (config.json and the running services) only once every object is on the
 * new store. The job's state is kept in `<data>/storage/migrations/current.json`, so after a
 * restart the Settings screen shows the run as interrupted and offers to resume it.
 */
export class StoreMigrations {
  private running: Promise<void> | null = null;
  private live: SavedState | null = null;

  constructor(private readonly services: Services, private readonly secrets: SecretStore) {}

  private get statePath() {
    return join(this.services.dataDir, 'storage', 'migrations', 'current.json');
  }

  private async saved(): Promise<SavedState | null> {
    try {
      return stateSchema.parse(JSON.parse(await readFile(this.statePath, 'utf8')));
    } catch {
      return null;
    }
  }

  private async save(state: SavedState): Promise<void> {
    await mkdir(join(this.services.dataDir, 'storage', 'migrations'), { recursive: true });
    const temp = `${this.statePath}.${process.pid}.tmp`;
    await writeFile(temp, JSON.stringify(state));
    await rename(temp, this.statePath);
  }

  async status(): Promise<MigrationStatus> {
    const state = this.live ?? (await this.saved());
    if (!state) return { state: 'idle', to: null, done: 0, total: 0, bytes: 0, failed: 0, errors: [] };
    const shown = state.state === 'running' && !this.running ? 'interrupted' : state.state;
    return { state: shown, to: safeLocation(state.to, this.services.dataDir), ...state.progress, errors: state.errors };
  }

  /** Resumes the interrupted or failed run (its credentials are already in the secret store). */
  async resume(userId: string | null): Promise<MigrationStatus> {
    const state = await this.saved();
    if (!state || state.state === 'done') throw new AppError('NOT_FOUND', 'There is no interrupted migration to resume');
    return this.start({ url: state.to }, userId);
  }

  /** Starts (or, to the same store, resumes) the migration in the background; CONFLICT while one runs. */
  async start(target: DescribedStore, _userId: string | null): Promise<MigrationStatus> {
    if (this.running) throw new AppError('CONFLICT', 'A migration is already running: wait for it to finish');
    const current = this.services.storage();
    const { residency } = this.services.config.store;
    if (parseStoreUrl(target.url, this.services.dataDir).url === parseStoreUrl(this.services.config.store.url, this.services.dataDir).url) {
      throw new AppError('INVALID_INPUT', 'That is the store in use already');
    }
    let to: ObjectStore;
    try {
      to = await openStore({ url: target.url, dataDir: this.services.dataDir, secrets: withCredentials(this.secrets, target.secret), residency });
    } catch (error) {
      throw new AppError('INVALID_INPUT', describeFailure(error, target.url).message, { cause: error });
    }
    if (target.secret) await this.secrets.set(target.secret.name, target.secret.value);
    // Objects still in the outbox are not on the old store yet: upload them first.
    if ((await current.pendingUploads()) > 0) await current.outbox.drain().catch(() => 0);
    if ((await current.pendingUploads()) > 0) {
      await to.close();
      throw new AppError('UNAVAILABLE', 'Some images still wait on this computer for the current store: migrate once they are uploaded');
    }
    const previous = await this.saved();
    const resumed = previous && previous.to === target.url && previous.state !== 'done' ? previous : null;
    this.live = {
      to: target.url, state: 'running', startedAt: resumed?.startedAt ?? new Date().toISOString(),
      progress: resumed?.progress ?? { done: 0, total: 0, bytes: 0, failed: 0 }, errors: [],
    };
    await this.save(this.live);
    const log = this.services.log.child({ component: 'store-migration' });
    log.info({ to: to.description.location }, 'store migration started');
    this.running = this.run(current.backend, to, log).finally(() => {
      this.running = null;
    });
    return this.status();
  }

  /** Resolves when the running job (if any) has finished: tests and shutdown. */
  async idle(): Promise<void> {
    await this.running;
  }

  private async run(from: ObjectStore, to: ObjectStore, log: Services['log']): Promise<void> {
    const state = this.live!;
    let lastSaved = 0;
    const onProgress = (p: MigrationProgress) => {
      state.progress = { done: p.done, total: p.total, bytes: p.bytes, failed: p.failed.length };
      state.errors = p.failed.slice(0, 5).map((f) => `${f.code}: ${f.key}`);
      if (Date.now() - lastSaved > 1000) {
        lastSaved = Date.now();
        void this.save(state).catch(() => undefined);
      }
    };
    try {
      const knex = this.services.database().knex;
      const index = new KnexObjectIndex(knex);
      const result = await migrateObjects({ index, from, to, journal: journalPath(this.services.dataDir, from, to), onProgress });
      onProgress(result);
      const left = from.description.kind === to.description.kind ? 0 : Number((await knex('stored_objects').where('backend', from.description.kind).count({ n: '*' }).first())?.n ?? 0);
      // Shared PDFs are not image objects: copied (and verified) last, before the switch.
      const shares = result.failed.length || left ? null : await copySharedPdfs(knex, from, to);
      if (!shares) {
        state.state = 'failed';
        if (left && !result.failed.length) state.errors = [`${left} object(s) arrived during the migration: run it again`];
        log.warn({ failed: result.failed.length, left }, 'store migration incomplete; store unchanged');
      } else if (shares.problems.length) {
        state.state = 'failed';
        state.errors = shares.problems.slice(0, 5).map((p) => `${p.code}: ${p.key}`);
        log.warn({ failed: shares.problems.length }, 'store migration incomplete (shared documents); store unchanged');
      } else {
        const config = await loadConfig(this.services.dataDir);
        await saveConfig(this.services.dataDir, { ...config, store: { ...config.store, url: state.to } });
        await this.services.replaceStorage(state.to);
        state.state = 'done';
        log.info({ objects: result.done, bytes: result.bytes, sharedDocuments: shares.copied }, 'store migration done; store switched');
      }
    } catch (error) {
      // Unreachable destination (or the database): the run stops and can be resumed.
      state.state = 'failed';
      state.errors = [describeFailure(error, to.description.location).message];
      log.warn({ code: isStorageError(error) ? error.code : 'Error' }, 'store migration stopped');
    } finally {
      await to.close().catch(() => undefined);
      await this.save(state).catch(() => undefined);
      this.live = null;
    }
  }
}

/** A store URL safe to show: cloud URLs have no secrets; file URLs become the folder. */
export function safeLocation(url: string, dataDir: string): string {
  try {
    const spec = parseStoreUrl(url, dataDir);
    return spec.kind === 'file' ? spec.file!.root : spec.url;
  } catch {
    return url;
  }
}
