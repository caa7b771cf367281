import { createReadStream } from 'node:fs';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import type { Readable } from 'node:stream';
import type { IngestStore } from './pipeline.js';

/**
 * A minimal filesystem object store for ingest (temp file + fsync + rename, so an object is
 * either absent or complete). It stands in until main/storage's store factory (file/s3/azure by
 * URL) is available; it speaks the same `ObjectStore` subset and key layout.
 */
export class FolderStore implements IngestStore {
  readonly description = { kind: 'file' as const };
  private readonly root: string;

  constructor(root: string) {
    this.root = resolve(root);
  }

  private path(key: string): string {
    if (!/^[A-Za-z0-9_-][A-Za-z0-9._=-]*(\/[A-Za-z0-9_-][A-Za-z0-9._=-]*)*$/.test(key)) throw new Error(`invalid object key ${JSON.stringify(key)}`);
    const path = resolve(this.root, ...key.split('/'));
    if (!path.startsWith(this.root + sep)) throw new Error(`invalid object key ${JSON.stringify(key)}`);
    return path;
  }

  async put(key: string, body: Buffer): Promise<void> {
    const target = this.path(key);
    await mkdir(dirname(target), { recursive: true });
    const temp = join(dirname(target), `.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`);
    const handle = await open(temp, 'w');
    try {
      await handle.writeFile(body);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, target);
  }

  async get(key: string): Promise<{ body: Readable }> {
    const path = this.path(key);
    const stream = createReadStream(path);
    await new Promise<void>((resolveOpen, reject) => {
      stream.once('open', () => resolveOpen());
      stream.once('error', reject);
    });
    return { body: stream };
  }

  async delete(key: string): Promise<void> {
    await rm(this.path(key), { force: true });
  }
}
