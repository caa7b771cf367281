import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import { StorageError } from './errors.js';
import {
  checkRange, checkSha256, discard, metaKeys, toReadable,
  type Body, type GetOptions, type GetResult, type Hash, type ListOptions, type ListPage, type ObjectInfo, type ObjectStore,
  type PutOptions, type StoreDescription, type Tier,
} from './store.js';

/**
 * Client-side encryption for any ObjectStore: the provider never sees a clear byte.
 *
 * Keys: each object gets a fresh random 256-bit data key (DEK). The DEK is wrapped (AES-256-GCM,
 * AAD = key id) by the practice master key and stored, with the master key's id, in the object's
 * own metadata (`cusp-key-id`, `cusp-wrapped-key`). Why metadata rather than a header in the body
 * or a sidecar object: key rotation then rewrites a few hundred bytes of metadata (Azure Set Blob
 * Metadata; an S3 server-side copy onto itself; the file store's sidecar) and never moves pixels;
 * one GET returns both key and bytes; and there is no second object to lose or keep consistent.
 * The key id is also returned to the caller for the object row in the database.
 *
 * Body format, version 1 ("cusp-enc: 1;f=<frame size>;n=<nonce prefix hex>" in metadata):
 * the plaintext is cut into frames of f bytes (65536; the last frame shorter, possibly empty —
 * an empty object is one empty frame), and each frame i is stored as
 *     AES-256-GCM(DEK, nonce = prefix(8 bytes) ‖ u32be(i), aad = u32be(i) ‖ final(1 byte)) ‖ tag(16)
 * back to back, no header. Frame i therefore starts at ciphertext byte i·(f+16), so a plaintext
 * byte range maps to whole frames and is decrypted without reading the rest; the index in the AAD
 * stops reordering, and the final flag stops truncation at a frame boundary. Any failed tag, a
 * wrong or unknown master key → `IntegrityError`.
 *
 * sha256 (`cusp-plain-sha256`) is of the plaintext; the backend's own `cusp-sha256` is of the
 * ciphertext, so the provider's copy can be checked without the key.
 */
export interface Keyring {
  /** The master key new objects are wrapped with. */
  activeKeyId: string;
  /** Master keys by id (32 bytes each); old ones stay until rotation has re-wrapped everything. */
  keys: ReadonlyMap<string, Buffer>;
}

export const frameSize = 64 * 1024;
const tagBytes = 16;
const plainShaKey = 'cusp-plain-sha256';

interface Envelope {
  keyId: string;
  dek: Buffer;
  frameSize: number;
  noncePrefix: Buffer;
}

export function wrapKey(keyring: Keyring, dek: Buffer): { keyId: string; wrapped: string } {
  const keyId = keyring.activeKeyId;
  const master = keyring.keys.get(keyId);
  if (!master || master.length !== 32) throw new StorageError('InvalidArgument', `The active master key ${keyId} is missing or not 32 bytes`);
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', master, iv).setAAD(Buffer.from(keyId));
  const wrapped = Buffer.concat([iv, cipher.update(dek), cipher.final(), cipher.getAuthTag()]);
  return { keyId, wrapped: wrapped.toString('base64url') };
}

export function unwrapKey(keyring: Keyring, keyId: string | undefined, wrapped: string | undefined, key?: string): Buffer {
  if (!keyId || !wrapped) throw new StorageError('IntegrityError', 'The object carries no wrapped data key: it was not written encrypted', { key });
  const master = keyring.keys.get(keyId);
  if (!master) throw new StorageError('IntegrityError', `The object was encrypted under master key ${keyId}, which this workstation does not hold`, { key });
  const bytes = Buffer.from(wrapped, 'base64url');
  try {
    const decipher = createDecipheriv('aes-256-gcm', master, bytes.subarray(0, 12)).setAAD(Buffer.from(keyId));
    decipher.setAuthTag(bytes.subarray(bytes.length - tagBytes));
    return Buffer.concat([decipher.update(bytes.subarray(12, bytes.length - tagBytes)), decipher.final()]);
  } catch (error) {
    throw new StorageError('IntegrityError', `The data key does not open with master key ${keyId} (wrong key or damaged metadata)`, { key, cause: error });
  }
}

