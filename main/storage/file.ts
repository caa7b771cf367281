import { createHash, createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { close, createReadStream, createWriteStream, fstat, fsync as fsyncFd, open as openFd, read, write, type Stats } from 'node:fs';
import { link, mkdir, readdir, rename, rm, stat, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { promisify } from 'node:util';
import { Transform } from 'node:stream';
import { StorageError } from './errors.js';
import {
  checkExpiry, checkKey, checkMetadata, checkPrefix, checkRange, checkSha256, checkTier, clampRange, tiers, toReadable,
  type Body, type GetOptions, type GetResult, type Hash, type ListOptions, type ListPage, type ObjectInfo, type ObjectStore,
  type PutOptions, type StoreDescription, type Tier,
} from './store.js';

/**
 * The embedded default: objects as plain files under a folder, `<root>/<key>`.
 *
 * - Writes go to `<root>/.tmp/`, are fsynced, then renamed into place (a crash leaves the old
 *   object or the new one, never half of one); `ifAbsent` uses link(), which never replaces.
 * - Content type, sha256, tier and user metadata live beside the data in `<root>/.meta/<key>.json`
 *   (written after the data, atomically but without fsync: a crash can leave it stale or missing,
 *   which `cusp storage verify` reports against the object row; never a torn object).
 * - A missing root folder means the disk or share is not mounted: `Unavailable`, not `NotFound`.
 * - Tiers are recorded (so policies and migrations behave the same everywhere) but a disk has one cost.
 * - Signed URLs are `<publicUrl>/objects/<key>?expires=<unix s>&sig=<HMAC-SHA256>`, verified by
 *   `verifySignedObjectPath` (the `cusp serve` / `cusp://` route in objects-route.ts).
 */
export interface FileStoreOptions {
  root: string;
  /** Secret for signed URLs (32 random bytes from the secret store). */
  signingKey: Buffer;
  /** Origin the signed URLs point at, e.g. `http://127.0.0.1:PORT` for `cusp serve`. */
  publicUrl?: string;
  /** The location shown to people (defaults to the root). */
  location?: string;
}

interface Sidecar {
  contentType?: string;
  sha256?: string;
  tier?: Tier;
  metadata: Record<string, string>;
}

const fileTiers = tiers.filter((t) => t !== 'archive');

/** Reads up to this size are answered from one buffer; larger ones stream. */
const smallRead = 1024 * 1024;
/**
 * The pieces a larger read streams in. 4 MiB pieces read a warm 16 MB master a little faster but
 * the first reads of a run at half the speed of 1 MiB ones (each piece is fresh memory to fault in).
 */
const streamPiece = 1024 * 1024;
/** A sidecar is read in one piece of this size when it fits (metadata can make it larger). */
const sidecarRead = 4096;

function infoOf(key: string, stats: Stats, sidecar: Sidecar): ObjectInfo {
  return {
    key,
    size: stats.size,
    sha256: sidecar.sha256,
    contentType: sidecar.contentType,
    lastModified: stats.mtime,
    tier: sidecar.tier ?? 'hot',
    metadata: sidecar.metadata,
  };
}

export class FileStore implements ObjectStore {
  readonly description: StoreDescription;
  private readonly root: string;
  private readonly signingKey: Buffer;
  private readonly publicUrl: string;

  constructor(options: FileStoreOptions) {
    this.root = options.root;
    this.signingKey = options.signingKey;
    this.publicUrl = (options.publicUrl ?? 'cusp://store').replace(/\/+$/, '');
    this.description = { kind: 'file', region: 'local', location: options.location ?? `file://${options.root}`, encrypted: false, tiers: fileTiers };
  }

  /** Creates the root folder (configuration time); afterwards a missing root is `Unavailable`. */
  static async create(options: FileStoreOptions): Promise<FileStore> {
    await mkdir(options.root, { recursive: true });
    return new FileStore(options);
  }

  private dataPath(key: string) {
    return join(this.root, ...key.split('/'));
  }
  private metaPath(key: string) {
    return join(this.root, '.meta', ...key.split('/')) + '.json';
  }

  async put(key: string, body: Body, options: PutOptions = {}): Promise<ObjectInfo> {
    checkKey(key);
    const metadata = checkMetadata(options.metadata);
    const tier = options.tier ? checkTier(options.tier, fileTiers) : 'hot';
    const temp = await this.tempPath(key);
    try {
      // fsync before close, so the rename below never exposes unwritten data.
      const { size, sha256 } = Buffer.isBuffer(body) || body instanceof Uint8Array ? await writeBytes(temp, body, options.onProgress) : await writeStream(temp, body, options.onProgress);
      checkSha256(options.sha256, sha256, key);
      const target = this.dataPath(key);
      await inFolder(target, async () => {
        if (!options.ifAbsent) return rename(temp, target);
        await link(temp, target).catch((e: NodeJS.ErrnoException) => {
          if (e.code === 'EEXIST') throw new StorageError('Conflict', 'An object already exists under this key', { key, cause: e });
          throw e;
        });
        await unlink(temp);
      });
      // The folder's fsync (making the rename durable) and the sidecar's write overlap.
      const sidecar: Sidecar = { contentType: options.contentType, sha256, tier, metadata };
      await Promise.all([fsync(dirname(target)), this.writeSidecar(key, sidecar)]);
      return { key, size, sha256, contentType: options.contentType, tier, metadata, lastModified: new Date() };
    } catch (error) {
      await rm(temp, { force: true });
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
        // The root (or its temp folder) went away since the last put: say which.
        this.tmpReady = false;
        await this.requireRoot(key);
      }
      throw this.mapError(error, key);
    }
  }

  async get(key: string, options: GetOptions = {}): Promise<GetResult> {
    checkKey(key);
    const requested = checkRange(options.range);
    // The data file and its sidecar are opened side by side; the open file (not the path) is what
    // gets stat'ed and read, so a file replaced meanwhile is read whole, old or new.
    const [opened, sidecar] = await Promise.allSettled([fd.open(this.dataPath(key), 'r'), this.readSidecar(key)]);
    if (opened.status === 'rejected') throw await this.mapMissing(opened.reason, key);
    const file = opened.value;
    try {
      if (sidecar.status === 'rejected') throw sidecar.reason;
      const stats = await fd.fstat(file);
      if (!stats.isFile()) throw Object.assign(new Error('not a file'), { code: 'ENOENT' });
      const info = infoOf(key, stats, sidecar.value);
      const range = requested ? clampRange(requested, info.size, key) : undefined;
      const length = range ? range.end - range.start + 1 : info.size;
      const served = range ? { range: { ...range, size: info.size } } : {};
      if (length <= smallRead) {
        // A thumbnail or a small range: one read into one buffer, no file stream to set up.
        const bytes = Buffer.allocUnsafe(length);
        const { bytesRead } = length ? await fd.read(file, bytes, 0, length, range?.start ?? 0) : { bytesRead: 0 };
        await fd.close(file);
        return { body: toReadable(bytes.subarray(0, bytesRead)), info, ...served };
      }
      // The stream closes the file at its end.
      const body = createReadStream('', { fd: file, start: range?.start, end: range?.end, highWaterMark: streamPiece });
      return { body, info, ...served };
    } catch (error) {
      await fd.close(file).catch(() => undefined);
      throw await this.mapMissing(error, key);
    }
  }

  async head(key: string): Promise<ObjectInfo> {
    checkKey(key);
    try {
      const [stats, sidecar] = await Promise.all([stat(this.dataPath(key)), this.readSidecar(key)]);
      if (!stats.isFile()) throw Object.assign(new Error('not a file'), { code: 'ENOENT' });
      return infoOf(key, stats, sidecar);
    } catch (error) {
      throw await this.mapMissing(error, key);
    }
  }

  async delete(key: string): Promise<void> {
    checkKey(key);
    await this.requireRoot(key);
    try {
      await rm(this.dataPath(key), { force: true });
      await rm(this.metaPath(key), { force: true });
    } catch (error) {
      throw this.mapError(error, key);
    }
  }

  async list(options: ListOptions = {}): Promise<ListPage> {
    const prefix = checkPrefix(options.prefix);
    const limit = Math.min(Math.max(options.limit ?? 1000, 1), 1000);
    await this.requireRoot(prefix);
    // Walk only the folder the prefix names; keys come out sorted as S3 and Azure sort them.
    const slash = prefix.lastIndexOf('/');
    const base = slash >= 0 ? prefix.slice(0, slash) : '';
    const keys: string[] = [];
    await this.walk(base, keys);
    keys.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    const selected = keys.filter((k) => k.startsWith(prefix) && (options.cursor === undefined || k > options.cursor));
    const page = selected.slice(0, limit);
    const items = await Promise.all(
      page.map(async (key) => {
        const stats = await stat(this.dataPath(key));
        return { key, size: stats.size, lastModified: stats.mtime };
      }),
    );
    return selected.length > limit ? { items, cursor: page[page.length - 1] } : { items };
  }

  private async walk(relative: string, out: string[]): Promise<void> {
    let entries;
    try {
      entries = await readdir(relative ? join(this.root, ...relative.split('/')) : this.root, { withFileTypes: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT' || (error as NodeJS.ErrnoException).code === 'ENOTDIR') return;
      throw this.mapError(error, relative);
    }
    for (const entry of entries) {
      if (entry.name.startsWith('.')) continue;
      const key = relative ? `${relative}/${entry.name}` : entry.name;
      if (entry.isDirectory()) await this.walk(key, out);
      else if (entry.isFile()) out.push(key);
    }
  }

  async signedUrl(key: string, options: { expiresInSeconds: number }): Promise<string> {
    checkKey(key);
    const expires = Math.floor(Date.now() / 1000) + checkExpiry(options.expiresInSeconds);
    return `${this.publicUrl}/objects/${key}?expires=${expires}&sig=${signObjectPath(this.signingKey, key, expires)}`;
  }

  async setTier(key: string, tier: Tier): Promise<void> {
    checkTier(tier, fileTiers);
    await this.head(key);
    const sidecar = await this.readSidecar(key);
    await this.writeSidecar(key, { ...sidecar, tier });
  }

  async setMetadata(key: string, metadata: Record<string, string>): Promise<void> {
    const checked = checkMetadata(metadata);
    await this.head(key);
    const sidecar = await this.readSidecar(key);
    await this.writeSidecar(key, { ...sidecar, metadata: checked });
  }

  async close(): Promise<void> {}

  private async readSidecar(key: string): Promise<Sidecar> {
    try {
      const file = await fd.open(this.metaPath(key), 'r');
      let text: string;
      try {
        // One read holds a sidecar (a few hundred bytes); readFile would add an fstat and a read.
        let buffer = Buffer.allocUnsafe(sidecarRead);
        let length = (await fd.read(file, buffer, 0, buffer.length, 0)).bytesRead;
        // A short read is the end of the file; a full one may not be (much metadata): read on.
        while (length === buffer.length) {
          buffer = Buffer.concat([buffer, Buffer.allocUnsafe(buffer.length)]);
          const n = (await fd.read(file, buffer, length, buffer.length - length, length)).bytesRead;
          if (n === 0) break;
          length += n;
        }
        text = buffer.toString('utf8', 0, length);
      } finally {
        await fd.close(file);
      }
      const parsed = JSON.parse(text) as Partial<Sidecar>;
      return { ...parsed, metadata: parsed.metadata ?? {} };
    } catch (error) {
      // An object copied in by hand (or by another program) has no sidecar: it is still an object.
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { metadata: {} };
      throw this.mapError(error, key);
    }
  }

  private async writeSidecar(key: string, sidecar: Sidecar): Promise<void> {
    const target = this.metaPath(key);
    const temp = `${await this.tempPath(key)}.json`;
    try {
      // Not fsynced on purpose: the rename keeps it whole, and what it holds is also in the object
      // row (sha256, tier) or derivable (content type), so a sidecar lost in a power cut costs
      // nothing; an fsync here would halve the write rate of small objects.
      await writeNew(temp, Buffer.from(JSON.stringify(sidecar)), false);
      await inFolder(target, () => rename(temp, target));
    } catch (error) {
      await rm(temp, { force: true });
      throw this.mapError(error, key);
    }
  }

  private tmpReady = false;
  /**
   * A fresh path in `<root>/.tmp/`. The root is checked (missing → `Unavailable`, never recreated)
   * on first use and after a write fails with ENOENT, not stat'ed on every put.
   */
  private async tempPath(key: string): Promise<string> {
    const dir = join(this.root, '.tmp');
    if (!this.tmpReady) {
      await this.requireRoot(key);
      await mkdir(dir).catch((e: NodeJS.ErrnoException) => {
        if (e.code !== 'EEXIST') throw this.mapError(e, key);
      });
      this.tmpReady = true;
    }
    return join(dir, randomUUID());
  }

  private async requireRoot(key: string): Promise<void> {
    try {
      if (!(await stat(this.root)).isDirectory()) throw new Error(`${this.root} is not a folder`);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EACCES' || code === 'EPERM') throw mapFsError(error, key);
      throw new StorageError('Unavailable', `The image folder ${this.description.location} cannot be reached (is the disk or share connected?)`, { key, cause: error });
    }
  }

  private async mapMissing(error: unknown, key: string): Promise<unknown> {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      await this.requireRoot(key);
      return new StorageError('NotFound', 'No object under this key', { key, cause: error });
    }
    return this.mapError(error, key);
  }

  private mapError(error: unknown, key: string): unknown {
    if (error instanceof StorageError) return error;
    return mapFsError(error, key);
  }
}

/** Runs a rename/link into `target`'s folder, creating the folder only when it is missing. */
async function inFolder(target: string, move: () => Promise<void>): Promise<void> {
  try {
    await move();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    await mkdir(dirname(target), { recursive: true });
    await move();
  }
}

/** Maps a Node file-system error onto the storage codes. */
export function mapFsError(error: unknown, key?: string): StorageError {
  const code = (error as NodeJS.ErrnoException).code;
  const message = (error as Error).message ?? String(error);
  if (code === 'ENOENT' || code === 'ENOTDIR') return new StorageError('NotFound', 'No object under this key', { key, cause: error });
  if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') return new StorageError('AccessDenied', `The image folder refuses access (${code})`, { key, cause: error });
  if (code === 'EEXIST') return new StorageError('Conflict', 'An object already exists under this key', { key, cause: error });
  return new StorageError('Unavailable', `The image folder failed: ${code ?? message}`, { key, cause: error });
}

/**
 * fs's callback calls on plain descriptors, promisified: each FileHandle is an EventEmitter with
 * its own bookkeeping, which shows when thumbnails go by the thousand.
 */
const fd = {
  open: promisify(openFd),
  fstat: promisify(fstat),
  read: promisify(read),
  write: promisify(write),
  fsync: promisify(fsyncFd),
  close: promisify(close),
};

/**
 * Writes bytes into a new file (`wx`), fsynced before close when `durable`. The write and then
 * its fsync run on libuv's threads while `hash` (the sha256 of what ingest stores) takes the bytes
 * here a MiB at a time, yielding between slices so the fsync starts as soon as the write is done.
 */
async function writeNew(path: string, bytes: Uint8Array, durable: boolean, hash?: Hash): Promise<void> {
  const file = await fd.open(path, 'wx', 0o600);
  try {
    const written = (async () => {
      let offset = 0;
      do offset += (await fd.write(file, bytes, offset, bytes.byteLength - offset, null)).bytesWritten;
      while (offset < bytes.byteLength);
      if (durable) await fd.fsync(file);
    })();
    // Settled below; this only keeps a failure from counting as unhandled while hashing.
    written.catch(() => undefined);
    for (let offset = 0; hash && offset < bytes.byteLength; offset += hashSlice) {
      if (offset > 0) await yieldToLoop();
      hash.update(bytes.subarray(offset, offset + hashSlice));
    }
    await written;
  } finally {
    await fd.close(file);
  }
}

const hashSlice = 1024 * 1024;

/** Bytes already in memory (what ingest stores): one write, hashed meanwhile, then fsynced. */
async function writeBytes(path: string, body: Uint8Array, onProgress?: (bytes: number) => void): Promise<{ size: number; sha256: string }> {
  const hash = createHash('sha256');
  await writeNew(path, body, true, hash);
  onProgress?.(body.byteLength);
  return { size: body.byteLength, sha256: hash.digest('hex') };
}

/** A stream of any length, hashed and counted as it goes through. */
async function writeStream(path: string, body: Body, onProgress?: (bytes: number) => void): Promise<{ size: number; sha256: string }> {
  const hash = createHash('sha256');
  let size = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _enc, done) {
      hash.update(chunk);
      size += chunk.length;
      onProgress?.(size);
      done(null, chunk);
    },
  });
  await pipeline(toReadable(body), counter, createWriteStream(path, { flags: 'wx', mode: 0o600, flush: true }));
  return { size, sha256: hash.digest('hex') };
}

