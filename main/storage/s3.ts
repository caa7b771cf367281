import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand, CompleteMultipartUploadCommand, CopyObjectCommand, CreateMultipartUploadCommand,
  DeleteObjectCommand, GetObjectCommand, HeadObjectCommand, ListObjectsCommand, PutObjectCommand, RestoreObjectCommand,
  S3Client, UploadPartCommand, type StorageClass,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { isNetworkError, StorageError } from './errors.js';
import {
  checkExpiry, checkKey, checkMetadata, checkPrefix, checkRange, checkSha256, checkTier, discard, metaKeys, uploadParts, wholeOrParts,
  type Body, type GetOptions, type GetResult, type ListOptions, type ListPage, type ObjectInfo, type ObjectStore,
  type PutOptions, type StoreDescription, type Tier,
} from './store.js';

/**
 * S3 and every S3-protocol store: AWS, Google Cloud Storage through its XML API with HMAC keys,
 * Canadian providers, s3rver in tests.
 *
 * - Checksums: the SDK's automatic CRC checksums are off (`WHEN_REQUIRED`): with a stream body
 *   they switch to aws-chunked framing that S3-compatible servers store verbatim. Instead every
 *   single put and every part carries Content-MD5 (the provider rejects a body that does not
 *   match) and the returned ETag is checked against our own MD5 where it is one.
 * - Multipart is done here rather than with lib-storage so each part carries its Content-MD5 and
 *   the sha256 is known before CompleteMultipartUpload (a mismatch aborts; nothing is replaced).
 * - `ifAbsent` sends If-None-Match (AWS honours it) after a HEAD (for servers that ignore it).
 * - Tiers: hot STANDARD, warm STANDARD_IA, cold GLACIER_IR (instant retrieval, no rehydration);
 *   changed with a server-side copy onto itself, as S3 requires.
 */
export interface S3StoreOptions {
  bucket: string;
  prefix?: string;
  region: string;
  endpoint?: string;
  forcePathStyle?: boolean;
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  /** Part size for multipart uploads (default 16 MiB, at least 5 MiB); objects up to twice this go in one PUT. */
  partSize?: number;
  /** Parts in flight at once (default 4). */
  concurrency?: number;
  /**
   * Storage class per tier, when the provider names them differently (GCS: STANDARD, NEARLINE,
   * COLDLINE; some S3-compatible providers have no GLACIER_IR). Defaults to `s3StorageClasses`.
   */
  storageClasses?: Partial<Record<Tier, string>>;
  /** SDK attempts per request (default 3). */
  maxAttempts?: number;
  location?: string;
}

export const s3StorageClasses: Record<Exclude<Tier, 'archive'>, StorageClass> = {
  hot: 'STANDARD',
  warm: 'STANDARD_IA',
  cold: 'GLACIER_IR',
};

/** The tier an S3 storage class stands for, given the store's mapping (unknown classes by their kind). */
export function tierOfStorageClass(storageClass: string | undefined, classes: Partial<Record<Tier, string>> = s3StorageClasses): Tier {
  if (!storageClass) return 'hot';
  for (const [tier, name] of Object.entries(classes)) if (name === storageClass) return tier as Tier;
  if (storageClass === 'STANDARD') return 'hot';
  if (storageClass === 'STANDARD_IA' || storageClass === 'ONEZONE_IA' || storageClass === 'INTELLIGENT_TIERING') return 'warm';
  if (storageClass === 'GLACIER_IR') return 'cold';
  return 'archive';
}

export class S3Store implements ObjectStore {
  readonly description: StoreDescription;
  readonly client: S3Client;
  private readonly bucket: string;
  private readonly prefix: string;
  private readonly partSize: number;
  private readonly concurrency: number;
  private readonly classes: Partial<Record<Tier, string>>;