function frameNonce(prefix: Buffer, index: number): Buffer {
  const nonce = Buffer.alloc(12);
  prefix.copy(nonce, 0, 0, 8);
  nonce.writeUInt32BE(index, 8);
  return nonce;
}

function frameAad(index: number, final: boolean): Buffer {
  const aad = Buffer.alloc(5);
  aad.writeUInt32BE(index, 0);
  aad[4] = final ? 1 : 0;
  return aad;
}

/** Seals frame `index` into `out` at `offset`; returns the offset after it. */
function sealFrameInto(env: Envelope, index: number, plain: Uint8Array, final: boolean, out: Buffer, offset: number): number {
  const cipher = createCipheriv('aes-256-gcm', env.dek, frameNonce(env.noncePrefix, index)).setAAD(frameAad(index, final));
  offset += cipher.update(plain).copy(out, offset);
  offset += cipher.final().copy(out, offset);
  return offset + cipher.getAuthTag().copy(out, offset);
}

function sealFrame(env: Envelope, index: number, plain: Buffer, final: boolean): Buffer {
  const out = Buffer.allocUnsafe(plain.length + tagBytes);
  sealFrameInto(env, index, plain, final, out, 0);
  return out;
}

/**
 * A plaintext already in memory, sealed frame by frame into one buffer of the exact sealed size
 * (no stream, one copy); each frame is hashed into `hash` on the way, while it is in cache.
 */
function sealBuffer(env: Envelope, plain: Uint8Array, hash: Hash): Buffer {
  const frames = Math.max(1, Math.ceil(plain.byteLength / env.frameSize));
  const out = Buffer.allocUnsafe(plain.byteLength + frames * tagBytes);
  let offset = 0;
  for (let index = 0; index < frames; index++) {
    const frame = plain.subarray(index * env.frameSize, (index + 1) * env.frameSize);
    hash.update(frame);
    offset = sealFrameInto(env, index, frame, index === frames - 1, out, offset);
  }
  return out;
}

function openFrame(env: Envelope, index: number, sealed: Buffer, final: boolean, key: string): Buffer {
  try {
    const decipher = createDecipheriv('aes-256-gcm', env.dek, frameNonce(env.noncePrefix, index)).setAAD(frameAad(index, final));
    decipher.setAuthTag(sealed.subarray(sealed.length - tagBytes));
    // GCM's final() only checks the tag (it returns no bytes), so the plaintext is update()'s buffer.
    const plain = decipher.update(sealed.subarray(0, sealed.length - tagBytes));
    decipher.final();
    return plain;
  } catch (error) {
    throw new StorageError('IntegrityError', `Encrypted frame ${index} does not authenticate (damaged, truncated, or the wrong key)`, { key, cause: error });
  }
}

/** Plaintext frames → sealed frames; the frame held back is sealed as final at the end. */
class Sealer extends Transform {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private index = 0;
  private held: Buffer | null = null;
  readonly hash = createHash('sha256');
  constructor(private readonly env: Envelope, private readonly expectedSha?: string, private readonly key = '') {
    super();
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback) {
    this.hash.update(chunk);
    let offset = 0;
    // Fill the pending frame from the chunk, sealing each full frame; no copy of the whole chunk.
    while (this.pendingBytes + (chunk.length - offset) >= this.env.frameSize) {
      const take = this.env.frameSize - this.pendingBytes;
      this.pending.push(chunk.subarray(offset, offset + take));
      offset += take;
      this.emitFrame(this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending));
      this.pending = [];
      this.pendingBytes = 0;
    }
    if (offset < chunk.length) {
      this.pending.push(chunk.subarray(offset));
      this.pendingBytes += chunk.length - offset;
    }
    done();
  }
  private emitFrame(frame: Buffer) {
    // Hold one full frame back: only at the end do we know whether it is the final one.
    if (this.held) this.push(sealFrame(this.env, this.index++, this.held, false));
    this.held = Buffer.from(frame);
  }
  override _flush(done: TransformCallback) {
    const sha = this.hash.digest('hex');
    if (this.expectedSha !== undefined && this.expectedSha.toLowerCase() !== sha) {
      done(new StorageError('IntegrityError', `The bytes written have sha256 ${sha}, not the expected ${this.expectedSha}`, { key: this.key }));
      return;
    }
    this.plainSha = sha;
    const tail = Buffer.concat(this.pending);
    if (this.held && tail.length === 0) {
      this.push(sealFrame(this.env, this.index++, this.held, true));
    } else {
      if (this.held) this.push(sealFrame(this.env, this.index++, this.held, false));
      this.push(sealFrame(this.env, this.index++, tail, true));
    }
    done();
  }
  plainSha?: string;
}

