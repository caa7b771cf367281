import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { StorageError } from './errors.js';

/**
 * The one interface every object store implements (file, s3, azure, and the encrypting wrapper).
 * Keys are opaque (`<practice>/<image-uuid>/<variant>`), relative to the store's own prefix.
 * tests/main/storage/conformance.test.ts holds every backend to the behaviour written here.
 */
export interface ObjectStore {
  /** Which backend, its region (for residency) and how to show it (no secrets). */
  readonly description: StoreDescription;

  /**
   * Writes an object, replacing any object under the key unless `ifAbsent` (then `Conflict`).
   * The sha256 of the bytes is computed while writing; when `sha256` is given and differs, the
   * write is abandoned (nothing replaces the old object) with `IntegrityError`. The provider's own
   * checksum (Content-MD5 / x-ms-content-md5) is sent and checked too. Large bodies go up in
   * parts. Resolves only once the object is durable and readable.
   */
  put(key: string, body: Body, options?: PutOptions): Promise<ObjectInfo>;

  /**
   * Streams an object, or the inclusive byte range `range` of it. Missing → `NotFound`;
   * a range starting beyond the end → `InvalidArgument`; an archived object → `Archived`.
   */
  get(key: string, options?: GetOptions): Promise<GetResult>;

  /** What is stored under a key, without the bytes. Missing → `NotFound`. */
  head(key: string): Promise<ObjectInfo>;

  /** Removes an object. Deleting a missing object succeeds (idempotent). */
  delete(key: string): Promise<void>;

  /**
   * One page of the objects whose key starts with `prefix`, in key order; pass the returned
   * `cursor` to get the next page (absent on the last page). `tier`, `sha256` and `metadata` are
   * not listed by every provider: call `head` when you need them.
   */
  list(options?: ListOptions): Promise<ListPage>;

  /**
   * A URL anyone holding it can GET the object with until `expiresInSeconds` pass (then 403).
   * Does not check that the object exists.
   */
  signedUrl(key: string, options: { expiresInSeconds: number }): Promise<string>;

  /** Moves an object to a storage tier (cost class). Missing → `NotFound`. */
  setTier(key: string, tier: Tier): Promise<void>;

  /**
   * Replaces the object's user metadata without rewriting its bytes from this machine (used by
   * key rotation). Missing → `NotFound`.
   */
  setMetadata(key: string, metadata: Record<string, string>): Promise<void>;

  /** Releases connections. */
  close(): Promise<void>;
}

export type Body = Buffer | Uint8Array | Readable | AsyncIterable<Uint8Array>;

export interface PutOptions {
  contentType?: string;
  /** Expected sha256 (hex) of the bytes; a mismatch is an `IntegrityError` and nothing is written. */
  sha256?: string;
  /** User metadata: lower-case keys [a-z0-9-], ASCII values. */
  metadata?: Record<string, string>;
  tier?: Tier;
  /** Refuse to replace an existing object (`Conflict`). */
  ifAbsent?: boolean;
  /** Bytes written so far, for progress bars. */
  onProgress?: (bytes: number) => void;
}

export interface GetOptions {
  /** Inclusive byte range, as in HTTP; `end` defaults to the last byte. */
  range?: { start: number; end?: number };
}

export interface GetResult {
  body: Readable;
  info: ObjectInfo;
  /** Present for range reads: the bytes returned and the object's full size. */
  range?: { start: number; end: number; size: number };
}

export interface ObjectInfo {
  key: string;
  size: number;
  /** sha256 of the bytes as written (hex), when the store knows it. */
  sha256?: string;
  contentType?: string;
  lastModified?: Date;
  tier?: Tier;
  metadata: Record<string, string>;
}

export interface ListOptions {
  prefix?: string;
  cursor?: string;
  /** Page size, at most 1000. */
  limit?: number;
}

export interface ListPage {
  items: Array<Pick<ObjectInfo, 'key' | 'size' | 'lastModified'>>;
  cursor?: string;
}

/**
 * Cost classes, from frequent to rare access. Each backend maps them to its own names
 * (see tiering.ts); `archive` needs rehydration before reading and only Azure offers it here.
 */
export const tiers = ['hot', 'warm', 'cold', 'archive'] as const;
export type Tier = (typeof tiers)[number];

export type BackendKind = 'file' | 's3' | 'azure';

export interface StoreDescription {
  kind: BackendKind;
  /** `local` for the file store; the provider region otherwise (e.g. ca-central-1, canadacentral). */
  region: string;
  /** The store URL with secrets removed, safe to log and show. */
  location: string;
  /** Whether objects are encrypted client-side before they reach the provider. */
  encrypted: boolean;
  tiers: readonly Tier[];
}