  constructor(options: S3StoreOptions) {
    this.classes = options.storageClasses ?? s3StorageClasses;
    this.bucket = options.bucket;
    this.prefix = options.prefix ? options.prefix.replace(/\/*$/, '/') : '';
    this.partSize = Math.max(options.partSize ?? 16 * 1024 * 1024, 5 * 1024 * 1024);
    this.concurrency = Math.max(1, options.concurrency ?? 4);
    this.client = new S3Client({
      region: options.region,
      endpoint: options.endpoint,
      forcePathStyle: options.forcePathStyle ?? false,
      credentials: options.credentials,
      maxAttempts: options.maxAttempts ?? 3,
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
    this.description = {
      kind: 's3',
      region: options.region,
      location: options.location ?? `s3://${options.bucket}/${this.prefix}`,
      encrypted: false,
      tiers: Object.keys(this.classes) as Tier[],
    };
  }

  private full(key: string) {
    return this.prefix + key;
  }

  async put(key: string, body: Body, options: PutOptions = {}): Promise<ObjectInfo> {
    checkKey(key);
    const metadata = checkMetadata(options.metadata);
    const storageClass = this.classOf(options.tier ?? 'hot');
    if (options.ifAbsent && (await this.exists(key))) throw new StorageError('Conflict', 'An object already exists under this key', { key });
    const hash = createHash('sha256');
    const wholeMd5 = createHash('md5');
    const upload = await wholeOrParts(body, this.partSize, hash, wholeMd5);
    const common = {
      Bucket: this.bucket,
      Key: this.full(key),
      ContentType: options.contentType,
      StorageClass: storageClass,
      ...(options.ifAbsent ? { IfNoneMatch: '*' } : {}),
    };
    if ('whole' in upload) {
      const bytes = upload.whole;
      const sha256 = hash.digest('hex');
      checkSha256(options.sha256, sha256, key);
      const md5 = wholeMd5.digest();
      const put = new PutObjectCommand({ ...common, Body: bytes, ContentLength: bytes.length, ContentMD5: md5.toString('base64'), Metadata: { ...metadata, [metaKeys.sha256]: sha256 } });
      withPayloadSha256(put, sha256);
      const result = await this.call(this.client.send(put), key);
      checkEtag(result.ETag, md5.toString('hex'), key);
      options.onProgress?.(bytes.length);
      return { key, size: bytes.length, sha256, contentType: options.contentType, tier: tierOfStorageClass(storageClass, this.classes), metadata: { ...metadata, [metaKeys.sha256]: sha256 } };
    }
    // Multipart: sha256 goes into the metadata at creation when the caller knows it; otherwise it is
    // added after completion by a server-side copy (no bytes travel again from here).
    const knownSha = options.sha256?.toLowerCase();
    const createMeta = knownSha ? { ...metadata, [metaKeys.sha256]: knownSha } : metadata;
    const { UploadId } = await this.call(this.client.send(new CreateMultipartUploadCommand({ Bucket: common.Bucket, Key: common.Key, ContentType: common.ContentType, StorageClass: common.StorageClass, Metadata: createMeta })), key);
    const uploadId = UploadId!;
    const done: Array<{ PartNumber: number; ETag: string; md5: Buffer }> = [];
    let written = 0;
    let size = 0;
    try {
      await uploadParts(upload.parts, this.concurrency, async (buffer, index) => {
        const PartNumber = index + 1;
        size += buffer.length;
        const md5 = createHash('md5').update(buffer).digest();
        const r = await this.call(this.client.send(
          new UploadPartCommand({ Bucket: this.bucket, Key: this.full(key), UploadId: uploadId, PartNumber, Body: buffer, ContentLength: buffer.length, ContentMD5: md5.toString('base64') })),
          key,
        );
        checkEtag(r.ETag, md5.toString('hex'), key);
        done.push({ PartNumber, ETag: r.ETag!, md5 });
        written += buffer.length;
        options.onProgress?.(written);
      });
      const sha256 = hash.digest('hex');
      checkSha256(options.sha256, sha256, key);
      done.sort((a, b) => a.PartNumber - b.PartNumber);
      const result = await this.call(this.client.send(
        new CompleteMultipartUploadCommand({
          Bucket: this.bucket, Key: this.full(key), UploadId: uploadId,
          MultipartUpload: { Parts: done.map(({ PartNumber, ETag }) => ({ PartNumber, ETag })) },
          ...(options.ifAbsent ? { IfNoneMatch: '*' } : {}),
        })),
        key,
      );
      // AWS's multipart ETag is md5(part md5s)-N; servers that answer something else cannot be compared.
      if (/-\d+"?$/.test(result.ETag ?? '')) {
        const multipartMd5 = createHash('md5').update(Buffer.concat(done.map((p) => p.md5))).digest('hex');
        checkEtag(result.ETag, `${multipartMd5}-${done.length}`, key);
      }
      const finalMeta = { ...metadata, [metaKeys.sha256]: sha256 };
      if (!knownSha) await this.copyOntoItself(key, { Metadata: finalMeta, ContentType: options.contentType, StorageClass: storageClass });
      return { key, size, sha256, contentType: options.contentType, tier: tierOfStorageClass(storageClass, this.classes), metadata: finalMeta };
    } catch (error) {
      await this.client.send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: this.full(key), UploadId: uploadId })).catch(() => undefined);
      throw error instanceof StorageError ? error : mapS3Error(error, key);
    }
  }

  async get(key: string, options: GetOptions = {}): Promise<GetResult> {
    checkKey(key);
    const range = checkRange(options.range);
    const result = await this.call(this.client.send(
      new GetObjectCommand({ Bucket: this.bucket, Key: this.full(key), Range: range ? `bytes=${range.start}-${range.end ?? ''}` : undefined })),
      key,
    );
    const body = result.Body as Readable;
    const metadata = result.Metadata ?? {};
    let size = result.ContentLength ?? 0;
    let served: GetResult['range'];
    if (range) {
      const match = /bytes (\d+)-(\d+)\/(\d+)/.exec(result.ContentRange ?? '');
      if (!match) {
        discard(body);
        throw new StorageError('Unavailable', 'The store ignored the byte range', { key });
      }
      served = { start: Number(match[1]), end: Number(match[2]), size: Number(match[3]) };
      size = served.size;
    }
    const info: ObjectInfo = {
      key, size, sha256: metadata[metaKeys.sha256], contentType: result.ContentType, lastModified: result.LastModified,
      tier: tierOfStorageClass(result.StorageClass, this.classes), metadata,
    };
    return { body, info, ...(served ? { range: served } : {}) };
  }

  async head(key: string): Promise<ObjectInfo> {
    checkKey(key);
    const r = await this.call(this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: this.full(key) })), key);
    const metadata = r.Metadata ?? {};
    return {
      key, size: r.ContentLength ?? 0, sha256: metadata[metaKeys.sha256], contentType: r.ContentType, lastModified: r.LastModified,
      tier: tierOfStorageClass(r.StorageClass, this.classes), metadata,
    };
  }

  async delete(key: string): Promise<void> {
    checkKey(key);
    await this.call(this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.full(key) })), key);
  }

  async list(options: ListOptions = {}): Promise<ListPage> {
    const prefix = checkPrefix(options.prefix);
    const r = await this.call(this.client.send(
      new ListObjectsCommand({
        Bucket: this.bucket, Prefix: this.prefix + prefix, MaxKeys: Math.min(Math.max(options.limit ?? 1000, 1), 1000),
        // The cursor is the last key of the previous page (same meaning for every backend). Version 1
        // listing with Marker: every S3-compatible server has it (s3rver's V2 continuation tokens
        // need DES, which Node 20's OpenSSL 3 lacks).
        Marker: options.cursor ? this.full(options.cursor) : undefined,
      })),
      prefix,
    );
    const items = (r.Contents ?? []).map((o) => ({ key: o.Key!.slice(this.prefix.length), size: o.Size ?? 0, lastModified: o.LastModified }));
    return r.IsTruncated && items.length ? { items, cursor: items[items.length - 1]!.key } : { items };
  }

  async signedUrl(key: string, options: { expiresInSeconds: number }): Promise<string> {
    checkKey(key);
    const expiresIn = checkExpiry(options.expiresInSeconds);
    return getSignedUrl(this.client, new GetObjectCommand({ Bucket: this.bucket, Key: this.full(key) }), { expiresIn });
  }

  async setTier(key: string, tier: Tier): Promise<void> {
    const storageClass = this.classOf(tier);
    const info = await this.head(key);
    if (info.tier === tier) return;
    await this.copyOntoItself(key, { Metadata: info.metadata, ContentType: info.contentType, StorageClass: storageClass });
  }

  async setMetadata(key: string, metadata: Record<string, string>): Promise<void> {
    const checked = checkMetadata(metadata);
    const info = await this.head(key);
    await this.copyOntoItself(key, { Metadata: checked, ContentType: info.contentType, StorageClass: this.classOf(info.tier ?? 'hot') });
  }

  /** Asks S3 to restore an object from a Glacier class (not used by the default policy). */
  async restore(key: string, days = 7): Promise<void> {
    await this.call(this.client.send(new RestoreObjectCommand({ Bucket: this.bucket, Key: this.full(key), RestoreRequest: { Days: days } })), key);
  }

  async close(): Promise<void> {
    this.client.destroy();
  }

  private classOf(tier: Tier): StorageClass {
    return this.classes[checkTier(tier, this.description.tiers)] as StorageClass;
  }

  private async copyOntoItself(key: string, with_: { Metadata: Record<string, string>; ContentType?: string; StorageClass: StorageClass }) {
    await this.call(this.client.send(
      new CopyObjectCommand({
        Bucket: this.bucket, Key: this.full(key), CopySource: `${this.bucket}/${encodeURI(this.full(key))}`,
        MetadataDirective: 'REPLACE', ...with_,
      })),
      key,
    );
  }

  private async exists(key: string): Promise<boolean> {
    try {
      await this.head(key);
      return true;
    } catch (error) {
      if (error instanceof StorageError && error.code === 'NotFound') return false;
      throw error;
    }
  }

  private async call<T>(request: Promise<T>, key: string): Promise<T> {
    try {
      return await request;
    } catch (error) {
      throw mapS3Error(error, key);
    }
  }
}

/**
 * Gives SigV4 the payload's sha256 we already computed (x-amz-content-sha256): otherwise the
 * signer hashes the whole body again on this thread. AWS checks the body against it as well.
 */
function withPayloadSha256(command: PutObjectCommand, sha256: string): void {
  command.middlewareStack.add(
    (next) => (args) => {
      (args.request as { headers: Record<string, string> }).headers['x-amz-content-sha256'] = sha256;
      return next(args);
    },
    { step: 'build', name: 'cuspPayloadSha256' },
  );
}

function checkEtag(etag: string | undefined, expected: string, key: string): void {
  const value = etag?.replace(/"/g, '');
  // An ETag is an MD5 only without server-side KMS encryption; anything else cannot be compared.
  if (value && /^[0-9a-f]{32}(-\d+)?$/.test(value) && value !== expected) {
    throw new StorageError('IntegrityError', `The store reports checksum ${value} for what we sent as ${expected}`, { key });
  }
}

/** Maps an S3 SDK error onto the storage codes (exported for unit tests of the mapping). */
export function mapS3Error(error: unknown, key?: string): StorageError {
  if (error instanceof StorageError) return error;
  const e = error as { name?: string; Code?: string; $metadata?: { httpStatusCode?: number }; message?: string };
  const name = e.Code ?? e.name ?? '';
  const status = e.$metadata?.httpStatusCode;
  const opts = { cause: error, key };
  if (['NoSuchKey', 'NotFound', 'NoSuchBucket', 'NoSuchUpload'].includes(name) || status === 404) {
    return new StorageError('NotFound', name === 'NoSuchBucket' ? 'The bucket does not exist' : 'No object under this key', opts);
  }
  if (name === 'InvalidObjectState') return new StorageError('Archived', 'The object is archived: restore it before reading', opts);
  if (['AccessDenied', 'InvalidAccessKeyId', 'SignatureDoesNotMatch', 'ExpiredToken', 'InvalidToken', 'AllAccessDisabled', 'Forbidden'].includes(name) || status === 403 || status === 401) {
    return new StorageError('AccessDenied', `The store refused access (${name || status})`, opts);
  }
  if (name === 'InvalidRange' || status === 416) return new StorageError('InvalidArgument', 'The range starts beyond the end of the object', opts);
  if (name === 'PreconditionFailed' || status === 412 || name === 'ConditionalRequestConflict') return new StorageError('Conflict', 'An object already exists under this key', opts);
  if (name === 'BadDigest' || name === 'InvalidDigest' || name === 'XAmzContentSHA256Mismatch') return new StorageError('IntegrityError', 'The store received different bytes than were sent', opts);
  if (isNetworkError(error) || (status !== undefined && status >= 500) || name === 'SlowDown' || name === 'TimeoutError' || status === undefined) {
    return new StorageError('Unavailable', `The store cannot be reached now (${name || status || 'network'})`, opts);
  }
  return new StorageError('InvalidArgument', `The store rejected the request (${name || status})`, opts);
}