/**
 * Sealed frames `firstIndex`..`stopIndex` → plaintext, trimmed to [skip, skip+limit). Frame
 * `finalIndex` is the object's last (authenticated with the final flag).
 */
class Opener extends Transform {
  private chunks: Buffer[] = [];
  private bytes = 0;
  private index: number;
  private skip: number;
  private remaining: number;
  constructor(private readonly env: Envelope, firstIndex: number, private readonly stopIndex: number, private readonly finalIndex: number, skip: number, limit: number, private readonly key: string) {
    super();
    this.index = firstIndex;
    this.skip = skip;
    this.remaining = limit;
  }
  private scratch?: Buffer;
  /**
   * The next `n` (≤ one sealed frame) buffered bytes as one buffer: a view of the chunk when it
   * holds them all, else a copy into a scratch buffer reused for every frame (nothing keeps it:
   * decryption writes the plaintext into a new buffer).
   */
  private takeBytes(n: number): Buffer {
    const first = this.chunks[0];
    if (first && first.length >= n) {
      if (first.length === n) this.chunks.shift();
      else this.chunks[0] = first.subarray(n);
      this.bytes -= n;
      return first.subarray(0, n);
    }
    this.scratch ??= Buffer.allocUnsafe(this.env.frameSize + tagBytes);
    const out = this.scratch.subarray(0, n);
    for (let o = 0; o < n; ) {
      const c = this.chunks[0]!;
      const k = Math.min(c.length, n - o);
      c.copy(out, o, 0, k);
      o += k;
      if (k === c.length) this.chunks.shift();
      else this.chunks[0] = c.subarray(k);
    }
    this.bytes -= n;
    return out;
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback) {
    this.chunks.push(chunk);
    this.bytes += chunk.length;
    const sealedSize = this.env.frameSize + tagBytes;
    try {
      // The last frame of the range is handled at the end, where its length can be checked.
      while (this.bytes > sealedSize || (this.bytes === sealedSize && this.index < this.stopIndex)) {
        this.emit_(this.takeBytes(sealedSize));
      }
      done();
    } catch (error) {
      done(error as Error);
    }
  }
  override _flush(done: TransformCallback) {
    try {
      if (this.bytes < tagBytes || this.index !== this.stopIndex) {
        throw new StorageError('IntegrityError', 'The encrypted object is truncated', { key: this.key });
      }
      this.emit_(this.takeBytes(this.bytes));
      done();
    } catch (error) {
      done(error as Error);
    }
  }
  private emit_(sealed: Buffer) {
    const index = this.index++;
    let plain = openFrame(this.env, index, sealed, index === this.finalIndex, this.key);
    if (this.skip) {
      const cut = Math.min(this.skip, plain.length);
      plain = plain.subarray(cut);
      this.skip -= cut;
    }
    if (plain.length > this.remaining) plain = plain.subarray(0, this.remaining);
    this.remaining -= plain.length;
    if (plain.length) this.push(plain);
  }
}

/** Plaintext size of a ciphertext of `size` bytes in format 1. */
export function plainSizeOf(cipherSize: number, frame = frameSize): number {
  const frames = Math.max(1, Math.ceil(cipherSize / (frame + tagBytes)));
  return cipherSize - frames * tagBytes;
}