/** Metadata keys Cusp itself writes (prefixed so they never collide with a caller's). */
export const metaKeys = {
  sha256: 'cusp-sha256',
  keyId: 'cusp-key-id',
  wrappedKey: 'cusp-wrapped-key',
  format: 'cusp-enc',
  plainSize: 'cusp-plain-size',
} as const;

const keySegment = /^[A-Za-z0-9_-][A-Za-z0-9._=-]*$/;

/**
 * Keys are opaque ASCII paths: segments of [A-Za-z0-9._=-] separated by `/`, no segment starting
 * with a dot (no `..`, and the file store keeps its own bookkeeping in dot-folders), ≤ 1024 chars.
 */
export function checkKey(key: unknown): string {
  if (typeof key !== 'string' || key.length === 0 || key.length > 1024 || !key.split('/').every((s) => keySegment.test(s))) {
    throw new StorageError(
      'InvalidArgument',
      `Expected an object key of '/'-separated segments of [A-Za-z0-9._=-] not starting with '.' (at most 1024 characters) but received ${JSON.stringify(String(key).slice(0, 80))}`,
    );
  }
  return key;
}

/** A prefix for list(): empty, or a key-shaped string optionally ending in '/'. */
export function checkPrefix(prefix: string | undefined): string {
  if (!prefix) return '';
  checkKey(prefix.endsWith('/') ? prefix.slice(0, -1) : prefix);
  return prefix;
}

export function checkTier(tier: unknown, supported: readonly Tier[]): Tier {
  if (!supported.includes(tier as Tier)) {
    throw new StorageError('InvalidArgument', `Expected a tier among ${supported.join(', ')} but received ${String(tier)}`);
  }
  return tier as Tier;
}

export function checkMetadata(metadata: Record<string, string> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(metadata ?? {})) {
    if (!/^[a-z][a-z0-9-]{0,62}$/.test(name) || typeof value !== 'string' || !/^[\x20-\x7e]{0,1024}$/.test(value)) {
      throw new StorageError('InvalidArgument', `Expected metadata as lower-case names [a-z0-9-] with printable ASCII values but received ${JSON.stringify(name)}`);
    }
    out[name] = value;
  }
  return out;
}

/** Validates an inclusive range against nothing but itself (the size is checked by the backend). */
export function checkRange(range: GetOptions['range']): { start: number; end?: number } | undefined {
  if (!range) return undefined;
  const { start, end } = range;
  const ok = Number.isSafeInteger(start) && start >= 0 && (end === undefined || (Number.isSafeInteger(end) && end >= start));
  if (!ok) throw new StorageError('InvalidArgument', `Expected a byte range with 0 ≤ start ≤ end but received ${JSON.stringify(range)}`);
  return end === undefined ? { start } : { start, end };
}

/** Clamps an inclusive range to an object's size; a start at or past the end is `InvalidArgument`. */
export function clampRange(range: { start: number; end?: number }, size: number, key: string): { start: number; end: number } {
  if (range.start >= size) {
    throw new StorageError('InvalidArgument', `The range starts at byte ${range.start} but the object has ${size} bytes`, { key });
  }
  return { start: range.start, end: Math.min(range.end ?? size - 1, size - 1) };
}

export function checkExpiry(seconds: unknown): number {
  if (!Number.isInteger(seconds) || (seconds as number) < 1 || (seconds as number) > 7 * 24 * 3600) {
    throw new StorageError('InvalidArgument', `Expected expiresInSeconds as an integer between 1 and 604800 but received ${String(seconds)}`);
  }
  return seconds as number;
}

export function toReadable(body: Body): Readable {
  if (body instanceof Readable) return body;
  if (Buffer.isBuffer(body) || body instanceof Uint8Array) {
    // A byte stream of the one buffer (no copy); cheaper to set up and drain than Readable.from.
    const bytes = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
    return new Readable({ read() { this.push(bytes); this.push(null); } });
  }
  return Readable.from(body);
}

/** Reads a whole stream into memory (for tests and small objects). */
export async function readAll(stream: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks);
}

export const sha256Hex = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/** An incremental digest, such as node:crypto's Hash. */
export type Hash = { update(b: Uint8Array): unknown };

/**
 * Cuts a body into parts of `partSize` bytes (the last may be shorter; an empty body gives one
 * empty part), hashing everything on the way. Backends upload the parts; the digest is complete
 * once the iteration ends.
 */
