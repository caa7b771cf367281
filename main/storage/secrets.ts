import { randomBytes } from 'node:crypto';
import { chmod, mkdir, open, readFile, rename, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { StorageError } from './errors.js';
import type { Keyring } from './crypto.js';

/**
 * Where secrets live instead of config.json: cloud credentials, the practice master keys, the
 * URL-signing key. The desktop implements this with Electron safeStorage (in electron/); the
 * `cusp agent` / `cusp serve` commands use `FileSecretStore`, a 0600 JSON file in the data folder.
 */
export interface SecretStore {
  get(name: string): Promise<string | undefined>;
  set(name: string, value: string): Promise<void>;
  delete(name: string): Promise<void>;
}

export const secretFileName = 'secrets.json';

/**
 * A JSON object of name → value in `<data>/secrets.json`, readable by this user only (0600), written
 * atomically. Refuses to read a file that group or others may read: copy mistakes should be loud.
 */
export class FileSecretStore implements SecretStore {
  constructor(readonly path: string) {}

  static inDataDir(dataDir: string): FileSecretStore {
    return new FileSecretStore(join(dataDir, secretFileName));
  }

  private async load(): Promise<Record<string, string>> {
    try {
      const stats = await stat(this.path);
      if (process.platform !== 'win32' && (stats.mode & 0o077) !== 0) {
        throw new StorageError('AccessDenied', `${this.path} may be read by other users: run chmod 600 on it`);
      }
      return JSON.parse(await readFile(this.path, 'utf8')) as Record<string, string>;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
      throw error;
    }
  }

  private async save(values: Record<string, string>): Promise<void> {
    await mkdir(dirname(this.path), { recursive: true });
    const temp = `${this.path}.${process.pid}.tmp`;
    const handle = await open(temp, 'w', 0o600);
    try {
      await handle.writeFile(JSON.stringify(values, null, 2) + '\n');
      await handle.sync();
    } finally {
      await handle.close();
    }
    await chmod(temp, 0o600);
    await rename(temp, this.path);
  }

  async get(name: string): Promise<string | undefined> {
    return (await this.load())[name];
  }
  async set(name: string, value: string): Promise<void> {
    await this.save({ ...(await this.load()), [name]: value });
  }
  async delete(name: string): Promise<void> {
    const values = await this.load();
    delete values[name];
    await this.save(values);
  }
}

/** In memory (tests, one-shot tools). */
export class MemorySecretStore implements SecretStore {
  readonly values = new Map<string, string>();
  async get(name: string) {
    return this.values.get(name);
  }
  async set(name: string, value: string) {
    this.values.set(name, value);
  }
  async delete(name: string) {
    this.values.delete(name);
  }
}

const masterKeysName = 'storage.master-keys';
const signingKeyName = 'storage.url-signing-key';

interface StoredKeyring {
  active: string;
  keys: Record<string, string>;
}

/** The practice master keys; the first call creates one. */
export async function loadKeyring(secrets: SecretStore): Promise<Keyring> {
  const raw = await secrets.get(masterKeysName);
  if (!raw) return addMasterKey(secrets);
  const stored = JSON.parse(raw) as StoredKeyring;
  return { activeKeyId: stored.active, keys: new Map(Object.entries(stored.keys).map(([id, k]) => [id, Buffer.from(k, 'base64')])) };
}

/** Adds a new master key and makes it the active one (step one of rotation; then re-wrap). */
export async function addMasterKey(secrets: SecretStore): Promise<Keyring> {
  const raw = await secrets.get(masterKeysName);
  const stored: StoredKeyring = raw ? (JSON.parse(raw) as StoredKeyring) : { active: '', keys: {} };
  const id = `mk-${new Date().toISOString().slice(0, 10).replace(/-/g, '')}-${randomBytes(3).toString('hex')}`;
  stored.keys[id] = randomBytes(32).toString('base64');
  stored.active = id;
  await secrets.set(masterKeysName, JSON.stringify(stored));
  return loadKeyring(secrets);
}

/** Forgets master keys other than the active one (after every object was re-wrapped). */
export async function retireMasterKeys(secrets: SecretStore): Promise<void> {
  const keyring = await loadKeyring(secrets);
  const active = keyring.keys.get(keyring.activeKeyId)!;
  await secrets.set(masterKeysName, JSON.stringify({ active: keyring.activeKeyId, keys: { [keyring.activeKeyId]: active.toString('base64') } }));
}

/** The key the file store signs its URLs with (created on first use). */
export async function urlSigningKey(secrets: SecretStore): Promise<Buffer> {
  const existing = await secrets.get(signingKeyName);
  if (existing) return Buffer.from(existing, 'base64');
  const key = randomBytes(32);
  await secrets.set(signingKeyName, key.toString('base64'));
  return key;
}

/** Credentials of a cloud store, by the secret name `openStore` reads (see open.ts). */
export function credentialsSecretName(kind: 's3' | 'azure', accountOrBucket: string): string {
  return `storage.credentials.${kind}.${accountOrBucket}`;
}
