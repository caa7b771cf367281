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
 * - Content type, sha256, tier and user metadata: a small object put from memory (≤ 64 KiB: the
 *   thumbnails, of which there are thousands) carries them in a header in its own file (`inline`
 *   below), so it costs one file like a plain write; larger objects (views, masters) stay plain
 *   files any program can open, with the metadata beside them in `<root>/.meta/<key>.json`
 *   (written after the data, atomically but without fsync: a crash can leave it stale or missing,
 *   which `cusp storage verify` reports against the object row; never a torn object). A file
 *   without either (copied in by hand) is an object without metadata.
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

/**
 * Objects up to this size are read whole, in one read, as one buffer: thumbnails, views and the
 * masters of intraoral, panoramic and compressed ceph images (one 16 MB read is about 4 times
 * faster than 16 streamed pieces, for 32 MiB of memory at most per read). Larger ones (CBCT
 * volumes, uncompressed cephs) stream.
 */
const wholeRead = 32 * 1024 * 1024;
/**
 * The pieces a larger read streams in. 4 MiB pieces read a warm 16 MB master a little faster but
 * the first reads of a run at half the speed of 1 MiB ones (each piece is fresh memory to fault in).
 */
const streamPiece = 1024 * 1024;
/** A sidecar is read in one piece of this size when it fits (metadata can make it larger). */
const sidecarRead = 4096;

/**
 * The inline layout: `inlineMagic`, the header's length (uint32 big-endian), the header (the
 * sidecar's JSON), then the object's bytes. The magic starts with a non-ASCII byte and ends with
 * a line feed and a ^Z (as PNG's does), so no text or image file starts with it by accident.
 */
const inlineMagic = Buffer.from([0x89, 0x43, 0x55, 0x53, 0x50, 0x0d, 0x0a, 0x1a]); // \x89 C U S P \r \n ^Z
const inlinePrefix = inlineMagic.length + 4;
/** Objects up to this size, put from memory, are inline. */
const inlineMax = 64 * 1024;
/** Metadata larger than this goes to a sidecar even for a small object, which bounds the next. */
const inlineHeaderMax = 16 * 1024;
/** A file larger than this is never inline: no need to look at its first bytes. */
const inlineFileMax = inlinePrefix + inlineHeaderMax + inlineMax;

/** The inline file for `bytes`, or undefined when the metadata is too large to go inline. */
function inlineFile(bytes: Uint8Array, sidecar: Sidecar): Buffer | undefined {
  const header = Buffer.from(JSON.stringify(sidecar));
  if (header.length > inlineHeaderMax) return undefined;
  const length = Buffer.alloc(4);
  length.writeUInt32BE(header.length);
  return Buffer.concat([inlineMagic, length, header, bytes]);
}

/** Whether `bytes` (a file's start) is the inline layout's magic and header length. */
const startsInline = (bytes: Buffer) => bytes.length >= inlinePrefix && bytes.subarray(0, inlineMagic.length).equals(inlineMagic);

/**
 * An inline file's metadata and bytes, or undefined for a plain file. A file that starts with the
 * magic but whose header does not parse was damaged: `IntegrityError`, not a plain object.
 */
function fromInline(file: Buffer, key: string): { sidecar: Sidecar; data: Buffer } | undefined {
  if (!startsInline(file)) return undefined;
  const length = file.readUInt32BE(inlineMagic.length);
  try {
    if (length > inlineHeaderMax || inlinePrefix + length > file.length) throw new Error(`header length ${length} out of range`);
    const parsed = JSON.parse(file.toString('utf8', inlinePrefix, inlinePrefix + length)) as Partial<Sidecar>;
    return { sidecar: { ...parsed, metadata: parsed.metadata ?? {} }, data: file.subarray(inlinePrefix + length) };
  } catch (error) {
    throw new StorageError('IntegrityError', 'The stored object\'s metadata header is damaged', { key, cause: error });
  }
}