async function fsync(path: string): Promise<void> {
  const folder = await fd.open(path, 'r');
  try {
    await fd.fsync(folder);
  } catch (error) {
    // Some platforms (Windows) cannot fsync a folder; the data file itself was synced already.
    if (!['EISDIR', 'EPERM', 'EINVAL'].includes((error as NodeJS.ErrnoException).code ?? '')) throw error;
  } finally {
    await fd.close(folder);
  }
}

/** HMAC-SHA256 over `key\nexpires`, base64url. */
export function signObjectPath(signingKey: Buffer, key: string, expires: number): string {
  return createHmac('sha256', signingKey).update(`${key}\n${expires}`).digest('base64url');
}

/**
 * Checks a signed file-store URL's path and query (`/objects/<key>?expires=…&sig=…`) and returns
 * the key. Expired → `AccessDenied`; a bad or missing signature → `AccessDenied`.
 */
export function verifySignedObjectPath(signingKey: Buffer, pathAndQuery: string, now = Date.now()): string {
  const url = new URL(pathAndQuery, 'http://local');
  const match = /^\/objects\/(.+)$/.exec(url.pathname);
  const expires = Number(url.searchParams.get('expires'));
  const sig = url.searchParams.get('sig') ?? '';
  if (!match || !Number.isInteger(expires)) throw new StorageError('AccessDenied', 'Not a signed object URL');
  const key = checkKey(decodeURIComponent(match[1]!));
  const expected = Buffer.from(signObjectPath(signingKey, key, expires));
  const given = Buffer.from(sig);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw new StorageError('AccessDenied', 'The signature of this URL is not valid', { key });
  if (expires * 1000 <= now) throw new StorageError('AccessDenied', 'This URL has expired', { key });
  return key;
}
