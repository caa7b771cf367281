import { isAbsolute, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EncryptedStore } from './crypto.js';
import { StorageError } from './errors.js';
import { credentialsSecretName, loadKeyring, urlSigningKey, type SecretStore } from './secrets.js';
import type { BackendKind, ObjectStore } from './store.js';

/**
 * Stores are configured by URL (config.json `store.url`); secrets come from the secret store.
 *
 *   file:objects                       a folder relative to the data folder (the default)
 *   file:///abs/path                   an absolute folder (a NAS share, a second disk)
 *   s3://bucket/prefix?region=ca-central-1[&endpoint=https://…][&pathStyle=1][&classes=STANDARD,STANDARD_IA,GLACIER_IR]
 *                                      AWS, GCS (endpoint=https://storage.googleapis.com, HMAC keys), Canadian S3 providers
 *   azure://account/container/prefix?region=canadacentral[&endpoint=http://127.0.0.1:10000/account]
 *
 * Common parameters: `encrypt=1|0` (default: on for s3/azure, off for file) and, for a custom
 * endpoint, `country=CA` — the clinic's declaration of where that provider keeps the data, since a
 * custom endpoint's region name says nothing reliable.
 * Credentials: secret `storage.credentials.s3.<bucket>` = {"accessKeyId","secretAccessKey"} (or the
 * SDK's own environment chain when absent); `storage.credentials.azure.<account>` =
 * {"accountKey"} | {"sasToken"} | {"connectionString"}.
 */
export interface StoreSpec {
  kind: BackendKind;
  /** Canonical URL without secrets. */
  url: string;
  region: string;
  country?: string;
  customEndpoint: boolean;
  encrypt: boolean;
  file?: { root: string };
  s3?: { bucket: string; prefix: string; endpoint?: string; pathStyle: boolean; classes?: Record<'hot' | 'warm' | 'cold', string> };
  azure?: { account: string; container: string; prefix: string; endpoint?: string };
}

const bad = (url: string, expected: string) =>
  new StorageError('InvalidArgument', `Expected a store URL like ${expected} but received ${JSON.stringify(url)}`);

export function parseStoreUrl(url: string, dataDir: string): StoreSpec {
  if (url.startsWith('file:')) {
    let root: string;
    if (url.startsWith('file://')) root = fileURLToPath(url.split('?')[0]!);
    else root = url.slice('file:'.length).split('?')[0]!;
    if (!root) throw bad(url, 'file:objects or file:///absolute/folder');
    const absolute = isAbsolute(root) ? root : join(dataDir, root);
    const params = new URLSearchParams(url.split('?')[1] ?? '');
    return { kind: 'file', url: url.split('?')[0]!, region: 'local', customEndpoint: false, encrypt: params.get('encrypt') === '1', file: { root: absolute } };
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw bad(url, 's3://bucket/prefix?region=ca-central-1 or azure://account/container/prefix?region=canadacentral');
  }
  const params = parsed.searchParams;
  const endpoint = params.get('endpoint') ?? undefined;
  const country = params.get('country')?.toUpperCase() ?? undefined;
  const encrypt = params.get('encrypt') !== '0';
  const path = decodeURIComponent(parsed.pathname).replace(/^\/+/, '');
  if (parsed.protocol === 's3:') {
    const bucket = parsed.hostname;
    if (!bucket) throw bad(url, 's3://bucket/prefix?region=ca-central-1');
    const region = params.get('region') ?? 'us-east-1';
    const classes = params.get('classes')?.split(',');
    if (classes && classes.length !== 3) throw bad(url, 's3://…?classes=HOT_CLASS,WARM_CLASS,COLD_CLASS');
    return {
      kind: 's3', url: `s3://${bucket}/${path}`, region, country, customEndpoint: endpoint !== undefined, encrypt,
      s3: {
        bucket, prefix: path, endpoint, pathStyle: params.get('pathStyle') === '1',
        ...(classes ? { classes: { hot: classes[0]!, warm: classes[1]!, cold: classes[2]! } } : {}),
      },
    };
  }
  if (parsed.protocol === 'azure:') {
    const account = parsed.hostname;
    const [container, ...rest] = path.split('/');
    if (!account || !container) throw bad(url, 'azure://account/container/prefix?region=canadacentral');
    return {
      kind: 'azure', url: `azure://${account}/${path}`, region: params.get('region') ?? 'unknown', country, customEndpoint: endpoint !== undefined, encrypt,
      azure: { account, container, prefix: rest.join('/'), endpoint },
    };
  }
  throw bad(url, 'file:objects, s3://bucket/prefix or azure://account/container/prefix');
}

/** Practice policy on where images may live. */
export type ResidencyPolicy = 'any' | 'canada';

/** Regions inside Canada: AWS, Azure, Google Cloud (Montréal, Toronto). */
export const canadianRegions: ReadonlySet<string> = new Set([
  'ca-central-1', 'ca-west-1', 'canadacentral', 'canadaeast', 'northamerica-northeast1', 'northamerica-northeast2',
]);

