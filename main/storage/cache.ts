import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readFile, readdir, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { checkRange, clampRange, type Body, type GetOptions, type GetResult, type ObjectInfo, type ObjectStore, type PutOptions, type Tier } from './store.js';

/**
 * A size-bounded, least-recently-used copy on local disk of objects read whole (views, masters),
 * shared by every viewer on this workstation: a second look is instant and works offline.
 * Range reads of a cached object are served from it too; range reads of an uncached one go to
 * the store and are not cached (the viewer reads whole objects; ranges are for previews).
 *
 * Files are `<dir>/<sha256(key)>` plus `<…>.json` (the object info); recency is the file's mtime,
 * touched on every hit, so the LRU survives restarts without an index file. A cached copy whose
 * sha256 differs from the store's is never written (the copy is hashed as it is made).
 */
export class CachedStore implements ObjectStore {
  readonly description;
  private readonly admissions = new Set<Promise<void>>();
  private clock = 0;

  constructor(readonly inner: ObjectStore, private readonly dir: string, private readonly maxBytes: number) {
    this.description = inner.description;
  }

  private path(key: string) {
    return join(this.dir, createHash('sha256').update(key).digest('hex'));
  }

  private async cachedInfo(key: string): Promise<ObjectInfo | null> {
    try {
      const info = JSON.parse(await readFile(`${this.path(key)}.json`, 'utf8')) as ObjectInfo;
      await stat(this.path(key));
      return info;
    } catch {
      return null;
    }
  }

  async get(key: string, options: GetOptions = {}): Promise<GetResult> {
    const range = checkRange(options.range);
    const info = await this.cachedInfo(key);
    const path = this.path(key);
    if (info) {
      await this.touch(path);
      if (!range) return { body: createReadStream(path), info };
      const r = clampRange(range, info.size, key);
      return { body: createReadStream(path, r), info, range: { ...r, size: info.size } };
    }
    const result = await this.inner.get(key, options);
    if (range || result.info.size > this.maxBytes) return result;
    // Tee: the caller reads while the copy is written; the copy is kept only if complete and intact.
    const out = new PassThrough();
    const temp = join(this.dir, `.${randomUUID()}.tmp`);
    await mkdir(this.dir, { recursive: true });
    const hash = createHash('sha256');
    const file = createWriteStream(temp);
    // Registered at once, so idle() waits for a copy that is still being written.
    const admission: Promise<void> = new Promise<void>((resolve) => {
      result.body.on('data', (chunk: Buffer) => {
        hash.update(chunk);
        file.write(chunk);
      });
      result.body.on('error', (e) => {
        file.destroy();
        out.destroy(e);
        void rm(temp, { force: true }).finally(resolve);
      });
      result.body.on('end', () => {
        file.end(() => {
          const sha = hash.digest('hex');
          const ok = result.info.sha256 === undefined || result.info.sha256 === sha;
          void (ok ? this.admit(key, temp, { ...result.info, sha256: sha }) : rm(temp, { force: true })).catch(() => undefined).finally(resolve);
        });
      });
    }).finally(() => this.admissions.delete(admission));
    this.admissions.add(admission);
    result.body.pipe(out);
    return { ...result, body: out };
  }

  /** Resolves once copies made by earlier reads are in the cache (tests, prefetch). */
  async idle(): Promise<void> {
    while (this.admissions.size) await Promise.all([...this.admissions]);
  }

  /** Marks a file as just used; strictly increasing times, so the LRU order is exact. */
  private async touch(path: string): Promise<void> {
    this.clock = Math.max(Date.now(), this.clock + 1);
    const at = new Date(this.clock);
    await utimes(path, at, at).catch(() => undefined);
  }

  private async admit(key: string, temp: string, info: ObjectInfo): Promise<void> {
    await writeFile(`${this.path(key)}.json`, JSON.stringify(info));
    await rename(temp, this.path(key));
    await this.touch(this.path(key));
    await this.evict();
  }

  /** Total bytes cached now. */
  async size(): Promise<number> {
    let total = 0;
    for (const entry of await this.files()) total += entry.size;
    return total;
  }

  private async files(): Promise<Array<{ path: string; size: number; mtime: number }>> {
    const names = await readdir(this.dir).catch(() => [] as string[]);
    const out: Array<{ path: string; size: number; mtime: number }> = [];
    for (const name of names) {
      if (name.startsWith('.') || name.endsWith('.json')) continue;
      const s = await stat(join(this.dir, name)).catch(() => null);
      if (s) out.push({ path: join(this.dir, name), size: s.size, mtime: s.mtimeMs });
    }
    return out;
  }

  /** Removes least recently used objects until the cache fits in its bound. */
  async evict(): Promise<void> {
    const files = (await this.files()).sort((a, b) => a.mtime - b.mtime);
    let total = files.reduce((n, f) => n + f.size, 0);
    for (const f of files) {
      if (total <= this.maxBytes) break;
      await rm(f.path, { force: true });
      await rm(`${f.path}.json`, { force: true });
      total -= f.size;
    }
  }

  /** Reads objects into the cache ahead of need (e.g. tomorrow's patients, overnight). */
  async prefetch(keys: Iterable<string>): Promise<{ fetched: number; failed: number }> {
    let fetched = 0;
    let failed = 0;
    for (const key of keys) {
      try {
        if (await this.cachedInfo(key)) continue;
        const { body } = await this.get(key);
        await pipeline(body, new PassThrough().resume());
        await this.idle();
        fetched++;
      } catch {
        failed++;
      }
    }
    return { fetched, failed };
  }

  async invalidate(key: string): Promise<void> {
    await rm(this.path(key), { force: true });
    await rm(`${this.path(key)}.json`, { force: true });
  }

  async put(key: string, body: Body, options?: PutOptions): Promise<ObjectInfo> {
    await this.invalidate(key);
    return this.inner.put(key, body, options);
  }
  async delete(key: string): Promise<void> {
    await this.invalidate(key);
    await this.inner.delete(key);
  }
  head: ObjectStore['head'] = (key) => this.inner.head(key);
  list: ObjectStore['list'] = (options) => this.inner.list(options);
  signedUrl: ObjectStore['signedUrl'] = (key, options) => this.inner.signedUrl(key, options);
  setTier(key: string, tier: Tier): Promise<void> {
    return this.inner.setTier(key, tier);
  }
  async setMetadata(key: string, metadata: Record<string, string>): Promise<void> {
    await this.invalidate(key);
    await this.inner.setMetadata(key, metadata);
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}