export async function* partsOf(body: Body, partSize: number, hash: Hash): AsyncGenerator<Buffer> {
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let emitted = false;
  // A part made of one chunk is passed on as it is (no copy): a Buffer body is never copied.
  const join = (parts: Buffer[]) => (parts.length === 1 ? parts[0]! : Buffer.concat(parts));
  for await (const raw of toReadable(body)) {
    let chunk = Buffer.isBuffer(raw) ? raw : Buffer.from(raw as Uint8Array);
    hash.update(chunk);
    while (pendingBytes + chunk.length >= partSize) {
      const take = partSize - pendingBytes;
      pending.push(chunk.subarray(0, take));
      chunk = chunk.subarray(take);
      yield join(pending);
      emitted = true;
      pending = [];
      pendingBytes = 0;
    }
    if (chunk.length) {
      pending.push(chunk);
      pendingBytes += chunk.length;
    }
  }
  if (pendingBytes > 0 || !emitted) yield join(pending);
}

/**
 * Feeds bytes to every hash a slice at a time, so each slice is hashed by all of them while it is
 * in cache: one pass over memory (sha256 + MD5 of 16 MiB: about 20 % faster than two passes).
 */
export function hashAll(bytes: Uint8Array, ...hashes: Hash[]): void {
  const step = 1024 * 1024;
  for (let offset = 0; offset < bytes.byteLength; offset += step) {
    const slice = bytes.subarray(offset, offset + step);
    for (const hash of hashes) hash.update(slice);
  }
}

/**
 * A body of at most two parts (`2 × partSize` bytes) goes up whole in one request rather than as
 * a multipart or block upload, which costs extra requests and a server-side join; so a 16 MiB
 * master, which encryption makes 16 bytes per 64 KiB frame larger than one part, still goes in
 * one. A Buffer is taken as it is (never copied); a stream is read until it proves longer. `hash` has seen every byte of `whole`
 * on return, and every byte of `parts` once they are consumed; `wholeHash` (the provider's MD5)
 * sees the bytes only when they go up whole.
 */
export async function wholeOrParts(body: Body, partSize: number, hash: Hash, wholeHash: Hash): Promise<{ whole: Buffer } | { parts: AsyncIterable<Buffer> }> {
  if ((Buffer.isBuffer(body) || body instanceof Uint8Array) && body.byteLength <= 2 * partSize) {
    hashAll(body, hash, wholeHash);
    return { whole: Buffer.from(body.buffer, body.byteOffset, body.byteLength) };
  }
  const parts = partsOf(body, partSize, hash)[Symbol.asyncIterator]();
  const head: Buffer[] = [];
  for (let next = await parts.next(); !next.done; next = await parts.next()) {
    head.push(next.value);
    if (head.length > 2) return { parts: prepend(head, parts) };
  }
  const whole = head.length === 1 ? head[0]! : Buffer.concat(head);
  wholeHash.update(whole);
  return { whole };
}

/** Rejects when the digest of what was read is not the expected one. */
export function checkSha256(expected: string | undefined, actual: string, key: string): void {
  if (expected !== undefined && expected.toLowerCase() !== actual) {
    throw new StorageError('IntegrityError', `The bytes written have sha256 ${actual}, not the expected ${expected}`, { key });
  }
}

/** `items`, then whatever is left of `rest` (parts already peeked at, then the others). */
export async function* prepend<T>(items: T[], rest: AsyncIterator<T>): AsyncGenerator<T> {
  yield* items;
  for (let next = await rest.next(); !next.done; next = await rest.next()) yield next.value;
}

/**
 * Uploads parts with at most `concurrency` in flight, reading the next part only when a slot is
 * free (so memory stays at concurrency × part size). The first failure stops the loop and is thrown
 * once every started upload has settled.
 */
export async function uploadParts(
  parts: AsyncIterable<Buffer>,
  concurrency: number,
  upload: (part: Buffer, index: number) => Promise<void>,
): Promise<void> {
  const inFlight = new Set<Promise<void>>();
  let index = 0;
  try {
    for await (const part of parts) {
      while (inFlight.size >= concurrency) await Promise.race(inFlight);
      const task: Promise<void> = upload(part, index++).finally(() => inFlight.delete(task));
      // Awaited by race/all; this only keeps a failure from counting as unhandled meanwhile.
      task.catch(() => undefined);
      inFlight.add(task);
    }
    await Promise.all(inFlight);
  } finally {
    await Promise.allSettled(inFlight);
  }
}

/** Abandons a response body we will not read (its late errors are expected, not unhandled). */
export function discard(body: { on(event: 'error', listener: () => void): unknown; destroy(): unknown } | undefined): void {
  if (!body) return;
  body.on('error', () => undefined);
  body.destroy();
}
