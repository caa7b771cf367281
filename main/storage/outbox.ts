import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, open, readFile, readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { isStorageError } from './errors.js';
import {
  checkKey, checkRange, checkSha256, clampRange, toReadable,
  type Body, type GetOptions, type GetResult, type ListOptions, type ListPage, type ObjectInfo, type ObjectStore,
  type PutOptions, type Tier,
} from './store.js';

/**
 * Never lose a new image because the store is down: every put is first written to a local outbox
 * (`<data>/storage/outbox/`, fsynced), then uploaded from there. If the upload fails because the
 * store is unreachable (`Unavailable`), the object stays queued and `put` still succeeds — it is
 * safe on this disk — and `drain()` (called on a timer and whenever the store answers again)
 * uploads the queue oldest first. Any other failure (a refused key, an integrity error) is thrown
 * and the entry is dropped, as the caller must hear about it. Reads of queued objects are served
 * from the outbox, so a new image can be viewed before it reaches the store.
 *
 * Each entry is `<seq>-<uuid>.bin` + `.json` (key and put options); the .json is written last
 * and marks the entry complete.
 */
interface Entry {
  key: string;
  size: number;
  sha256: string;
  contentType?: string;
  metadata?: Record<string, string>;
  tier?: Tier;
  queuedAt: string;
}

export class OutboxStore implements ObjectStore {
  readonly description;
  private draining: Promise<number> | null = null;
  private seq = 0;

  constructor(readonly inner: ObjectStore, private readonly dir: string) {
    this.description = inner.description;
  }

  /** How many objects wait for the store (for `app.health` → `ingest.outbox`). */
  async pending(): Promise<number> {
    return (await this.entries()).length;
  }

