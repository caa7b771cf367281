import { chmod, mkdir, open, readFile, rename } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { SecretStore } from '../main/storage/secrets.js';

/** The part of Electron's `safeStorage` this store uses (the OS keychain / DPAPI / libsecret). */
export interface StringCipher {
  isEncryptionAvailable(): boolean;
  /** Linux only: 'basic_text' means no keyring, i.e. a hard-coded key — not real protection. */
  getSelectedStorageBackend?(): string;
  encryptString(plain: string): Buffer;
  decryptString(encrypted: Buffer): string;
}

export const protectedSecretsFileName = 'secrets.protected.json';

/** True when the OS really protects the key (not Linux's hard-coded 'basic_text' fallback). */
export function osProtectsSecrets(cipher: StringCipher): boolean {
  return cipher.isEncryptionAvailable() && cipher.getSelectedStorageBackend?.() !== 'basic_text';
}

/**
 * The desktop app's secrets (cloud credentials, master keys, the Orthanc password) encrypted by the
 * operating system for this user (`safeStorage`), in `<data>/secrets.protected.json` (0600, base64
 * values). A secret written by the CLI (`cusp agent` / `cusp serve` have no OS keychain and use
 * the 0600 `secrets.json`) is still read from there and left there, since the CLI on the same data
 * folder needs it too; a secret set from the desktop app (Settings) is stored here only, and its
 * plain-text copy, if any, is deleted. The CLI cannot read these: a headless agent keeps its own.
 */
export class ProtectedSecretStore implements SecretStore {
  constructor(
    private readonly cipher: StringCipher,
    readonly path: string,
    /** The CLI's file store on the same data folder. */
    private readonly plain: SecretStore,
  ) {
    if (!osProtectsSecrets(cipher)) throw new Error('The operating system offers no protected storage for secrets');
  }

  static inDataDir(cipher: StringCipher, dataDir: string, plain: SecretStore): ProtectedSecretStore {
    return new ProtectedSecretStore(cipher, join(dataDir, protectedSecretsFileName), plain);
  }

  private async load(): Promise<Record<string, string>> {
    try {
      return JSON.parse(await readFile(this.path, 'utf8')) as Record<string, string>;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
      throw error;
    }
  }

  /** Temp file + fsync + rename: a crash leaves the old file or the new one, never half of one. */
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
    const stored = (await this.load())[name];
    if (stored !== undefined) return this.cipher.decryptString(Buffer.from(stored, 'base64'));
    return this.plain.get(name);
  }

  async set(name: string, value: string): Promise<void> {
    const values = await this.load();
    values[name] = this.cipher.encryptString(value).toString('base64');
    await this.save(values);
    // Never two copies that could disagree, and no plain-text copy once a protected one exists.
    await this.plain.delete(name);
  }

  async delete(name: string): Promise<void> {
    const values = await this.load();
    if (name in values) {
      delete values[name];
      await this.save(values);
    }
    await this.plain.delete(name);
  }
}