function envelopeOf(info: ObjectInfo, keyring: Keyring): Envelope {
  const format = /^1;f=(\d+);n=([0-9a-f]{16})$/.exec(info.metadata[metaKeys.format] ?? '');
  if (!format) throw new StorageError('IntegrityError', 'The object is not in Cusp\'s encrypted format', { key: info.key });
  return {
    keyId: info.metadata[metaKeys.keyId]!,
    dek: unwrapKey(keyring, info.metadata[metaKeys.keyId], info.metadata[metaKeys.wrappedKey], info.key),
    frameSize: Number(format[1]),
    noncePrefix: Buffer.from(format[2]!, 'hex'),
  };
}

const internalKeys = new Set<string>([metaKeys.format, metaKeys.wrappedKey, metaKeys.sha256, plainShaKey]);

export class EncryptedStore implements ObjectStore {
  readonly description: StoreDescription;
  constructor(readonly inner: ObjectStore, private keyring: Keyring) {
    this.description = { ...inner.description, encrypted: true };
  }

  /** Uses a new keyring from now on (after adding a key, before rotation). */
  setKeyring(keyring: Keyring) {
    this.keyring = keyring;
  }

  private plainInfo(info: ObjectInfo, plainSize?: number): ObjectInfo {
    const metadata = Object.fromEntries(Object.entries(info.metadata).filter(([k]) => !internalKeys.has(k)));
    const format = /;f=(\d+);/.exec(info.metadata[metaKeys.format] ?? '');
    return {
      ...info,
      size: plainSize ?? plainSizeOf(info.size, format ? Number(format[1]) : frameSize),
      sha256: info.metadata[plainShaKey],
      metadata,
    };
  }

  async put(key: string, body: Body, options: PutOptions = {}): Promise<ObjectInfo> {
    const dek = randomBytes(32);
    const { keyId, wrapped } = wrapKey(this.keyring, dek);
    const env: Envelope = { keyId, dek, frameSize, noncePrefix: randomBytes(8) };
    let sealed: Body;
    let sealer: Sealer | undefined;
    // The plaintext's digest travels with the object in one write whenever it is known up front.
    let expected: string | undefined;
    if (Buffer.isBuffer(body) || body instanceof Uint8Array) {
      // Bytes in memory (what ingest stores) are sealed whole into one buffer, which the inner store
      // then hashes in one pass and sends in one request: no stream plumbing, no copy per chunk.
      const hash = createHash('sha256');
      sealed = sealBuffer(env, body, hash);
      expected = hash.digest('hex');
      checkSha256(options.sha256, expected, key);
    } else {
      expected = options.sha256?.toLowerCase();
      sealer = new Sealer(env, expected, key);
      const source = toReadable(body);
      source.on('error', (e) => sealer!.destroy(e));
      sealed = source.pipe(sealer);
    }
    const metadata: Record<string, string> = {
      ...(options.metadata ?? {}),
      [metaKeys.format]: `1;f=${frameSize};n=${env.noncePrefix.toString('hex')}`,
      [metaKeys.keyId]: keyId,
      [metaKeys.wrappedKey]: wrapped,
      ...(expected ? { [plainShaKey]: expected } : {}),
    };
    const info = await this.inner.put(key, sealed, {
      contentType: options.contentType, tier: options.tier, ifAbsent: options.ifAbsent, metadata,
      onProgress: options.onProgress ? (n) => options.onProgress!(plainSizeOf(n)) : undefined,
    });
    const plainBytes = plainSizeOf(info.size);
    const plainSha = expected ?? sealer!.plainSha!;
    if (!expected) await this.inner.setMetadata(key, { ...info.metadata, [plainShaKey]: plainSha });
    return { ...this.plainInfo({ ...info, metadata: { ...info.metadata, [plainShaKey]: plainSha } }, plainBytes), sha256: plainSha };
  }