/** Whether a store keeps its data in Canada: local folders do; cloud by region, custom endpoints by declaration. */
export function isInCanada(spec: Pick<StoreSpec, 'kind' | 'region' | 'country' | 'customEndpoint'>): boolean {
  if (spec.kind === 'file') return true;
  if (spec.customEndpoint) return spec.country === 'CA';
  return canadianRegions.has(spec.region);
}

export function checkResidency(spec: StoreSpec, policy: ResidencyPolicy): void {
  if (policy !== 'canada' || isInCanada(spec)) return;
  const where = spec.customEndpoint
    ? `a custom endpoint whose country is ${spec.country ? `declared as ${spec.country}` : 'not declared'}`
    : `region ${spec.region}`;
  throw new StorageError(
    'ResidencyViolation',
    `The practice keeps health data in Canada only, but ${spec.url} is in ${where}. ` +
      `Choose a Canadian region (S3: ca-central-1 or ca-west-1; Azure: canadacentral or canadaeast)` +
      (spec.customEndpoint ? ', or add country=CA if this provider keeps the data in Canada' : '') + '.',
  );
}

export interface OpenStoreOptions {
  url: string;
  dataDir: string;
  secrets: SecretStore;
  residency?: ResidencyPolicy;
  /**
   * `read`: the store is only read (e.g. migrating away from it); residency does not stop reading,
   * but any write is refused. Default `write`.
   */
  access?: 'read' | 'write';
  /** Origin of the file store's signed URLs (`cusp serve`'s address). */
  publicUrl?: string;
  /** SDK attempts per request; lower for outbox probes. */
  maxAttempts?: number;
}

/** Builds the store a URL names: the backend, wrapped in encryption when on, guarded by residency. */
export async function openStore(options: OpenStoreOptions): Promise<ObjectStore> {
  const spec = parseStoreUrl(options.url, options.dataDir);
  let readOnlyReason: string | undefined;
  if (options.access === 'read') {
    try {
      checkResidency(spec, options.residency ?? 'any');
    } catch (error) {
      readOnlyReason = (error as Error).message;
    }
  } else {
    checkResidency(spec, options.residency ?? 'any');
  }
  let store: ObjectStore;
  if (spec.kind === 'file') {
    const { FileStore } = await import('./file.js');
    const args = { root: spec.file!.root, signingKey: await urlSigningKey(options.secrets), publicUrl: options.publicUrl, location: spec.url };
    store = options.access === 'read' ? new FileStore(args) : await FileStore.create(args);
  } else if (spec.kind === 's3') {
    const { S3Store } = await import('./s3.js');
    const raw = await options.secrets.get(credentialsSecretName('s3', spec.s3!.bucket));
    store = new S3Store({
      bucket: spec.s3!.bucket, prefix: spec.s3!.prefix, region: spec.region, endpoint: spec.s3!.endpoint,
      forcePathStyle: spec.s3!.pathStyle, credentials: raw ? JSON.parse(raw) : undefined, storageClasses: spec.s3!.classes,
      maxAttempts: options.maxAttempts, location: spec.url,
    });
  } else {
    const { AzureStore } = await import('./azure.js');
    const raw = await options.secrets.get(credentialsSecretName('azure', spec.azure!.account));
    if (!raw) throw new StorageError('AccessDenied', `No credentials for Azure account ${spec.azure!.account} in the secret store`);
    store = new AzureStore({
      account: spec.azure!.account, container: spec.azure!.container, prefix: spec.azure!.prefix, endpoint: spec.azure!.endpoint,
      region: spec.region, ...(JSON.parse(raw) as object), maxTries: options.maxAttempts, location: spec.url,
    });
  }
  if (spec.encrypt) store = new EncryptedStore(store, await loadKeyring(options.secrets));
  return readOnlyReason ? new ReadOnlyStore(store, readOnlyReason) : store;
}

/** A store that may be read but not changed (outside the residency policy, kept for migration). */
export class ReadOnlyStore implements ObjectStore {
  readonly description;
  constructor(private readonly inner: ObjectStore, private readonly reason: string) {
    this.description = inner.description;
  }
  private refuse(): never {
    throw new StorageError('ResidencyViolation', this.reason);
  }
  put(): never {
    return this.refuse();
  }
  get: ObjectStore['get'] = (key, options) => this.inner.get(key, options);
  head: ObjectStore['head'] = (key) => this.inner.head(key);
  list: ObjectStore['list'] = (options) => this.inner.list(options);
  signedUrl: ObjectStore['signedUrl'] = (key, options) => this.inner.signedUrl(key, options);
  delete(): never {
    return this.refuse();
  }
  setTier(): never {
    return this.refuse();
  }
  setMetadata(): never {
    return this.refuse();
  }
  close() {
    return this.inner.close();
  }
}
