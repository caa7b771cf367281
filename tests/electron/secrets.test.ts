// Pins down the desktop app's secret store: values are encrypted by the OS cipher before they touch
// the disk, read back, deleted everywhere, and a secret the CLI wrote in the 0600 file is still
// found. The cipher here is AES-GCM under a key only this test holds, standing in for the OS
// keychain (Electron's safeStorage cannot run on these machines).
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { osProtectsSecrets, ProtectedSecretStore, protectedSecretsFileName, type StringCipher } from '../../electron/secrets.js';
import { FileSecretStore } from '../../main/storage/secrets.js';
import { scratchDir } from '../support/paths.js';

function keychainCipher(backend = 'gnome_libsecret'): StringCipher {
  const key = randomBytes(32);
  return {
    isEncryptionAvailable: () => true,
    getSelectedStorageBackend: () => backend,
    encryptString(plain) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
      return Buffer.concat([iv, cipher.getAuthTag(), body]);
    },
    decryptString(encrypted) {
      const decipher = createDecipheriv('aes-256-gcm', key, encrypted.subarray(0, 12));
      decipher.setAuthTag(encrypted.subarray(12, 28));
      return Buffer.concat([decipher.update(encrypted.subarray(28)), decipher.final()]).toString('utf8');
    },
  };
}

describe('ProtectedSecretStore', () => {
  it('never writes a secret in plain text, and reads it back', async () => {
    const dir = scratchDir('protected-secrets');
    const store = ProtectedSecretStore.inDataDir(keychainCipher(), dir, FileSecretStore.inDataDir(dir));
    const secret = '{"accessKeyId":"AKIAEXAMPLE","secretAccessKey":"wJalrXUtnFEMI/K7MDENG"}';
    await store.set('storage.credentials.s3.clinic', secret);
    const file = join(dir, protectedSecretsFileName);
    const onDisk = readFileSync(file, 'utf8');
    expect(onDisk).not.toContain('AKIAEXAMPLE');
    expect(onDisk).not.toContain('wJalrXUtnFEMI');
    if (process.platform !== 'win32') expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(await store.get('storage.credentials.s3.clinic')).toBe(secret);
    expect(await store.get('unknown')).toBeUndefined();
  });

  it('finds a secret the CLI wrote, and removes the plain copy when the app sets or deletes it', async () => {
    const dir = scratchDir('protected-secrets');
    const plain = FileSecretStore.inDataDir(dir);
    await plain.set('orthanc.password', 'from-the-cli');
    await plain.set('storage.master-key', 'kept-for-the-agent');
    const store = ProtectedSecretStore.inDataDir(keychainCipher(), dir, plain);
    expect(await store.get('orthanc.password')).toBe('from-the-cli');
    expect(await plain.get('orthanc.password')).toBe('from-the-cli'); // the CLI still needs it

    await store.set('orthanc.password', 'changed-in-settings');
    expect(await store.get('orthanc.password')).toBe('changed-in-settings');
    expect(await plain.get('orthanc.password')).toBeUndefined();
    expect(readFileSync(join(dir, 'secrets.json'), 'utf8')).not.toContain('changed-in-settings');

    await store.delete('storage.master-key');
    expect(await store.get('storage.master-key')).toBeUndefined();
  });

  it('is not used without real OS protection (no keyring: Linux basic_text)', () => {
    const dir = scratchDir('protected-secrets');
    expect(osProtectsSecrets(keychainCipher('basic_text'))).toBe(false);
    expect(osProtectsSecrets({ ...keychainCipher(), isEncryptionAvailable: () => false })).toBe(false);
    expect(osProtectsSecrets(keychainCipher())).toBe(true);
    expect(() => ProtectedSecretStore.inDataDir(keychainCipher('basic_text'), dir, FileSecretStore.inDataDir(dir))).toThrow(/no protected storage/);
  });

  it('does not decrypt with another key (a copied data folder does not carry the secrets)', async () => {
    const dir = scratchDir('protected-secrets');
    await ProtectedSecretStore.inDataDir(keychainCipher(), dir, FileSecretStore.inDataDir(dir)).set('db.password', 'pg-secret');
    const elsewhere = ProtectedSecretStore.inDataDir(keychainCipher(), dir, FileSecretStore.inDataDir(dir));
    await expect(elsewhere.get('db.password')).rejects.toThrow();
  });
});