  async get(key: string, options: GetOptions = {}): Promise<GetResult> {
    const range = checkRange(options.range);
    if (!range) {
      const result = await this.inner.get(key);
      const env = withBody(result.body, () => envelopeOf(result.info, this.keyring));
      const lastIndex = Math.max(0, Math.ceil(result.info.size / (env.frameSize + tagBytes)) - 1);
      const plain = plainSizeOf(result.info.size, env.frameSize);
      const body = pipeOpen(result.body, new Opener(env, 0, lastIndex, lastIndex, 0, plain, key));
      return { body, info: this.plainInfo(result.info, plain) };
    }
    const sealedSize = frameSize + tagBytes;
    const first = Math.floor(range.start / frameSize);
    const last = range.end === undefined ? undefined : Math.floor(range.end / frameSize);
    const cipherRange = { start: first * sealedSize, ...(last === undefined ? {} : { end: (last + 1) * sealedSize - 1 }) };
    const result = await this.inner.get(key, { range: cipherRange });
    const cipherSize = result.range!.size;
    const env = withBody(result.body, () => envelopeOf(result.info, this.keyring));
    if (env.frameSize !== frameSize) {
      discard(result.body);
      throw new StorageError('IntegrityError', `Unsupported frame size ${env.frameSize}`, { key });
    }
    const size = plainSizeOf(cipherSize, env.frameSize);
    if (range.start >= size) {
      discard(result.body);
      throw new StorageError('InvalidArgument', `The range starts at byte ${range.start} but the object has ${size} bytes`, { key });
    }
    const end = Math.min(range.end ?? size - 1, size - 1);
    const lastIndex = Math.max(0, Math.ceil(cipherSize / sealedSize) - 1);
    const body = pipeOpen(result.body, new Opener(env, first, Math.floor(end / frameSize), lastIndex, range.start - first * frameSize, end - range.start + 1, key));
    return { body, info: this.plainInfo(result.info, size), range: { start: range.start, end, size } };
  }

  async head(key: string): Promise<ObjectInfo> {
    return this.plainInfo(await this.inner.head(key));
  }

  delete(key: string): Promise<void> {
    return this.inner.delete(key);
  }

  async list(options?: ListOptions): Promise<ListPage> {
    const page = await this.inner.list(options);
    return { ...page, items: page.items.map((i) => ({ ...i, size: plainSizeOf(i.size) })) };
  }

  async signedUrl(key: string): Promise<string> {
    throw new StorageError('InvalidArgument', 'Objects in an encrypted store cannot be shared by URL: the provider holds only ciphertext. Serve them through Cusp.', { key });
  }

  setTier(key: string, tier: Tier): Promise<void> {
    return this.inner.setTier(key, tier);
  }

  async setMetadata(key: string, metadata: Record<string, string>): Promise<void> {
    const current = await this.inner.head(key);
    const kept = Object.fromEntries(Object.entries(current.metadata).filter(([k]) => internalKeys.has(k) || k === metaKeys.keyId));
    await this.inner.setMetadata(key, { ...metadata, ...kept });
  }

  /**
   * Re-wraps an object's data key under the keyring's active master key, rewriting only metadata.
   * Returns the key id now protecting the object (unchanged if it already was the active one).
   */
  async rewrap(key: string): Promise<string> {
    const info = await this.inner.head(key);
    if (info.metadata[metaKeys.keyId] === this.keyring.activeKeyId) return this.keyring.activeKeyId;
    const dek = unwrapKey(this.keyring, info.metadata[metaKeys.keyId], info.metadata[metaKeys.wrappedKey], key);
    const { keyId, wrapped } = wrapKey(this.keyring, dek);
    await this.inner.setMetadata(key, { ...info.metadata, [metaKeys.keyId]: keyId, [metaKeys.wrappedKey]: wrapped });
    return keyId;
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}

/** Runs `fn`; if it throws, the unread body is abandoned first. */
function withBody<T>(body: Readable, fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    discard(body);
    throw error;
  }
}

/** Pipes ciphertext through the opener, carrying errors of either side to the returned stream. */
function pipeOpen(source: Readable, opener: Opener): Readable {
  source.on('error', (e) => opener.destroy(e));
  opener.on('close', () => source.destroy());
  return source.pipe(opener);
}
