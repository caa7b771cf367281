import { createHash, randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import {
  BlobSASPermissions, BlobServiceClient, RestError, StorageSharedKeyCredential, type BlockBlobClient, type BlockBlobUploadOptions, type ContainerClient,
} from '@azure/storage-blob';
import { isNetworkError, StorageError } from './errors.js';
import {
  checkExpiry, checkKey, checkMetadata, checkPrefix, checkRange, checkSha256, checkTier, discard, metaKeys, tiers, uploadParts, wholeOrParts,
  type Body, type GetOptions, type GetResult, type ListOptions, type ListPage, type ObjectInfo, type ObjectStore,
  type PutOptions, type StoreDescription, type Tier,
} from './store.js';

/**
 * Azure Blob Storage (block blobs), Azurite in tests.
 *
 * - Objects up to two blocks go up in one Put Blob with a transactional Content-MD5; the service
 *   returns the MD5 it computed, which must be ours. Larger ones are staged as blocks, each with
 *   `transactionalContentMD5` (the service rejects a block whose bytes do not match), and
 *   committed only after the whole sha256 is checked.
 * - Azure metadata names must be identifiers: Cusp's `a-b` names are stored as `a_b`.
 * - Tiers: hot Hot, warm Cool, cold Cold, archive Archive. Reading an archived blob answers
 *   `Archived` after asking for rehydration to Hot (which takes hours); a later read succeeds.
 * - Signed URLs are SAS tokens and need the account key (not a SAS) in the credentials.
 */
export interface AzureStoreOptions {
  account: string;
  container: string;
  prefix?: string;
  /** Blob service URL; default https://<account>.blob.core.windows.net (Azurite: http://127.0.0.1:PORT/<account>). */
  endpoint?: string;
  /** Exactly one way to authenticate: account key, SAS token, or a full connection string. */
  accountKey?: string;
  sasToken?: string;
  connectionString?: string;
  region: string;
  blockSize?: number;
  concurrency?: number;
  maxTries?: number;
  location?: string;
}

export const azureAccessTiers: Record<Tier, string> = { hot: 'Hot', warm: 'Cool', cold: 'Cold', archive: 'Archive' };

export function tierOfAccessTier(accessTier: string | undefined): Tier {
  switch (accessTier) {
    case 'Cool': return 'warm';
    case 'Cold': return 'cold';
    case 'Archive': return 'archive';
    default: return 'hot';
  }
}

const toAzureMeta = (m: Record<string, string>) => Object.fromEntries(Object.entries(m).map(([k, v]) => [k.replace(/-/g, '_'), v]));
const fromAzureMeta = (m: Record<string, string> | undefined) =>
  Object.fromEntries(Object.entries(m ?? {}).map(([k, v]) => [k.toLowerCase().replace(/_/g, '-'), v]));

export class AzureStore implements ObjectStore {
  readonly description: StoreDescription;
  private readonly container: ContainerClient;
  private readonly credential?: StorageSharedKeyCredential;
  private readonly prefix: string;
  private readonly blockSize: number;
  private readonly concurrency: number;

  constructor(options: AzureStoreOptions) {
    this.prefix = options.prefix ? options.prefix.replace(/\/*$/, '/') : '';
    this.blockSize = options.blockSize ?? 16 * 1024 * 1024;
    this.concurrency = Math.max(1, options.concurrency ?? 4);
    const pipelineOptions = { retryOptions: { maxTries: options.maxTries ?? 3, retryDelayInMs: 200, maxRetryDelayInMs: 2000 } };
    const endpoint = (options.endpoint ?? `https://${options.account}.blob.core.windows.net`).replace(/\/+$/, '');
    let service: BlobServiceClient;
    if (options.connectionString) {
      service = BlobServiceClient.fromConnectionString(options.connectionString, pipelineOptions);
    } else if (options.accountKey) {
      this.credential = new StorageSharedKeyCredential(options.account, options.accountKey);
      service = new BlobServiceClient(endpoint, this.credential, pipelineOptions);
    } else if (options.sasToken) {
      service = new BlobServiceClient(`${endpoint}?${options.sasToken.replace(/^\?/, '')}`, undefined, pipelineOptions);
    } else {
      throw new StorageError('InvalidArgument', `Azure store ${options.account}/${options.container} needs an account key, a SAS token or a connection string in the secret store`);
    }
    this.container = service.getContainerClient(options.container);
    this.description = {
      kind: 'azure',
      region: options.region,
      location: options.location ?? `azure://${options.account}/${options.container}/${this.prefix}`,
      encrypted: false,
      tiers,
    };
  }

  private blob(key: string): BlockBlobClient {
    return this.container.getBlockBlobClient(this.prefix + key);
  }

  async put(key: string, body: Body, options: PutOptions = {}): Promise<ObjectInfo> {
    checkKey(key);
    const metadata = checkMetadata(options.metadata);
    const tier = checkTier(options.tier ?? 'hot', tiers);
    const blob = this.blob(key);
    const conditions = options.ifAbsent ? { ifNoneMatch: '*' } : undefined;
    const hash = createHash('sha256');
    const wholeMd5 = createHash('md5');
    const upload = await wholeOrParts(body, this.blockSize, hash, wholeMd5);
    try {
      if ('whole' in upload) {
        const bytes = upload.whole;
        const sha256 = hash.digest('hex');
        checkSha256(options.sha256, sha256, key);
        const md5 = wholeMd5.digest();
        const finalMeta = { ...metadata, [metaKeys.sha256]: sha256 };
        // Content-MD5 (transactional) makes the service refuse a body that does not match before it
        // replaces anything; the MD5 it then reports for the blob must be ours too.
        const uploadOptions: BlockBlobUploadOptions & { transactionalContentMD5: Uint8Array } = {
          blobHTTPHeaders: { blobContentType: options.contentType, blobContentMD5: md5 },
          metadata: toAzureMeta(finalMeta), tier: azureAccessTiers[tier], conditions, transactionalContentMD5: md5,
        };
        const result = await blob.upload(bytes, bytes.length, uploadOptions);
        checkMd5(result.contentMD5, md5, key);
        options.onProgress?.(bytes.length);
        return { key, size: bytes.length, sha256, contentType: options.contentType, tier, metadata: finalMeta };
      }
      const ids: string[] = [];
      let written = 0;
      let size = 0;
      // Block ids must all have the same length: a random run id plus a zero-padded counter.
      const run = randomBytes(6).toString('hex');
      await uploadParts(upload.parts, this.concurrency, async (buffer, index) => {
        const id = Buffer.from(`${run}-${String(index).padStart(6, '0')}`).toString('base64');
        ids[index] = id;
        size += buffer.length;
        wholeMd5.update(buffer);
        const md5 = createHash('md5').update(buffer).digest();
        const r = await blob.stageBlock(id, buffer, buffer.length, { transactionalContentMD5: md5 });
        checkMd5(r.contentMD5, md5, key);
        written += buffer.length;
        options.onProgress?.(written);
      });
      const sha256 = hash.digest('hex');
      // Uncommitted blocks are discarded by the service after a week; nothing replaced the old blob.
      checkSha256(options.sha256, sha256, key);
      const finalMeta = { ...metadata, [metaKeys.sha256]: sha256 };
      await blob.commitBlockList(ids, {
        blobHTTPHeaders: { blobContentType: options.contentType, blobContentMD5: wholeMd5.digest() },
        metadata: toAzureMeta(finalMeta), tier: azureAccessTiers[tier], conditions,
      });
      return { key, size, sha256, contentType: options.contentType, tier, metadata: finalMeta };
    } catch (error) {
      throw mapAzureError(error, key);
    }
  }

  async get(key: string, options: GetOptions = {}): Promise<GetResult> {
    checkKey(key);
    const range = checkRange(options.range);
    const blob = this.blob(key);
    try {
      const count = range?.end !== undefined ? range.end - range.start + 1 : undefined;
      const r = await blob.download(range?.start ?? 0, count);
      const metadata = fromAzureMeta(r.metadata);
      let size = r.contentLength ?? 0;
      let served: GetResult['range'];
      if (range) {
        const match = /bytes (\d+)-(\d+)\/(\d+)/.exec(r.contentRange ?? '');
        if (match) {
          served = { start: Number(match[1]), end: Number(match[2]), size: Number(match[3]) };
          if (served.start >= served.size) {
            // Azurite answers "bytes 10-9/10" where Azure answers 416.
            discard(r.readableStreamBody as Readable | undefined);
            throw new StorageError('InvalidArgument', `The range starts at byte ${range.start} but the object has ${served.size} bytes`, { key });
          }
        } else {
          // No Content-Range: the whole blob came back (Azurite does this for a range past the end).
          if (range.start !== 0) discard(r.readableStreamBody as Readable | undefined);
          if (range.start >= size) throw new StorageError('InvalidArgument', `The range starts at byte ${range.start} but the object has ${size} bytes`, { key });
          if (range.start !== 0) throw new StorageError('Unavailable', 'The store ignored the byte range', { key });
          served = { start: 0, end: size - 1, size };
        }
        size = served.size;
      }
      const info: ObjectInfo = {
        key, size, sha256: metadata[metaKeys.sha256], contentType: r.contentType, lastModified: r.lastModified,
        tier: tierOfAccessTier((r as { accessTier?: string }).accessTier), metadata,
      };
      return { body: r.readableStreamBody as Readable, info, ...(served ? { range: served } : {}) };
    } catch (error) {
      const mapped = mapAzureError(error, key);
      if (mapped.code === 'Archived') await this.requestRehydration(key);
      throw mapped;
    }
  }

  /** Asks for an archived blob to come back to Hot (idempotent: a pending rehydration is left alone). */
  private async requestRehydration(key: string): Promise<void> {
    const props = await this.blob(key).getProperties().catch(() => undefined);
    if (props?.archiveStatus?.startsWith('rehydrate-pending')) return;
    await this.blob(key).setAccessTier('Hot', { rehydratePriority: 'Standard' }).catch(() => undefined);
  }

  async head(key: string): Promise<ObjectInfo> {
    checkKey(key);
    try {
      const r = await this.blob(key).getProperties();
      const metadata = fromAzureMeta(r.metadata);
      return {
        key, size: r.contentLength ?? 0, sha256: metadata[metaKeys.sha256], contentType: r.contentType, lastModified: r.lastModified,
        tier: tierOfAccessTier(r.accessTier), metadata,
      };
    } catch (error) {
      throw mapAzureError(error, key);
    }
  }

  async delete(key: string): Promise<void> {
    checkKey(key);
    try {
      await this.blob(key).deleteIfExists();
    } catch (error) {
      throw mapAzureError(error, key);
    }
  }

  async list(options: ListOptions = {}): Promise<ListPage> {
    const prefix = checkPrefix(options.prefix);
    const limit = Math.min(Math.max(options.limit ?? 1000, 1), 1000);
    try {
      // Azure's continuation token is opaque; Cusp's cursor is the last key, so skip up to it.
      const items: ListPage['items'] = [];
      let more = false;
      for await (const page of this.container.listBlobsFlat({ prefix: this.prefix + prefix }).byPage({ maxPageSize: 1000 })) {
        for (const b of page.segment.blobItems) {
          const key = b.name.slice(this.prefix.length);
          if (options.cursor !== undefined && key <= options.cursor) continue;
          if (items.length === limit) {
            more = true;
            break;
          }
          items.push({ key, size: b.properties.contentLength ?? 0, lastModified: b.properties.lastModified });
        }
        if (more) break;
      }
      return more ? { items, cursor: items[items.length - 1]!.key } : { items };
    } catch (error) {
      throw mapAzureError(error, prefix);
    }
  }

  async signedUrl(key: string, options: { expiresInSeconds: number }): Promise<string> {
    checkKey(key);
    const seconds = checkExpiry(options.expiresInSeconds);
    if (!this.credential) throw new StorageError('InvalidArgument', 'Signed URLs for Azure need the account key (a SAS token cannot sign)', { key });
    return this.blob(key).generateSasUrl({
      permissions: BlobSASPermissions.parse('r'),
      expiresOn: new Date(Date.now() + seconds * 1000),
    });
  }

  async setTier(key: string, tier: Tier): Promise<void> {
    checkTier(tier, tiers);
    checkKey(key);
    try {
      await this.blob(key).setAccessTier(azureAccessTiers[tier], tier === 'archive' ? {} : { rehydratePriority: 'Standard' });
    } catch (error) {
      throw mapAzureError(error, key);
    }
  }

  async setMetadata(key: string, metadata: Record<string, string>): Promise<void> {
    const checked = checkMetadata(metadata);
    checkKey(key);
    try {
      await this.blob(key).setMetadata(toAzureMeta(checked));
    } catch (error) {
      throw mapAzureError(error, key);
    }
  }

  /** Creates the container if needed (configuration time and tests). */
  async ensureContainer(): Promise<void> {
    try {
      await this.container.createIfNotExists();
    } catch (error) {
      throw mapAzureError(error);
    }
  }

  async close(): Promise<void> {}
}

function checkMd5(returned: Uint8Array | undefined, expected: Buffer, key: string): void {
  if (returned && !Buffer.from(returned).equals(expected)) {
    throw new StorageError('IntegrityError', `The store reports MD5 ${Buffer.from(returned).toString('hex')} for what we sent as ${expected.toString('hex')}`, { key });
  }
}

/** Maps an Azure SDK error onto the storage codes (exported for unit tests of the mapping). */
export function mapAzureError(error: unknown, key?: string): StorageError {
  if (error instanceof StorageError) return error;
  const e = error as RestError & { details?: { errorCode?: string } };
  const status = e.statusCode;
  const code = e.details?.errorCode ?? (e as { code?: string }).code ?? '';
  const opts = { cause: error, key };
  if (status === 404) return new StorageError('NotFound', code === 'ContainerNotFound' ? 'The container does not exist' : 'No object under this key', opts);
  if (status === 403 || status === 401) return new StorageError('AccessDenied', `The store refused access (${code || status})`, opts);
  if (code === 'BlobArchived' || (status === 409 && /archiv/i.test(e.message ?? ''))) {
    return new StorageError('Archived', 'The object is archived; rehydration to Hot has been requested (this takes hours)', opts);
  }
  if (status === 409 || status === 412) return new StorageError('Conflict', 'An object already exists under this key', opts);
  if (status === 416) return new StorageError('InvalidArgument', 'The range starts beyond the end of the object', opts);
  // Azure says Md5Mismatch; Azurite says InvalidOperation "Provided contentMD5 doesn't match".
  if (code === 'Md5Mismatch' || code === 'InvalidMd5' || (status === 400 && /md5 doesn't match/i.test(e.message ?? ''))) {
    return new StorageError('IntegrityError', 'The store received different bytes than were sent', opts);
  }
  if (isNetworkError(error) || status === undefined || status >= 500) {
    return new StorageError('Unavailable', `The store cannot be reached now (${code || status || 'network'})`, opts);
  }
  return new StorageError('InvalidArgument', `The store rejected the request (${code || status})`, opts);
}