function infoOf(key: string, size: number, stats: Stats, sidecar: Sidecar): ObjectInfo {
  return {
    key,
    size,
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
      let written: { size: number; sha256: string; inline: boolean };
      if ((Buffer.isBuffer(body) || body instanceof Uint8Array) && body.byteLength <= inlineMax) {
        // Hashed first (a few µs): the sha256 goes in the header, and a mismatch writes nothing.
        const sha256 = createHash('sha256').update(body).digest('hex');
        checkSha256(options.sha256, sha256, key);
        const inline = inlineFile(body, { contentType: options.contentType, sha256, tier, metadata });
        await writeNew(temp, inline ?? body, true);
        written = { size: body.byteLength, sha256, inline: inline !== undefined };
      } else {
        const plain = Buffer.isBuffer(body) || body instanceof Uint8Array ? await writeBytes(temp, body, options.onProgress) : await writeStream(temp, body, options.onProgress);
        checkSha256(options.sha256, plain.sha256, key);
        written = { ...plain, inline: false };
      }
      const { size, sha256 } = written;
      if (written.inline) options.onProgress?.(size);
      await this.moveIntoPlace(temp, key, options.ifAbsent);
      // The folder's fsync (making the rename durable) and the sidecar's write overlap. An inline
      // object needs no sidecar; one left by an earlier, larger object under this key is ignored
      // (the inline header wins) and goes with delete().
      const target = this.dataPath(key);
      const sidecar: Sidecar = { contentType: options.contentType, sha256, tier, metadata };
      await Promise.all([fsync(dirname(target)), written.inline ? undefined : this.writeSidecar(key, sidecar)]);
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

  /** Renames (or, for `ifAbsent`, links) a finished temp file to `key`, creating its folder when missing. */
  private async moveIntoPlace(temp: string, key: string, ifAbsent?: boolean): Promise<void> {
    const target = this.dataPath(key);
    await inFolder(target, async () => {
      if (!ifAbsent) return rename(temp, target);
      await link(temp, target).catch((e: NodeJS.ErrnoException) => {
        if (e.code === 'EEXIST') throw new StorageError('Conflict', 'An object already exists under this key', { key, cause: e });
        throw e;
      });
      await unlink(temp);
    });
  }

  async get(key: string, options: GetOptions = {}): Promise<GetResult> {
    checkKey(key);
    const requested = checkRange(options.range);
    // The open file (not the path) is what gets stat'ed and read, so a file replaced meanwhile is
    // read whole, old or new. A range is read whole only from a file that may be inline; from a
    // larger one just the range streams.
    const object = await this.openObject(key, requested ? inlineFileMax : wholeRead);
    try {
      const { info } = object;
      const range = requested ? clampRange(requested, info.size, key) : undefined;
      const served = range ? { range: { ...range, size: info.size } } : {};
      if (object.data) {
        // Read whole in one read: no file stream to set up.
        return { body: toReadable(range ? object.data.subarray(range.start, range.end + 1) : object.data), info, ...served };
      }
      // A larger plain file streams from its descriptor, which the stream closes at its end.
      const body = createReadStream('', { fd: object.file, start: range?.start, end: range?.end, highWaterMark: streamPiece });
      return { body, info, ...served };
    } catch (error) {
      if (!object.data) await fd.close(object.file).catch(() => undefined);
      throw error;
    }
  }

  async head(key: string): Promise<ObjectInfo> {
    checkKey(key);
    const object = await this.openObject(key, inlineFileMax);
    if (!object.data) await fd.close(object.file);
    return object.info;
  }

  /**
   * Opens `key` and describes it. A file of at most `readWhole` bytes is read whole (and closed):
   * `data` is the object's bytes. A larger one stays open for the caller to stream or close.
   */
  private async openObject(key: string, readWhole: number): Promise<{ info: ObjectInfo; data: Buffer; inline: boolean; file?: undefined } | { info: ObjectInfo; data?: undefined; file: number }> {
    let file: number;
    try {
      file = await fd.open(this.dataPath(key), 'r');
    } catch (error) {
      throw await this.mapMissing(error, key);
    }
    let open = true;
    try {
      const stats = await fd.fstat(file);
      if (!stats.isFile()) throw Object.assign(new Error('not a file'), { code: 'ENOENT' });
      if (stats.size > readWhole) return { info: infoOf(key, stats.size, stats, await this.readSidecar(key)), file };
      const bytes = Buffer.allocUnsafe(stats.size);
      let length = 0;
      for (let n = -1; n !== 0 && length < bytes.length; length += n) n = (await fd.read(file, bytes, length, bytes.length - length, length)).bytesRead;
      open = false;
      await fd.close(file);
      const inline = stats.size <= inlineFileMax ? fromInline(bytes.subarray(0, length), key) : undefined;
      if (inline) return { info: infoOf(key, inline.data.length, stats, inline.sidecar), data: inline.data, inline: true };
      const data = bytes.subarray(0, length);
      return { info: infoOf(key, data.length, stats, await this.readSidecar(key)), data, inline: false };
    } catch (error) {
      if (open) await fd.close(file).catch(() => undefined);
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
        return { key, size: stats.size <= inlineFileMax ? await this.sizeOf(key, stats.size) : stats.size, lastModified: stats.mtime };
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
    await this.updateSidecar(key, (sidecar) => ({ ...sidecar, tier }));
  }

  async setMetadata(key: string, metadata: Record<string, string>): Promise<void> {
    const checked = checkMetadata(metadata);
    await this.updateSidecar(key, (sidecar) => ({ ...sidecar, metadata: checked }));
  }

  /** Changes an object's metadata: in its header (the file rewritten whole, durably) or its sidecar. */
  private async updateSidecar(key: string, change: (sidecar: Sidecar) => Sidecar): Promise<void> {
    const object = await this.openObject(key, inlineFileMax);
    if (!object.data) await fd.close(object.file);
    const { info } = object;
    const updated = change({ contentType: info.contentType, sha256: info.sha256, tier: info.tier, metadata: info.metadata });
    // A plain file (larger, or copied in by hand) keeps its metadata beside it.
    if (!object.data || !object.inline) return this.writeSidecar(key, updated);
    // An inline one is rewritten with the new header; when the new metadata is too large for one,
    // the sidecar goes first (while the header is there it wins), then the bytes alone.
    const inline = inlineFile(object.data, updated);
    if (!inline) await this.writeSidecar(key, updated);
    const temp = await this.tempPath(key);
    try {
      await writeNew(temp, inline ?? object.data, true);
      await this.moveIntoPlace(temp, key);
      await fsync(dirname(this.dataPath(key)));
    } catch (error) {
      await rm(temp, { force: true });
      throw this.mapError(error, key);
    }
  }

  /** The object's size for a listing: a small file may be inline, its header not counted. */
  private async sizeOf(key: string, fileSize: number): Promise<number> {
    const start = await this.readStart(key, inlinePrefix);
    if (!startsInline(start)) return fileSize;
    return fileSize - inlinePrefix - start.readUInt32BE(inlineMagic.length);
  }

  private async readStart(key: string, length: number): Promise<Buffer> {
    const file = await fd.open(this.dataPath(key), 'r');
    try {
      const bytes = Buffer.alloc(length);
      return bytes.subarray(0, (await fd.read(file, bytes, 0, length, 0)).bytesRead);
    } finally {
      await fd.close(file);
    }
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