  private async entries(): Promise<string[]> {
    try {
      return (await readdir(this.dir)).filter((n) => n.endsWith('.json')).sort().map((n) => n.slice(0, -5));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
  }

  async put(key: string, body: Body, options: PutOptions = {}): Promise<ObjectInfo> {
    checkKey(key);
    await mkdir(this.dir, { recursive: true });
    // Sortable names: time, then a counter within this process, then a uuid across processes.
    const id = `${Date.now().toString().padStart(15, '0')}-${String(this.seq++).padStart(6, '0')}-${randomUUID()}`;
    const data = join(this.dir, `${id}.bin`);
    const hash = createHash('sha256');
    let size = 0;
    try {
      await pipeline(
        toReadable(body),
        new Transform({
          transform(chunk: Buffer, _e, done) {
            hash.update(chunk);
            size += chunk.length;
            done(null, chunk);
          },
        }),
        createWriteStream(data, { mode: 0o600 }),
      );
      const sha256 = hash.digest('hex');
      checkSha256(options.sha256, sha256, key);
      await syncFile(data);
      const entry: Entry = { key, size, sha256, contentType: options.contentType, metadata: options.metadata, tier: options.tier, queuedAt: new Date().toISOString() };
      await writeDurably(join(this.dir, `${id}.json`), JSON.stringify(entry));
    } catch (error) {
      await rm(data, { force: true });
      throw error;
    }
    try {
      return await this.upload(id, { ...options, onProgress: options.onProgress });
    } catch (error) {
      if (isStorageError(error, 'Unavailable')) {
        const entry = await this.readEntry(id);
        return { key, size: entry.size, sha256: entry.sha256, contentType: entry.contentType, tier: entry.tier ?? 'hot', metadata: entry.metadata ?? {} };
      }
      await this.remove(id);
      throw error;
    }
  }

  private async readEntry(id: string): Promise<Entry> {
    return JSON.parse(await readFile(join(this.dir, `${id}.json`), 'utf8')) as Entry;
  }

  private async remove(id: string) {
    await rm(join(this.dir, `${id}.json`), { force: true });
    await rm(join(this.dir, `${id}.bin`), { force: true });
  }

  private async upload(id: string, extra: Pick<PutOptions, 'onProgress' | 'ifAbsent'> = {}): Promise<ObjectInfo> {
    const entry = await this.readEntry(id);
    const info = await this.inner.put(entry.key, createReadStream(join(this.dir, `${id}.bin`)), {
      contentType: entry.contentType, metadata: entry.metadata, tier: entry.tier, sha256: entry.sha256, ...extra,
    });
    await this.remove(id);
    return info;
  }

  /**
   * Uploads queued objects oldest first until the queue is empty or the store is unreachable again.
   * Returns how many were uploaded. Concurrent calls share one run. Entries failing for another
   * reason are set aside as `<id>.failed.json` for a person to look at, never deleted.
   */
  drain(): Promise<number> {
    this.draining ??= (async () => {
      let uploaded = 0;
      try {
        for (const id of await this.entries()) {
          try {
            await this.upload(id);
            uploaded++;
          } catch (error) {
            if (isStorageError(error, 'Unavailable')) break;
            await rename(join(this.dir, `${id}.json`), join(this.dir, `${id}.failed`)).catch(() => undefined);
          }
        }
        return uploaded;
      } finally {
        this.draining = null;
      }
    })();
    return this.draining;
  }

  /** Drains every `intervalMs` in the background; returns the function that stops it. */
  startDraining(intervalMs = 30_000, onError?: (error: unknown) => void): () => void {
    const timer = setInterval(() => void this.drain().catch((e) => onError?.(e)), intervalMs);
    timer.unref();
    return () => clearInterval(timer);
  }

  /** The newest queued entry for a key, if any. */
  private async queued(key: string): Promise<{ id: string; entry: Entry } | null> {
    for (const id of (await this.entries()).reverse()) {
      const entry = await this.readEntry(id).catch(() => null);
      if (entry?.key === key) return { id, entry };
    }
    return null;
  }

  async get(key: string, options: GetOptions = {}): Promise<GetResult> {
    const queued = await this.queued(key);
    if (!queued) return this.inner.get(key, options);
    const { id, entry } = queued;
    const info: ObjectInfo = { key, size: entry.size, sha256: entry.sha256, contentType: entry.contentType, tier: entry.tier ?? 'hot', metadata: entry.metadata ?? {} };
    const path = join(this.dir, `${id}.bin`);
    if (!options.range) return { body: createReadStream(path), info };
    const range = clampRange(checkRange(options.range)!, entry.size, key);
    return { body: createReadStream(path, range), info, range: { ...range, size: entry.size } };
  }

  async head(key: string): Promise<ObjectInfo> {
    const queued = await this.queued(key);
    if (!queued) return this.inner.head(key);
    const { entry } = queued;
    return { key, size: entry.size, sha256: entry.sha256, contentType: entry.contentType, tier: entry.tier ?? 'hot', metadata: entry.metadata ?? {} };
  }

  async delete(key: string): Promise<void> {
    for (let q = await this.queued(key); q; q = await this.queued(key)) await this.remove(q.id);
    await this.inner.delete(key);
  }

  list(options?: ListOptions): Promise<ListPage> {
    return this.inner.list(options);
  }
  signedUrl(key: string, options: { expiresInSeconds: number }): Promise<string> {
    return this.inner.signedUrl(key, options);
  }
  setTier(key: string, tier: Tier): Promise<void> {
    return this.inner.setTier(key, tier);
  }
  setMetadata(key: string, metadata: Record<string, string>): Promise<void> {
    return this.inner.setMetadata(key, metadata);
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}

async function syncFile(path: string) {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function writeDurably(path: string, text: string) {
  const temp = `${path}.tmp`;
  const handle = await open(temp, 'w', 0o600);
  try {
    await handle.writeFile(text);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(temp, path);
}

/** Bytes waiting in an outbox folder (for status screens). */
export async function outboxBytes(dir: string): Promise<number> {
  let total = 0;
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    if (name.endsWith('.bin')) total += (await stat(join(dir, name)).catch(() => ({ size: 0 }))).size;
  }
  return total;
}
