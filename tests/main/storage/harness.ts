import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, rm, stat, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { AzureStore } from '../../../main/storage/azure.js';
import { StorageError, type StorageErrorCode } from '../../../main/storage/errors.js';
import { FileStore } from '../../../main/storage/file.js';
import { serveSignedObject } from '../../../main/storage/objects-route.js';
import { S3Store } from '../../../main/storage/s3.js';
import type { ObjectStore } from '../../../main/storage/store.js';
import { startAzurite, type AzuriteServer } from '../../support/azurite.js';
import { repoRoot, scratchDir } from '../../support/paths.js';
import { freeLoopbackPort } from '../../support/ports.js';
import { startS3rver, type S3Server } from '../../support/s3.js';

/**
 * One real backend for the conformance suite: the store under test, plus ways to make it fail the
 * way a clinic's store fails (refused credentials, unreachable).
 */
export interface Backend {
  store: ObjectStore;
  /** The same store with credentials it refuses; `probe` runs one call and returns the error code. */
  denied(): Promise<StorageErrorCode | 'ok'>;
  /** A store of this kind that cannot be reached. */
  unreachable(): Promise<ObjectStore>;
  close(): Promise<void>;
}

export async function fileBackend(): Promise<Backend> {
  const dir = scratchDir('file-store');
  const signingKey = randomBytes(32);
  const served: { store?: FileStore } = {};
  const server: Server = createServer((req, res) => {
    void serveSignedObject(served.store!, signingKey, req, res).then((handled) => {
      if (!handled) res.writeHead(404).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const store = await FileStore.create({ root: join(dir, 'objects'), signingKey, publicUrl: origin });
  served.store = store;
  return {
    store,
    async denied() {
      // A folder this user may not enter. Root ignores permissions, so as root the call runs in a
      // child process as `nobody`; otherwise in this process.
      const root = join(dir, 'locked', 'objects');
      await mkdir(root, { recursive: true });
      await writeFile(join(root, 'x'), 'x');
      if (process.getuid?.() === 0) return deniedAsNobody(root);
      await chmod(join(dir, 'locked'), 0o000);
      try {
        await new FileStore({ root, signingKey }).head('x');
        return 'ok';
      } catch (error) {
        return error instanceof StorageError ? error.code : 'ok';
      } finally {
        await chmod(join(dir, 'locked'), 0o700);
      }
    },
    async unreachable() {
      return new FileStore({ root: join(dir, 'unplugged-disk'), signingKey });
    },
    async close() {
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

async function deniedAsNobody(root: string): Promise<StorageErrorCode | 'ok'> {
  const script = join(scratchDir('nobody'), 'probe.mjs');
  await writeFile(
    script,
    `const { FileStore } = await import(${JSON.stringify(join(repoRoot, 'main', 'storage', 'file.ts'))});
     try { await new FileStore({ root: ${JSON.stringify(root)}, signingKey: Buffer.alloc(32) }).head('x'); console.log('ok'); }
     catch (e) { console.log(e.code ?? 'ok'); }`,
  );
  await chmod(join(script, '..'), 0o755);
  // The scratch root is private to this user: let `nobody` reach the probe script but not the store;
  // so is a checkout in a fresh `mktemp -d` (CI clones there): let `nobody` reach the code it runs.
  const passable = async (from: string) => {
    for (let dir = from; dir.length > 4 && dir.startsWith('/tmp/'); dir = join(dir, '..')) await chmod(dir, ((await stat(dir)).mode & 0o7777) | 0o711);
  };
  await passable(join(script, '..', '..'));
  await passable(join(repoRoot, '..'));
  const tsx = join(repoRoot, 'node_modules', 'tsx', 'dist', 'esm', 'index.mjs');
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', tsx, script], { uid: 65534, gid: 65534, cwd: '/' });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(out.trim() as StorageErrorCode) : reject(new Error(`probe as nobody failed: ${err}`))));
  });
}

export async function s3Backend(server?: S3Server): Promise<Backend & { server: S3Server }> {
  const s3 = server ?? (await startS3rver());
  const prefix = `run-${randomBytes(4).toString('hex')}`;
  const make = (overrides: Partial<ConstructorParameters<typeof S3Store>[0]> = {}) =>
    new S3Store({
      bucket: s3.bucket, prefix, region: s3.region, endpoint: s3.endpoint, forcePathStyle: true, credentials: s3.credentials,
      // s3rver knows no GLACIER_IR; the mapping itself is a unit test (tiering.test.ts).
      storageClasses: { hot: 'STANDARD', warm: 'STANDARD_IA', cold: 'ONEZONE_IA' },
      partSize: 5 * 1024 * 1024, ...overrides,
    });
  const store = make();
  return {
    server: s3,
    store,
    async denied() {
      const denied = make({ credentials: { accessKeyId: 'NOT-A-KEY', secretAccessKey: 'wrong' } });
      try {
        await denied.head('x');
        return 'ok';
      } catch (error) {
        return error instanceof StorageError ? error.code : 'ok';
      } finally {
        await denied.close();
      }
    },
    async unreachable() {
      return make({ endpoint: `http://127.0.0.1:${await freeLoopbackPort()}`, maxAttempts: 1 });
    },
    async close() {
      await store.close();
      if (!server) await s3.stop();
    },
  };
}

export async function azureBackend(server?: AzuriteServer): Promise<Backend & { server: AzuriteServer }> {
  const azurite = server ?? (await startAzurite());
  const container = `c${randomBytes(6).toString('hex')}`;
  const make = (overrides: Partial<ConstructorParameters<typeof AzureStore>[0]> = {}) =>
    new AzureStore({
      account: azurite.account, accountKey: azurite.accountKey, container, prefix: 'p', endpoint: azurite.endpoint,
      region: 'canadacentral', blockSize: 5 * 1024 * 1024, ...overrides,
    });
  const store = make();
  await store.ensureContainer();
  return {
    server: azurite,
    store,
    async denied() {
      const denied = make({ accountKey: randomBytes(64).toString('base64') });
      try {
        await denied.head('x');
        return 'ok';
      } catch (error) {
        return error instanceof StorageError ? error.code : 'ok';
      }
    },
    async unreachable() {
      return make({ endpoint: `http://127.0.0.1:${await freeLoopbackPort()}/devstoreaccount1`, maxTries: 1 });
    },
    async close() {
      await store.close();
      if (!server) await azurite.stop();
    },
  };
}

export async function removeDir(path: string) {
  await rm(path, { recursive: true, force: true });
}
